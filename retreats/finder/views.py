"""Find your retreat: a few questions, the visitor's four scores, and retreats that fit."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from retreats.database import utcnow
from retreats.finder.forms import FinderForm
from retreats.finder.queries import recommendations_for
from retreats.finder.questions import ALL_QUESTIONS

blueprint = Blueprint("finder", __name__)


@blueprint.get("/find")
def find():
    """The questions; with answers in the query string, the scores and recommendations too."""
    form = FinderForm(request.args)
    page = {"form": form, "questions": ALL_QUESTIONS}
    if not FinderForm.has_answers(request.args):
        return render_template("finder/find.html", **page)
    if not form.validate():
        return render_template("finder/find.html", **page), 422
    scores, found = recommendations_for(form.answers(), now=utcnow())
    return render_template("finder/find.html", **page, scores=scores, found=found)
