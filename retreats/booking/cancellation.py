"""An attendee cancels a confirmed booking: the refund follows the retreat's policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..formatting import format_money
from ..notifications.outbox import booking_email_key, queue_email
from ..notifications.schedule import drop_booking_emails
from ..organizer.audit import record_audit
from ..payments.refunds import record_refund, send_refund
from .models import Booking, BookingStatus
from .policy import refund_for_cancellation
from .waitlist import offer_freed_seats_if_possible

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cancellation:
    booking_id: int
    refund_minor: int
    refund_id: int | None


def can_be_cancelled(booking: Booking, *, now: datetime) -> bool:
    """Confirmed, and the retreat has not started: the attendee may still cancel."""
    return booking.status == BookingStatus.CONFIRMED and booking.retreat.starts_at > now


def refund_if_cancelled_now(booking: Booking, *, now: datetime | None = None) -> int:
    """What cancelling this booking now would give back, for the manage page."""
    return refund_for_cancellation(
        amount_minor=booking.amount_minor, retreat=booking.retreat, now=now or utcnow()
    )


def cancel_booking(*, booking_id: int, now: datetime | None = None) -> Cancellation:
    """Cancel a confirmed booking: seats back to the pool, refund per policy, email queued."""
    now = now or utcnow()
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or not can_be_cancelled(booking, now=now):
        db.session.rollback()
        raise DomainError(
            "Only a confirmed booking for a retreat that has not started can be cancelled."
        )
    amount = refund_for_cancellation(
        amount_minor=booking.amount_minor, retreat=booking.retreat, now=now
    )
    try:
        refund = _cancel_and_record(booking, amount, now)
        db.session.commit()
    except (StaleDataError, IntegrityError) as error:
        # Someone changed or cancelled the booking meanwhile (caught at the flush or the commit).
        db.session.rollback()
        raise DomainError("This booking changed a moment ago. Please look again.") from error
    log.info("Cancelled booking %s, refund %s", booking.reference, amount)
    refund_id = refund.id if refund is not None else None
    if refund_id is not None:
        send_refund(refund_id, now=now)  # a failure stays pending and the worker retries it
    offer_freed_seats_if_possible(retreat_id=booking.retreat_id, now=now)
    return Cancellation(booking_id=booking.id, refund_minor=amount, refund_id=refund_id)


def _cancel_and_record(booking: Booking, amount: int, now: datetime):
    """The cancellation's writes, in the caller's transaction: status, refund, audit, emails
    (the attendee's and the organizer's; the unsent guide and reminder are dropped)."""
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    refund = None
    if booking.stripe_payment_intent_id:
        refund = record_refund(
            booking=booking,
            amount_minor=amount,
            reason="cancellation",
            payment_intent_id=booking.stripe_payment_intent_id,
            now=now,
        )
    record_audit(
        "booking.cancelled",
        actor_id=None,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=f"by the attendee; refund {format_money(amount, booking.currency)}",
    )
    organizer_email = booking.retreat.organizer.email
    for kind, to_address in (
        ("cancellation", booking.contact_email),
        ("organizer_booking_cancelled", organizer_email),
    ):
        queue_email(
            kind=kind,
            key=booking_email_key(kind, booking.id, to_address),
            booking_id=booking.id,
            to_address=to_address,
        )
    drop_booking_emails(booking.id)
    return refund
