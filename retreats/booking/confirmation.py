"""What confirming a booking writes, however it was paid (by card through Checkout, or by gift
vouchers alone): the status, the vouchers' payments settled, the audit entry, the emails."""

from __future__ import annotations

from datetime import datetime

from retreats.base.audit import record_audit
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.notices import queue_confirmation_emails
from retreats.extensions import db
from retreats.payments.ledger import settle_voucher_payments


def mark_confirmed(booking: Booking, *, paid: str, now: datetime) -> None:
    """Confirm `booking` in the caller's transaction (under the retreat's lock): `paid` says
    how, for the audit log ("paid €450.00")."""
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = now
    settle_voucher_payments(booking, now=now)
    record_audit(
        "booking.confirmed",
        actor_id=None,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=paid,
    )
    queue_confirmation_emails(booking, now)
    db.session.flush()
