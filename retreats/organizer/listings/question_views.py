"""The listing editor's pages for a retreat's own questions: add, edit, move, remove, add a
ready one from the library, and preview them as the person booking sees them. Every view loads
its retreat through retreat_for_organizer, then the question through question_for_organizer."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_login import current_user

from retreats.booking.answers import answer_field, read_answers
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.listings.questions import Question, asked_questions, questions_asked
from retreats.organizer.access import retreat_for_organizer, ticket_type_for_organizer
from retreats.organizer.blueprint import blueprint
from retreats.organizer.form_fields import ActionForm
from retreats.organizer.listings import question_editor
from retreats.organizer.listings.question_forms import LibraryForm, MoveForm, QuestionForm
from retreats.organizer.listings.views import EXPIRED_FORM, _edit_url, _show_error

QUESTIONS = "questions"


def question_for_organizer(retreat: Retreat, question_id: int) -> Question:
    """A question of a retreat already loaded through retreat_for_organizer, else 404."""
    question = db.session.get(Question, question_id)
    if question is None or question.retreat_id != retreat.id:
        abort(404)
    return question


def _back(retreat_id: int):
    return redirect(_edit_url(retreat_id, QUESTIONS), code=303)


def _question_page(form, retreat, question=None, status: int = 200):
    answers = question_editor.answer_count(question) if question else 0
    return render_template(
        "organizer/question_form.html",
        form=form,
        retreat=retreat,
        question=question,
        answers=answers,
    ), status


@blueprint.route("/retreats/<int:retreat_id>/questions/new", methods=["GET", "POST"])
def new_question(retreat_id: int):
    """Add a question that later bookings are asked."""
    retreat = retreat_for_organizer(retreat_id)
    form = QuestionForm(retreat=retreat)
    if not form.validate_on_submit():
        return _question_page(form, retreat, status=422 if form.is_submitted() else 200)
    try:
        question_editor.create_question(
            retreat_id=retreat.id, actor_id=current_user.id, details=form.details()
        )
    except DomainError as error:
        _show_error(form, error)
        return _question_page(form, retreat, status=error.status_code)
    flash(f"Question “{form.label.data}” added.", "success")
    return _back(retreat.id)


@blueprint.route(
    "/retreats/<int:retreat_id>/questions/<int:question_id>/edit", methods=["GET", "POST"]
)
def edit_question(retreat_id: int, question_id: int):
    """Change a question for later bookings; the answers given keep what they answered."""
    retreat = retreat_for_organizer(retreat_id)
    question = question_for_organizer(retreat, question_id)
    if question.removed_at is not None:
        flash(f"“{question.label}” was removed, so it can no longer change.", "error")
        return _back(retreat.id)
    form = QuestionForm(retreat=retreat)
    if not form.is_submitted():
        form.fill_from(question)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _question_page(form, retreat, question, status=status)
    try:
        question_editor.update_question(
            retreat_id=retreat.id,
            question_id=question.id,
            actor_id=current_user.id,
            details=form.details(),
        )
    except DomainError as error:
        _show_error(form, error)
        return _question_page(form, retreat, question, status=error.status_code)
    flash(f"Question “{form.label.data}” saved.", "success")
    return _back(retreat.id)


@blueprint.post("/retreats/<int:retreat_id>/questions/<int:question_id>/remove")
def remove_question(retreat_id: int, question_id: int):
    """Stop asking a question: kept with its answers if anyone answered, else deleted."""
    retreat = retreat_for_organizer(retreat_id)
    question = question_for_organizer(retreat, question_id)
    label = question.label
    if not ActionForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return _back(retreat.id)
    try:
        kept = question_editor.remove_question(
            retreat_id=retreat.id, question_id=question.id, actor_id=current_user.id
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            f"“{label}” is no longer asked; the answers already given keep it."
            if kept
            else f"“{label}” deleted.",
            "success",
        )
    return _back(retreat.id)


@blueprint.post("/retreats/<int:retreat_id>/questions/<int:question_id>/move")
def move_question(retreat_id: int, question_id: int):
    """Move a question one place up or down the list."""
    retreat = retreat_for_organizer(retreat_id)
    question = question_for_organizer(retreat, question_id)
    form = MoveForm()
    if not form.validate_on_submit():
        flash(EXPIRED_FORM if form.csrf_token.errors else "Please move it up or down.", "error")
        return _back(retreat.id)
    try:
        question_editor.move_question(
            retreat_id=retreat.id,
            question_id=question.id,
            actor_id=current_user.id,
            direction=form.direction.data,
        )
    except DomainError as error:
        flash(error.message, "error")
    return _back(retreat.id)


@blueprint.post("/retreats/<int:retreat_id>/questions/library")
def add_library_question(retreat_id: int):
    """Add a ready question from the library at the end of the list."""
    retreat = retreat_for_organizer(retreat_id)
    form = LibraryForm()
    if not form.validate_on_submit():
        flash(
            EXPIRED_FORM if form.csrf_token.errors else "There is no such ready question.", "error"
        )
        return _back(retreat.id)
    try:
        question = question_editor.add_library_question(
            retreat_id=retreat.id, actor_id=current_user.id, key=form.key.data
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"Question “{question.label}” added. Edit it to make it yours.", "success")
    return _back(retreat.id)


@blueprint.route("/retreats/<int:retreat_id>/questions/preview", methods=["GET", "POST"])
def preview_questions(retreat_id: int):
    """The questions as the person booking sees them (of one ticket's bookings when asked);
    answers sent are checked as the booking form would, and never stored."""
    retreat = retreat_for_organizer(retreat_id)
    ticket_id = request.args.get("ticket", type=int)
    ticket = ticket_type_for_organizer(retreat, ticket_id) if ticket_id else None
    questions = questions_asked(retreat, ticket) if ticket else asked_questions(retreat)
    people = ticket.seats_per_ticket if ticket else 1
    sent, problems, status = {}, {}, 200
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            flash(EXPIRED_FORM, "error")
        else:
            sent = request.form.to_dict(flat=False)
            _given, problems = read_answers(questions, sent, people=people)
            status = 422 if problems else 200
            if not problems:
                flash("These answers would be accepted. Nothing was stored.", "success")
    fields = [
        (
            question,
            [(answer_field(question, person), person) for person in _people(question, people)],
        )
        for question in questions
    ]
    return render_template(
        "organizer/question_preview.html",
        retreat=retreat,
        ticket=ticket,
        fields=fields,
        people=people,
        sent=sent,
        problems=problems,
    ), status


def _people(question: Question, people: int) -> list[int | None]:
    """Whose field each question has: the booking's, or each person's."""
    return list(range(people)) if question.per_person else [None]
