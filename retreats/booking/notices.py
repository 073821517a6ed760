"""Queuing a booking's mails: one key per kind and recipient, so none is ever doubled."""

from __future__ import annotations

from datetime import datetime

from retreats.base.outbox import booking_email_key, queue_email, queue_mail_about_booking
from retreats.booking.email_schedule import schedule_booking_emails
from retreats.booking.models import Booking
from retreats.payments.models import Payment

PAYMENT_RECEIPT = "offline_payment_received"  # a receipt of money the organizer received

# Every mail about a booking that goes to the organizer, not to its attendees: the attendee's
# data export leaves these out (retreats/privacy/data_rights.py).
ORGANIZER_NOTICE_KINDS = frozenset(
    {
        "organizer_new_booking",
        "organizer_booking_cancelled",
        "organizer_booking_cancelled_overdue",
        "organizer_payment_mismatch",
        "organizer_data_deleted",
    }
)


def queue_booking_email(
    booking: Booking, kind: str, to_address: str, *, send_after: datetime | None = None
) -> None:
    """Queue the booking's mail of `kind` to `to_address`, in the caller's transaction."""
    queue_mail_about_booking(kind, booking.id, to_address, send_after=send_after)


def queue_payment_receipt(payment: Payment) -> None:
    """Queue the receipt of one payment to the booking's contact, in the caller's transaction:
    one per payment, however often it is asked for (its key names the payment)."""
    booking = payment.booking
    to_address = booking.contact_email
    queue_email(
        kind=PAYMENT_RECEIPT,
        key=f"{booking_email_key(PAYMENT_RECEIPT, booking.id, to_address)}:{payment.id}",
        booking_id=booking.id,
        payment_id=payment.id,
        to_address=to_address,
    )


def queue_organizer_notice(
    booking: Booking, kind: str, *, send_after: datetime | None = None
) -> None:
    """Queue a notice of `kind` about the booking to its retreat's organizer."""
    if kind not in ORGANIZER_NOTICE_KINDS:
        raise ValueError(f"{kind!r} is not listed in ORGANIZER_NOTICE_KINDS")
    queue_booking_email(booking, kind, booking.retreat.organizer.email, send_after=send_after)


def queue_confirmation_emails(booking: Booking, now: datetime) -> None:
    """The confirmation, the organizer's notice, then the scheduled guide and reminder, in the
    caller's transaction. All on the confirmation's own clock, so mails due at once go out in
    that order. Every way a booking is confirmed (paid by card, covered by a voucher) calls it.
    """
    queue_booking_email(booking, "confirmation", booking.contact_email, send_after=now)
    queue_organizer_notice(booking, "organizer_new_booking", send_after=now)
    schedule_booking_emails(booking, now=now)
