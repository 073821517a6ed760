"""An attendee cancels a confirmed booking: the refund follows the retreat's policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from retreats.base.audit import record_audit
from retreats.booking.email_schedule import drop_booking_emails
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.notices import queue_booking_email, queue_organizer_notice
from retreats.booking.policy import refund_for_cancellation
from retreats.booking.waitlist import offer_freed_seats_if_possible
from retreats.database import WRITE_CONFLICTS, utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.payments.models import Refund
from retreats.payments.refunds import record_refund, send_refund

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
    except WRITE_CONFLICTS as error:
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
    """The attendee's cancellation writes, plus a notice to the organizer."""
    refund = record_cancellation(
        booking,
        refund_minor=amount,
        refund_reason="cancellation",
        email_kind="cancellation",
        actor_id=None,
        audit_detail="by the attendee; refund {refund}",
        now=now,
    )
    queue_organizer_notice(booking, "organizer_booking_cancelled")
    return refund


def record_cancellation(
    booking: Booking,
    *,
    refund_minor: int,
    refund_reason: str,
    email_kind: str,
    actor_id: int | None,
    audit_detail: str,
    now: datetime,
) -> Refund | None:
    """Cancel a confirmed booking in the caller's transaction: the status, the refund owed (sent
    to Stripe after the commit), the attendee's email, the unsent guide and reminder dropped,
    and the audit entry (`audit_detail` with "{refund}" standing for the amount given back).
    Every cancel path (attendee, organizer, whole retreat) goes through it."""
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    refund = None
    if booking.stripe_payment_intent_id:
        refund = record_refund(
            booking=booking,
            amount_minor=refund_minor,
            reason=refund_reason,
            payment_intent_id=booking.stripe_payment_intent_id,
            now=now,
        )
    refunded = refund.amount_minor if refund is not None else 0
    queue_booking_email(booking, email_kind, booking.contact_email)
    drop_booking_emails(booking.id)
    record_audit(
        "booking.cancelled",
        actor_id=actor_id,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=audit_detail.format(refund=format_money(refunded, booking.currency)),
    )
    return refund
