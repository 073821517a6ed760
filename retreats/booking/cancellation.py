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
from retreats.payments.ledger import expire_open_payments, record_refunds
from retreats.payments.models import Refund
from retreats.payments.refunds import send_refund

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cancellation:
    booking_id: int
    refund_minor: int
    refund_ids: list[int]


def can_be_cancelled(booking: Booking, *, now: datetime) -> bool:
    """Confirmed, and the retreat has not started: the attendee may still cancel."""
    return booking.status == BookingStatus.CONFIRMED and booking.retreat.starts_at > now


def refund_if_cancelled_now(booking: Booking, *, now: datetime | None = None) -> int:
    """What cancelling this booking now would give back, for the manage page."""
    by_policy = refund_for_cancellation(
        amount_minor=booking.amount_minor, retreat=booking.retreat, now=now or utcnow()
    )
    return min(by_policy, booking.kept_minor)


def cancel_booking(*, booking_id: int, now: datetime | None = None) -> Cancellation:
    """Cancel a confirmed booking: seats back to the pool, refund per policy, email queued."""
    now = now or utcnow()
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or not can_be_cancelled(booking, now=now):
        db.session.rollback()
        raise DomainError(
            "Only a confirmed booking for a retreat that has not started can be cancelled."
        )
    amount = refund_if_cancelled_now(booking, now=now)
    try:
        refunds = _cancel_and_record(booking, amount, now)
        db.session.flush()
        refund_ids = [refund.id for refund in refunds]
        db.session.commit()
    except WRITE_CONFLICTS as error:
        # Someone changed or cancelled the booking meanwhile (caught at the flush or the commit).
        db.session.rollback()
        raise DomainError("This booking changed a moment ago. Please look again.") from error
    log.info("Cancelled booking %s, refund %s", booking.reference, amount)
    for refund_id in refund_ids:
        send_refund(refund_id, now=now)  # a failure stays pending and the worker retries it
    offer_freed_seats_if_possible(retreat_id=booking.retreat_id, now=now)
    return Cancellation(booking_id=booking.id, refund_minor=amount, refund_ids=refund_ids)


def _cancel_and_record(booking: Booking, amount: int, now: datetime):
    """The attendee's cancellation writes, plus a notice to the organizer."""
    refunds = record_cancellation(
        booking,
        refund_minor=amount,
        refund_reason="cancellation",
        email_kind="cancellation",
        actor_id=None,
        audit_detail="by the attendee; refund {refund}",
        now=now,
    )
    queue_organizer_notice(booking, "organizer_booking_cancelled")
    return refunds


def record_cancellation(
    booking: Booking,
    *,
    refund_minor: int,
    refund_reason: str,
    email_kind: str,
    actor_id: int | None,
    audit_detail: str,
    now: datetime,
) -> list[Refund]:
    """Cancel a confirmed booking in the caller's transaction: the status, the refunds owed
    (over its payments, most recent first; sent to Stripe after the commit), the attendee's
    email, the unsent guide and reminder dropped, and the audit entry (`audit_detail` with
    "{refund}" standing for the amount given back). Every cancel path (attendee, organizer,
    whole retreat) goes through it."""
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    expire_open_payments(booking)
    refunds = record_refunds(booking, amount_minor=refund_minor, reason=refund_reason, now=now)
    refunded = sum(refund.amount_minor for refund in refunds)
    queue_booking_email(booking, email_kind, booking.contact_email)
    drop_booking_emails(booking.id)
    record_audit(
        "booking.cancelled",
        actor_id=actor_id,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=audit_detail.format(refund=format_money(refunded, booking.currency)),
    )
    return refunds
