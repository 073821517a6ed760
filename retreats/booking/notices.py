"""Queuing a booking's mails: one key per kind and recipient, so none is ever doubled."""

from __future__ import annotations

from datetime import datetime

from retreats.base.outbox import queue_mail_about_booking
from retreats.booking.models import Booking

# Every mail about a booking that goes to the organizer, not to its attendees: the attendee's
# data export leaves these out (retreats/privacy/data_rights.py).
ORGANIZER_NOTICE_KINDS = frozenset(
    {
        "organizer_new_booking",
        "organizer_booking_cancelled",
        "organizer_payment_mismatch",
        "organizer_data_deleted",
    }
)


def queue_booking_email(
    booking: Booking, kind: str, to_address: str, *, send_after: datetime | None = None
) -> None:
    """Queue the booking's mail of `kind` to `to_address`, in the caller's transaction."""
    queue_mail_about_booking(kind, booking.id, to_address, send_after=send_after)


def queue_organizer_notice(
    booking: Booking, kind: str, *, send_after: datetime | None = None
) -> None:
    """Queue a notice of `kind` about the booking to its retreat's organizer."""
    if kind not in ORGANIZER_NOTICE_KINDS:
        raise ValueError(f"{kind!r} is not listed in ORGANIZER_NOTICE_KINDS")
    queue_booking_email(booking, kind, booking.retreat.organizer.email, send_after=send_after)
