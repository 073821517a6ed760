"""Calendar download for a booking, from its manage page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, request

from retreats.booking.services import booking_for_link
from retreats.links import manage_url
from retreats.notifications.calendar import booking_calendar

blueprint = Blueprint("notifications", __name__)


@blueprint.get("/bookings/<reference>/calendar.ics")
def booking_ics(reference: str):
    """The booking's .ics file, behind the same secret link as the manage page."""
    token = request.args.get("t")
    booking = booking_for_link(reference, token)
    if booking is None or booking.status != "confirmed":
        abort(404)
    domain = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    data = booking_calendar(
        booking=booking,
        retreat=booking.retreat,
        manage_link=manage_url(booking, token),
        domain=domain,
    )
    return Response(
        data,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )
