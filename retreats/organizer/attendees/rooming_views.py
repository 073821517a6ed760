"""The rooming list: a retreat's bookings by room type and named room, the form that puts a
booking in a named room, and the list as CSV. Room-share wishes are private answers: shown and
exported only when asked for, and each time written to the audit log."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.listings.models import Retreat
from retreats.organizer.access import booking_for_organizer, retreat_for_organizer
from retreats.organizer.attendees.actions import (
    assign_named_room,
    record_private_answers_viewed,
    record_rooming_list_exported,
)
from retreats.organizer.attendees.forms import NamedRoomForm, RoomingListForm
from retreats.organizer.attendees.rooming import ROOM_LABEL_MAX, rooming_list
from retreats.organizer.attendees.rooming_export import rooming_csv, rooming_filename
from retreats.organizer.blueprint import blueprint


def _shows_private() -> bool:
    """The list's one choice from the query string; a value it does not offer is a 400."""
    form = RoomingListForm(request.args)
    if not form.validate():
        abort(400, description="That choice is not one this list offers.")
    return form.private.data


def _rooming_url(retreat_id: int, *, private: bool = False, anchor: str | None = None) -> str:
    return url_for(
        "organizer.rooming_list",
        retreat_id=retreat_id,
        private=1 if private else None,
        _anchor=anchor,
    )


def _rooming_page(
    retreat: Retreat,
    *,
    show_private: bool,
    errors: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
    status: int = 200,
):
    """The page; private answers are written to the audit log before they are read."""
    if show_private:
        record_private_answers_viewed(
            actor_id=current_user.id, retreat_id=retreat.id, detail="rooming list"
        )
    page = render_template(
        "organizer/rooming.html",
        retreat=retreat,
        rooming=rooming_list(retreat, now=utcnow()),
        show_private=show_private,
        errors=errors or {},
        typed=typed or {},
        label_max=ROOM_LABEL_MAX,
        rooming_url=lambda **options: _rooming_url(retreat.id, **options),
    )
    return page, status


@blueprint.get("/retreats/<int:retreat_id>/rooming", endpoint="rooming_list")
def rooming_list_page(retreat_id: int):
    """Who stays in which room type and who shares which named room; wishes if asked for."""
    retreat = retreat_for_organizer(retreat_id)
    return _rooming_page(retreat, show_private=_shows_private())


@blueprint.post("/retreats/<int:retreat_id>/rooming/<int:booking_id>", endpoint="assign_room")
def assign_room(retreat_id: int, booking_id: int):
    """Put one booking in a named room (or out of it); back to it on the list."""
    retreat = retreat_for_organizer(retreat_id)
    booking = booking_for_organizer(retreat, booking_id)
    form = NamedRoomForm()
    show_private = form.shows_private
    if not form.validate_on_submit():
        if form.room_label.errors:
            return _rooming_page(
                retreat,
                show_private=show_private,
                errors={booking.id: form.room_label.errors[0]},
                typed={booking.id: form.room_label.data or ""},
                status=422,
            )
        flash("That did not go through. Please try again.", "error")
        return redirect(_rooming_url(retreat.id, private=show_private), code=303)
    reference = booking.reference
    try:
        changed = assign_named_room(
            booking_id=booking.id, actor_id=current_user.id, room_label=form.room_label.data
        )
    except DomainError as error:
        if error.field == "room_label":
            return _rooming_page(
                retreat,
                show_private=show_private,
                errors={booking_id: error.message},
                typed={booking_id: form.room_label.data},
                status=422,
            )
        flash(error.message, "error")
    else:
        label = form.room_label.data
        if not changed:
            flash(f"{reference} was already {_in_room(label)}.", "info")
        else:
            flash(f"{reference} is now {_in_room(label)}.", "info")
    back = _rooming_url(retreat.id, private=show_private, anchor=f"booking-{booking_id}")
    return redirect(back, code=303)


def _in_room(label: str) -> str:
    return f"in {label}" if label else "not in a named room"


@blueprint.get("/retreats/<int:retreat_id>/rooming.csv", endpoint="export_rooming_list")
def export_rooming_list(retreat_id: int):
    """The rooming list as CSV; room-share wishes only when the box was ticked. Audited."""
    retreat = retreat_for_organizer(retreat_id)
    include_private = _shows_private()
    record_rooming_list_exported(
        actor_id=current_user.id, retreat_id=retreat.id, include_private=include_private
    )
    body = rooming_csv(rooming_list(retreat, now=utcnow()), include_private=include_private)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{rooming_filename(retreat)}"'
    return response
