"""Scheduled mails of a booking: the preparation guide and the reminder before the start, and
for a booking with a deposit the reminders of its balance (before the due date and after it).

They are outbox rows with a `send_after` in the future, made when a booking is confirmed, moved
when the retreat's dates or guide change, and dropped when the booking or the retreat is
cancelled. Every function writes in the caller's transaction and never commits.

A booking made late gets what is already due at once: one made three days before the start
receives its guide straight after the confirmation and its reminder a day later; one made a day
before receives both at once. A mail already sent is never sent again, even when the dates move.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from retreats.base.outbox import OutboxEmail, OutboxStatus, queue_mail_about_booking
from retreats.booking.models import Booking, BookingStatus
from retreats.extensions import db
from retreats.listings.models import Retreat

GUIDE = "preparation_guide"
REMINDER = "reminder"
SCHEDULED_KINDS = (GUIDE, REMINDER)
REMINDER_DAYS_BEFORE = 2
# A balance's reminders, by when they go relative to its due date. The one after it goes only
# where the grace period leaves time for it before the booking would be cancelled.
BALANCE_REMINDERS = {
    "balance_reminder_early": timedelta(days=-14),
    "balance_reminder_late": timedelta(days=-3),
    "balance_overdue": timedelta(days=1),
}


def has_guide(retreat: Retreat) -> bool:
    """The organizer wrote a guide or uploaded one: there is something to send."""
    return bool((retreat.preparation_guide_md or "").strip() or retreat.preparation_guide_pdf)


def guide_due_at(retreat: Retreat, *, now: datetime) -> datetime:
    return max(now, retreat.starts_at - timedelta(days=retreat.guide_days_before))


def reminder_due_at(retreat: Retreat, *, now: datetime) -> datetime:
    return max(now, retreat.starts_at - timedelta(days=REMINDER_DAYS_BEFORE))


def schedule_booking_emails(booking: Booking, *, now: datetime) -> None:
    """Queue the guide (if the retreat has one) and the reminder of a just-confirmed booking."""
    retreat = booking.retreat
    if retreat.starts_at <= now:
        return  # paid after the start: there is nothing left to prepare or remind of
    if has_guide(retreat):
        queue_mail_about_booking(
            GUIDE, booking.id, booking.contact_email, send_after=guide_due_at(retreat, now=now)
        )
    queue_mail_about_booking(
        REMINDER, booking.id, booking.contact_email, send_after=reminder_due_at(retreat, now=now)
    )
    if booking.balance_due_at is not None:
        schedule_balance_reminders(booking, now=now)


def schedule_balance_reminders(booking: Booking, *, now: datetime) -> None:
    """Queue the reminders of a balance that are still ahead; move unsent ones to a new due
    date (one already sent is not sent again). Each goes once: its kind is its key."""
    unsent = {
        email.kind: email
        for email in _unsent_rows(OutboxEmail.booking_id == booking.id, kinds=BALANCE_REMINDERS)
    }
    for kind, send_at in balance_reminder_times(booking).items():
        if kind in unsent:
            unsent.pop(kind).send_after = send_at
        elif send_at > now:
            queue_mail_about_booking(kind, booking.id, booking.contact_email, send_after=send_at)
    for email in unsent.values():  # its time went away with the new due date
        email.status = OutboxStatus.DROPPED


def balance_reminder_times(booking: Booking) -> dict[str, datetime]:
    grace = timedelta(days=booking.retreat.balance_grace_days)
    return {
        kind: booking.balance_due_at + offset
        for kind, offset in BALANCE_REMINDERS.items()
        if offset < grace
    }


def reschedule_retreat_emails(retreat: Retreat, *, now: datetime) -> None:
    """Follow a change of the retreat's start, guide days or guide in its bookings' mails.

    Unsent guides and reminders move to their new time; a guide added where there was none is
    queued for every confirmed booking (and one dropped because the guide was removed comes back);
    a guide removed drops the unsent ones. A retreat moved into the past drops them all.
    """
    of_confirmed_bookings = OutboxEmail.booking_id.in_(
        select(Booking.id).where(
            Booking.retreat_id == retreat.id, Booking.status == BookingStatus.CONFIRMED
        )
    )
    if retreat.starts_at <= now:
        for email in _unsent_rows(of_confirmed_bookings):
            email.status = OutboxStatus.DROPPED
        return
    guide_at, reminder_at = guide_due_at(retreat, now=now), reminder_due_at(retreat, now=now)
    with_guide = has_guide(retreat)
    if with_guide:
        for booking_id, contact_email in _confirmed_bookings(retreat.id):
            queue_mail_about_booking(GUIDE, booking_id, contact_email, send_after=guide_at)
    for email in _unsent_rows(of_confirmed_bookings, also_dropped=True):
        if email.kind == REMINDER:
            if email.status == OutboxStatus.PENDING:
                email.send_after = reminder_at
        elif with_guide:
            email.status = OutboxStatus.PENDING
            email.send_after = guide_at
        else:
            email.status = OutboxStatus.DROPPED


def drop_booking_emails(booking_id: int) -> None:
    """The booking is cancelled: its unsent guide and reminders will never go out."""
    which = OutboxEmail.booking_id == booking_id
    for email in _unsent_rows(which, kinds=(*SCHEDULED_KINDS, *BALANCE_REMINDERS)):
        email.status = OutboxStatus.DROPPED


def _confirmed_bookings(retreat_id: int) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Booking.id, Booking.contact_email)
        .where(Booking.retreat_id == retreat_id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.id)
    )
    return [(booking_id, contact_email) for booking_id, contact_email in rows]


def _unsent_rows(which, *, also_dropped: bool = False, kinds=SCHEDULED_KINDS) -> list[OutboxEmail]:
    """Unsent rows of `kinds` (the guide and the reminder) matching `which`, locked against a
    second writer.

    A row a worker is sending right now is skipped (PostgreSQL SKIP LOCKED): it is due anyway,
    and if its booking is no longer confirmed the message builder drops it at send time.
    """
    statuses = [OutboxStatus.PENDING]
    if also_dropped:
        statuses.append(OutboxStatus.DROPPED)
    return list(
        db.session.execute(
            select(OutboxEmail)
            .where(
                which,
                OutboxEmail.kind.in_(list(kinds)),
                OutboxEmail.status.in_(statuses),
            )
            .order_by(OutboxEmail.id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).scalars()
    )
