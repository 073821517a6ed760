"""A retreat's rule for unpaid balances changed: the bookings that still owe one follow it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.email_schedule import (
    BALANCE_REMINDERS,
    balance_reminder_times,
    schedule_balance_reminders,
)
from retreats.booking.models import Booking, BookingStatus
from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.payments.ledger import paid_sum


def follow_new_grace_period(retreat: Retreat, *, now: datetime) -> None:
    """The reminder after a due date goes only where the grace period leaves time for it
    (email_schedule.balance_reminder_times): add it back, or drop it, for every booking of the
    retreat still owing its balance. In the caller's transaction."""
    owing = db.session.scalars(
        select(Booking)
        .where(
            Booking.retreat_id == retreat.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.balance_due_at.is_not(None),
            Booking.amount_minor > paid_sum(Booking.id),
        )
        .order_by(Booking.id)
    ).all()
    for booking in owing:
        _take_back_dropped_reminders(booking, now=now)
        schedule_balance_reminders(booking, now=now)


def _take_back_dropped_reminders(booking: Booking, *, now: datetime) -> None:
    """A reminder dropped under a shorter grace period keeps its key, so it cannot be queued
    anew: made pending again here when the new period has time for it (it is moved to its
    time by schedule_balance_reminders)."""
    wanted = {kind for kind, at in balance_reminder_times(booking).items() if at > now}
    dropped = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == booking.id,
            OutboxEmail.kind.in_(list(BALANCE_REMINDERS)),
            OutboxEmail.status == OutboxStatus.DROPPED,
        )
    )
    for email in dropped:
        if email.kind in wanted:
            email.status = OutboxStatus.PENDING
