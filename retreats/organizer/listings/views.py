"""The listing editor: a retreat's details, files and ticket types, publishing, duplicating,
and cancelling the whole retreat (its room types and add-ons: stay_views.py; its questions:
question_views.py). Every view loads its retreat through retreat_for_organizer."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user

from retreats.base.stored_files import GUIDES, is_guide_name, upload_folder
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.formatting import format_money
from retreats.listings.models import RetreatStatus
from retreats.organizer.access import retreat_for_organizer, ticket_type_for_organizer
from retreats.organizer.blueprint import blueprint
from retreats.organizer.form_fields import ActionForm
from retreats.organizer.listings import (
    add_ons,
    question_editor,
    retreat_cancellation,
    room_types,
    ticket_types,
)
from retreats.organizer.listings import services as listings
from retreats.organizer.listings.forms import CancelRetreatForm, RetreatForm, TicketTypeForm
from retreats.organizer.listings.question_library import LIBRARY
from retreats.organizer.listings.services import Uploads

EXPIRED_FORM = "That form had expired, so nothing changed. Please try again."


def _edit_url(retreat_id: int, anchor: str | None = None) -> str:
    return url_for("organizer.edit_retreat", retreat_id=retreat_id, _anchor=anchor)


def _show_error(form, error: DomainError) -> None:
    """Put a service's message beside its field, or at the top of the page."""
    field = getattr(error, "field", None)
    if field and field in form:
        form[field].errors = [*form[field].errors, error.message]
    else:
        flash(error.message, "error")


def _uploads(form: RetreatForm) -> Uploads:
    return Uploads(
        cover=form.prepared_cover,
        guide_pdf=form.prepared_guide,
        remove_cover=bool(form.remove_cover_image.data),
        remove_guide_pdf=bool(form.remove_guide_pdf.data),
    )


def _retreat_page(form: RetreatForm, retreat=None, status: int = 200):
    return (
        render_template(
            "organizer/retreat_form.html",
            form=form,
            retreat=retreat,
            preview=form.is_submitted() and form.is_preview,
            room_use=room_types.room_use(retreat) if retreat else {},
            add_on_use=add_ons.units_in_use(retreat) if retreat else {},
            questions=question_editor.question_list(retreat) if retreat else None,
            question_library=LIBRARY,
        ),
        status,
    )


@blueprint.route("/retreats/new", methods=["GET", "POST"])
def new_retreat():
    """Create a draft retreat; it is saved as the current organizer's own."""
    form = RetreatForm()
    if form.is_submitted() and form.is_preview:
        return _retreat_page(form)  # shown rendered, nothing saved
    if not form.validate_on_submit():
        return _retreat_page(form, status=422 if form.is_submitted() else 200)
    try:
        retreat = listings.create_retreat(
            organizer_id=current_user.id, details=form.details(), uploads=_uploads(form)
        )
    except DomainError as error:
        _show_error(form, error)
        return _retreat_page(form, status=error.status_code)
    flash("Draft saved. Add its ticket types, then publish it when it is ready.", "success")
    return redirect(_edit_url(retreat.id), code=303)


@blueprint.route("/retreats/<int:retreat_id>/edit", methods=["GET", "POST"])
def edit_retreat(retreat_id: int):
    """A retreat's listing: its details, files, ticket types and what can be done with it."""
    retreat = retreat_for_organizer(retreat_id)
    form = RetreatForm(current_timezone=retreat.timezone)
    if not form.is_submitted():
        form.fill_from(retreat)
        return _retreat_page(form, retreat)
    if form.is_preview:
        return _retreat_page(form, retreat)
    if not form.validate():
        return _retreat_page(form, retreat, status=422)
    try:
        changed = listings.update_retreat(
            retreat_id=retreat.id,
            actor_id=current_user.id,
            details=form.details(),
            uploads=_uploads(form),
        )
    except DomainError as error:
        _show_error(form, error)
        return _retreat_page(form, retreat, status=error.status_code)  # rolled back: as saved
    flash("Saved." if changed else "Nothing had changed.", "success")
    return redirect(_edit_url(retreat.id), code=303)


def _action(retreat_id: int, service, success: str, **options):
    """Run a one-button action (publish, unpublish, …) and come back to the listing."""
    retreat = retreat_for_organizer(retreat_id)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(_edit_url(retreat.id), code=303)
    try:
        service(retreat_id=retreat.id, actor_id=current_user.id, **options)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(success, "success")
    anchor = "tickets" if "ticket_type_id" in options else None
    return redirect(_edit_url(retreat.id, anchor), code=303)


@blueprint.post("/retreats/<int:retreat_id>/publish")
def publish_retreat(retreat_id: int):
    """Show the retreat in the public catalog."""
    return _action(retreat_id, listings.publish_retreat, "Published: it is in the catalog now.")


@blueprint.post("/retreats/<int:retreat_id>/unpublish")
def unpublish_retreat(retreat_id: int):
    """Take the retreat out of the catalog; existing bookings are kept."""
    return _action(retreat_id, listings.unpublish_retreat, "Unpublished: it is a draft again.")


@blueprint.post("/retreats/<int:retreat_id>/duplicate")
def duplicate_retreat(retreat_id: int):
    """Copy the retreat and its ticket types into a new draft, and open the copy."""
    retreat = retreat_for_organizer(retreat_id)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(_edit_url(retreat.id), code=303)
    try:
        copy = listings.duplicate_retreat(retreat_id=retreat.id, actor_id=current_user.id)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(_edit_url(retreat.id), code=303)
    flash(
        "This is your copy, saved as a draft. Change its dates and title, then publish.", "success"
    )
    return redirect(_edit_url(copy.id), code=303)


def _ticket_page(form, retreat, ticket=None, status: int = 200):
    template = "organizer/ticket_type_form.html"
    return render_template(template, form=form, retreat=retreat, ticket=ticket), status


@blueprint.route("/retreats/<int:retreat_id>/tickets/new", methods=["GET", "POST"])
def new_ticket_type(retreat_id: int):
    """Add a ticket type (individual or couple, with an optional early-bird window)."""
    retreat = retreat_for_organizer(retreat_id)
    form = TicketTypeForm(currency=retreat.currency)
    if not form.validate_on_submit():
        return _ticket_page(form, retreat, status=422 if form.is_submitted() else 200)
    try:
        ticket_types.create_ticket_type(
            retreat_id=retreat.id, actor_id=current_user.id, details=form.details()
        )
    except DomainError as error:
        _show_error(form, error)
        return _ticket_page(form, retreat, status=error.status_code)
    flash(f"Ticket type “{form.name.data}” added.", "success")
    return redirect(_edit_url(retreat.id, "tickets"), code=303)


@blueprint.route(
    "/retreats/<int:retreat_id>/tickets/<int:ticket_type_id>/edit", methods=["GET", "POST"]
)
def edit_ticket_type(retreat_id: int, ticket_type_id: int):
    """Change a ticket type's name, price, sale window or limit."""
    retreat = retreat_for_organizer(retreat_id)
    ticket = ticket_type_for_organizer(retreat, ticket_type_id)
    form = TicketTypeForm(currency=retreat.currency)
    if not form.is_submitted():
        form.fill_from(ticket, retreat.zone)
    if not form.validate_on_submit():
        return _ticket_page(form, retreat, ticket, status=422 if form.is_submitted() else 200)
    try:
        ticket_types.update_ticket_type(
            retreat_id=retreat.id,
            ticket_type_id=ticket.id,
            actor_id=current_user.id,
            details=form.details(),
        )
    except DomainError as error:
        _show_error(form, error)
        return _ticket_page(form, retreat, ticket, status=error.status_code)
    flash(f"Ticket type “{form.name.data}” saved.", "success")
    return redirect(_edit_url(retreat.id, "tickets"), code=303)


@blueprint.post("/retreats/<int:retreat_id>/tickets/<int:ticket_type_id>/delete")
def delete_ticket_type(retreat_id: int, ticket_type_id: int):
    """Delete a ticket type nobody has booked."""
    retreat = retreat_for_organizer(retreat_id)
    ticket = ticket_type_for_organizer(retreat, ticket_type_id)
    name = ticket.name
    return _action(
        retreat.id,
        ticket_types.delete_ticket_type,
        f"Ticket type “{name}” deleted.",
        ticket_type_id=ticket.id,
    )


@blueprint.get("/retreats/<int:retreat_id>/guide.pdf")
def guide_pdf(retreat_id: int):
    """Download the preparation guide PDF stored for this retreat."""
    retreat = retreat_for_organizer(retreat_id)
    name = retreat.preparation_guide_pdf
    if not is_guide_name(name):
        abort(404)
    return send_from_directory(
        upload_folder(GUIDES),
        name,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{retreat.slug}-preparation-guide.pdf",
    )


@blueprint.route("/retreats/<int:retreat_id>/cancel", methods=["GET", "POST"])
def cancel_retreat(retreat_id: int):
    """Confirm, then cancel the whole retreat: every booking refunded in full and emailed."""
    retreat = retreat_for_organizer(retreat_id)
    form = CancelRetreatForm()
    status = 200
    if retreat.status != RetreatStatus.CANCELLED and form.validate_on_submit():
        try:
            result = retreat_cancellation.cancel_retreat(
                retreat_id=retreat.id, actor_id=current_user.id
            )
        except DomainError as error:
            flash(error.message, "error")
            status = error.status_code
        else:
            refunded = format_money(result.refund_minor, retreat.currency)
            flash(
                f"{retreat.title} is cancelled. {result.bookings_cancelled} booking(s) cancelled "
                f"and {refunded} refunded; everyone who booked is being emailed.",
                "success",
            )
            return redirect(_edit_url(retreat.id), code=303)
    elif request.method == "POST":
        status = 422 if retreat.status != RetreatStatus.CANCELLED else 409
    return render_template(
        "organizer/cancel_retreat.html",
        retreat=retreat,
        form=form,
        has_ended=retreat.ends_at <= utcnow(),
        preview=retreat_cancellation.cancellation_preview(retreat),
    ), status
