"""An organizer cancels a whole retreat: every confirmed booking is refunded in full and emailed.

One transaction under the retreat's seat lock marks the retreat cancelled, cancels its confirmed
bookings with their refunds and emails, ends the holds of pending bookings and closes the
waitlist. A hold is ended by making it lapse now: its seats are free at once, and closing its
Checkout Session at Stripe (after the commit) is then exactly the job of the expiry sweep, which
also catches a session paid in the meantime (and refunds it, as a payment without a seat). If
Stripe cannot be reached, the worker's next sweep does it; refunds are retried the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from retreats.base.audit import record_audit
from retreats.base.locking import retried_after_write_conflicts, rolled_back_on_error
from retreats.booking.cancellation import record_cancellation
from retreats.booking.checkout import close_lapsed_hold
from retreats.booking.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from retreats.database import lock_row, utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.listings.models import Retreat, RetreatStatus
from retreats.payments.ledger import paid_sum, refunded_sum
from retreats.payments.refunds import send_refund
from retreats.payments.stripe_gateway import PaymentGatewayError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CancellationPreview:
    """What cancelling would do now, for the confirmation page."""

    confirmed_bookings: int
    refund_minor: int
    pending_holds: int
    waitlist_entries: int


@dataclass
class RetreatCancellation:
    """What one call did; all zero and empty when the retreat was cancelled already."""

    bookings_cancelled: int = 0
    refund_minor: int = 0
    holds_released: list[int] = field(default_factory=list)
    refund_ids: list[int] = field(default_factory=list)


def cancellation_preview(retreat: Retreat) -> CancellationPreview:
    """How many bookings cancelling would cancel, and how much would go back."""
    confirmed = db.session.execute(
        select(func.count(Booking.id)).where(
            Booking.retreat_id == retreat.id, Booking.status == BookingStatus.CONFIRMED
        )
    ).scalar_one()
    # Only paid bookings get money back (a free ticket has no payment to refund).
    refundable = db.session.execute(
        select(func.coalesce(func.sum(paid_sum(Booking.id) - refunded_sum(Booking.id)), 0)).where(
            Booking.retreat_id == retreat.id, Booking.status == BookingStatus.CONFIRMED
        )
    ).scalar_one()
    pending = db.session.execute(
        select(func.count(Booking.id)).where(
            Booking.retreat_id == retreat.id, Booking.status == BookingStatus.PENDING
        )
    ).scalar_one()
    waiting = db.session.execute(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.retreat_id == retreat.id,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
        )
    ).scalar_one()
    return CancellationPreview(confirmed, refundable, pending, waiting)


def cancel_retreat(
    *, retreat_id: int, actor_id: int | None, now: datetime | None = None
) -> RetreatCancellation:
    """Cancel the retreat and all its bookings, refunding each in full; repeats change nothing."""
    now = now or utcnow()
    # A booking or waitlist entry may change without the lock (a hold expiring): look again.
    result = retried_after_write_conflicts(
        lambda: _cancel_locked(retreat_id=retreat_id, actor_id=actor_id, now=now)
    )
    for refund_id in result.refund_ids:
        send_refund(refund_id, now=now)  # a failure stays pending and the worker retries it
    for booking_id in result.holds_released:
        _close_released_hold(booking_id, now=now)
    return result


def _cancel_locked(*, retreat_id: int, actor_id: int | None, now: datetime) -> RetreatCancellation:
    result = RetreatCancellation()
    with rolled_back_on_error():
        retreat = lock_row(Retreat, retreat_id)
        if retreat is None:
            raise DomainError("That retreat does not exist any more.")
        if retreat.status == RetreatStatus.CANCELLED:
            db.session.rollback()
            return result
        if retreat.ends_at <= now:
            raise DomainError(
                "This retreat has already ended, so it cannot be cancelled as a whole. "
                "Cancel single bookings from the attendee list to refund them."
            )
        retreat.status = RetreatStatus.CANCELLED
        retreat.cancelled_at = now
        for booking in _bookings(retreat.id, BookingStatus.CONFIRMED):
            _cancel_confirmed(booking, actor_id=actor_id, now=now, result=result)
        for booking in _bookings(retreat.id, BookingStatus.PENDING):
            _release_hold(booking, actor_id=actor_id, now=now, result=result)
        closed = _close_waitlist(retreat.id)
        record_audit(
            "retreat.cancelled",
            actor_id=actor_id,
            retreat_id=retreat.id,
            detail=(
                f"{result.bookings_cancelled} booking(s) cancelled, "
                f"{format_money(result.refund_minor, retreat.currency)} refunded, "
                f"{len(result.holds_released)} hold(s) released, "
                f"{closed} waitlist place(s) closed"
            ),
        )
        db.session.commit()
    log.info(
        "Retreat %s cancelled: %s booking(s), %s refunded",
        retreat_id,
        result.bookings_cancelled,
        result.refund_minor,
    )
    return result


def _bookings(retreat_id: int, status: BookingStatus) -> list[Booking]:
    return list(
        db.session.execute(
            select(Booking)
            .where(Booking.retreat_id == retreat_id, Booking.status == status)
            .order_by(Booking.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def _cancel_confirmed(
    booking: Booking, *, actor_id: int | None, now: datetime, result: RetreatCancellation
) -> None:
    refunds = record_cancellation(
        booking,
        refund_minor=booking.kept_minor,
        refund_reason="retreat_cancelled",
        email_kind="retreat_cancelled",
        actor_id=actor_id,
        audit_detail="retreat cancelled, {refund} refunded",
        now=now,
    )
    db.session.flush()  # the refunds' ids, for sending them after the commit
    result.bookings_cancelled += 1
    result.refund_minor += sum(refund.amount_minor for refund in refunds)
    result.refund_ids += [refund.id for refund in refunds]


def _release_hold(
    booking: Booking, *, actor_id: int | None, now: datetime, result: RetreatCancellation
) -> None:
    """End an unpaid hold now: its seats are free, and the sweep's rules close its session."""
    booking.hold_expires_at = min(booking.hold_expires_at, now)
    result.holds_released.append(booking.id)
    record_audit(
        "booking.hold_released",
        actor_id=actor_id,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail="retreat cancelled before payment",
    )


def _close_waitlist(retreat_id: int) -> int:
    entries = db.session.execute(
        select(WaitlistEntry).where(
            WaitlistEntry.retreat_id == retreat_id,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
        )
    ).scalars()
    closed = 0
    for entry in entries:
        entry.status = WaitlistStatus.LAPSED
        closed += 1
    return closed


def _close_released_hold(booking_id: int, *, now: datetime) -> None:
    """Close a released hold's Checkout Session and mark it expired, as the expiry sweep does.

    A session paid a moment before it closed is applied, which refunds it (no seat is left in a
    cancelled retreat). On any failure the booking stays pending with a lapsed hold, which the
    worker's expiry sweep picks up.
    """
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or booking.status != BookingStatus.PENDING:
        return
    try:
        close_lapsed_hold(booking, now=now)
    except (PaymentGatewayError, DomainError) as error:
        db.session.rollback()
        log.error("Could not close the hold of %s now (the sweep retries): %s", booking_id, error)
