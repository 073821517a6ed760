"""The platform admin area under /admin: organizers waiting for approval, recent sign-ups and
listings, and the decisions on each. Anyone but a signed-in platform admin gets a 404, so the
area's existence is not even confirmed to them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from retreats.admin import queries
from retreats.admin.forms import ButtonForm, NoteForm, ReasonForm
from retreats.admin.services import (
    approve_organizer,
    decline_organizer,
    reinstate_organizer,
    suspend_organizer,
    unpublish_listing,
)
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.organizer.accounts.models import Organizer

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.before_request
def require_platform_admin():
    if not (current_user.is_authenticated and current_user.is_platform_admin):
        abort(404)


@blueprint.after_request
def keep_out_of_caches(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _organizer_or_404(organizer_id: int) -> Organizer:
    person = db.session.get(Organizer, organizer_id)
    if person is None:
        abort(404)
    return person


def _retreat_or_404(retreat_id: int) -> Retreat:
    retreat = db.session.get(Retreat, retreat_id)
    if retreat is None:
        abort(404)
    return retreat


@blueprint.get("/")
def overview():
    """Organizers waiting for a decision, and the newest sign-ups."""
    return render_template(
        "admin/overview.html",
        pending=queries.pending_organizers(),
        sign_ups=queries.recent_sign_ups(),
    )


@blueprint.get("/listings")
def listings():
    """The newest listings of every organizer."""
    return render_template("admin/listings.html", retreats=queries.recent_listings())


@blueprint.get("/organizers/<int:organizer_id>")
def organizer(organizer_id: int):
    """One organizer: what they offer, where they stand, their retreats and the decisions."""
    return _organizer_page(_organizer_or_404(organizer_id))


def _organizer_page(person: Organizer, status: int = 200, **forms):
    forms = {
        "approve_form": ButtonForm(),
        "decline_form": ReasonForm(),
        "suspend_form": ReasonForm(),
        "reinstate_form": NoteForm(),
        **forms,
    }
    return render_template(
        "admin/organizer.html",
        person=person,
        retreats=queries.retreats_of(person),
        decisions=queries.decisions_about(organizer_id=person.id),
        **forms,
    ), status


def _decide(person: Organizer, form, form_name: str, service, done: str, **options):
    """Validate the decision's form, run its service, and come back to the organizer's page."""
    if not form.validate_on_submit():
        return _organizer_page(person, 422, **{form_name: form})
    if hasattr(form, "reason"):
        options["reason"] = form.reason.data
    try:
        service(organizer_id=person.id, admin_id=current_user.id, now=utcnow(), **options)
    except DomainError as error:
        if error.field and hasattr(form, error.field):
            getattr(form, error.field).errors.append(error.message)
            return _organizer_page(person, error.status_code, **{form_name: form})
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("admin.organizer", organizer_id=person.id), code=303)


@blueprint.post("/organizers/<int:organizer_id>/approve")
def approve(organizer_id: int):
    """Approve an organizer: they may publish from now on."""
    person = _organizer_or_404(organizer_id)
    form = ButtonForm()
    done = f"{person.name} is approved; we have emailed them."
    return _decide(person, form, "approve_form", approve_organizer, done)


@blueprint.post("/organizers/<int:organizer_id>/decline")
def decline(organizer_id: int):
    """Decline an organizer, with the reason emailed to them."""
    person = _organizer_or_404(organizer_id)
    form = ReasonForm()
    done = f"{person.name} is declined; we have emailed them the reason."
    return _decide(person, form, "decline_form", decline_organizer, done)


@blueprint.post("/organizers/<int:organizer_id>/suspend")
def suspend(organizer_id: int):
    """Suspend an organizer: their listings leave the public pages, their bookings stay."""
    person = _organizer_or_404(organizer_id)
    form = ReasonForm()
    done = f"{person.name} is suspended: their listings are hidden; we have emailed them."
    return _decide(person, form, "suspend_form", suspend_organizer, done)


@blueprint.post("/organizers/<int:organizer_id>/reinstate")
def reinstate(organizer_id: int):
    """End an organizer's suspension: their published listings are public again."""
    person = _organizer_or_404(organizer_id)
    form = NoteForm()
    done = f"{person.name} is reinstated; we have emailed them."
    return _decide(person, form, "reinstate_form", reinstate_organizer, done)


@blueprint.get("/retreats/<int:retreat_id>")
def retreat(retreat_id: int):
    """One listing with its organizer, and the form to unpublish it."""
    return _retreat_page(_retreat_or_404(retreat_id), ReasonForm())


def _retreat_page(listing: Retreat, form: ReasonForm, status: int = 200):
    return render_template(
        "admin/retreat.html",
        retreat=listing,
        form=form,
        decisions=queries.decisions_about(retreat_id=listing.id),
    ), status


@blueprint.post("/retreats/<int:retreat_id>/unpublish")
def unpublish(retreat_id: int):
    """Unpublish any listing, with the reason emailed to its organizer."""
    listing = _retreat_or_404(retreat_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _retreat_page(listing, form, 422)
    try:
        unpublish_listing(
            retreat_id=listing.id, admin_id=current_user.id, reason=form.reason.data, now=utcnow()
        )
    except DomainError as error:
        if error.field == "reason":
            form.reason.errors.append(error.message)
            return _retreat_page(listing, form, error.status_code)
        flash(error.message, "error")
    else:
        flash(f"“{listing.title}” is unpublished; we have emailed its organizer.", "success")
    return redirect(url_for("admin.retreat", retreat_id=listing.id), code=303)
