"""The preparation guide of a confirmed booking, behind the same secret link as its manage page."""

from __future__ import annotations

from flask import abort, make_response, render_template, request, send_from_directory

from retreats.base.stored_files import GUIDES, is_guide_name, upload_folder
from retreats.booking.blueprint import blueprint, booking_from_link_or_404
from retreats.booking.email_schedule import has_guide
from retreats.booking.models import Booking, BookingStatus
from retreats.listings.models import RetreatStatus


def _confirmed_booking_from_link(reference: str) -> Booking:
    """The booking of a right link, confirmed and for a retreat that still happens; else 404."""
    booking = booking_from_link_or_404(reference)
    cancelled = booking.retreat.status == RetreatStatus.CANCELLED
    if booking.status != BookingStatus.CONFIRMED or cancelled:
        abort(404)
    return booking


def _not_stored(response):
    # The page carries a secret link and the organizer's private preparation notes.
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/bookings/<reference>/guide")
def guide(reference: str):
    """The retreat's preparation guide as it reads now, with its PDF when there is one."""
    booking = _confirmed_booking_from_link(reference)
    retreat = booking.retreat
    page = render_template(
        "booking/guide.html",
        booking=booking,
        retreat=retreat,
        has_guide=has_guide(retreat),
        has_pdf=is_guide_name(retreat.preparation_guide_pdf),
        token=request.args.get("t"),
    )
    return _not_stored(make_response(page))


@blueprint.get("/bookings/<reference>/guide.pdf")
def guide_pdf(reference: str):
    """The organizer's guide PDF for this booking's retreat (404 when there is none)."""
    booking = _confirmed_booking_from_link(reference)
    name = booking.retreat.preparation_guide_pdf
    if not is_guide_name(name):
        abort(404)
    response = send_from_directory(
        upload_folder(GUIDES),
        name,
        mimetype="application/pdf",
        download_name=f"preparation-guide-{booking.reference}.pdf",
    )
    return _not_stored(response)
