"""Retention: the private answers are deleted some days after the retreat ends.

Accessibility needs, emergency contacts, hopes and dietary needs (each attendee's), and the room
share wish (a single guest's wish about whom to share a room with, kept on their booking) serve
only the retreat itself; PRIVATE_ANSWERS_RETENTION_DAYS after it ended the answers are set to ""
and the wish to None (`flask --app wsgi privacy purge`, and the outbox worker once a day). Names,
emails, the named room and the financial record stay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from retreats.booking.models import Attendee, Booking
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Every answer an attendee gave on the booking form; dietary needs too (often health or faith).
INTAKE_ANSWERS = ("dietary_needs", "accessibility_needs", "emergency_contact", "hopes")
PURGE_INTERVAL_SECONDS = 24 * 60 * 60
# A purge that failed (the database restarting, say) is tried again this much later.
PURGE_RETRY_SECONDS = 60 * 60


def retention_cutoff(*, now: datetime | None = None) -> datetime:
    """Retreats that ended before this moment have had their answers kept long enough."""
    days = current_app.config["PRIVATE_ANSWERS_RETENTION_DAYS"]
    return (now or utcnow()) - timedelta(days=days)


def clear_intake_answers(attendee: Attendee) -> bool:
    """Set every intake answer of one attendee to ""; True when there was anything to clear."""
    changed = False
    for name in INTAKE_ANSWERS:
        if getattr(attendee, name):
            setattr(attendee, name, "")
            changed = True
    return changed


def clear_room_share_wish(booking: Booking) -> bool:
    """Forget a booking's room share wish; True when it had one."""
    if booking.room_share_with is None:
        return False
    booking.room_share_with = None
    return True


def clear_private_answers(attendee: Attendee) -> bool:
    """Clear one attendee's intake answers and, for the booker, their booking's room share wish
    (the wish of a single guest, who is its booker); True when there was anything to clear."""
    cleared = clear_intake_answers(attendee)
    if attendee.position == 0:
        cleared = clear_room_share_wish(attendee.booking) or cleared
    return cleared


def purge_private_answers(*, now: datetime | None = None) -> int:
    """Clear the private answers (intake answers, room share wishes) of attendees of retreats
    that ended before the retention cutoff; returns how many attendees had any. Each retreat is
    done once: its attendees in batches, each batch committed on its own, then the retreat is
    marked purged, so repeats read nothing.
    """
    now = now or utcnow()
    cutoff = retention_cutoff(now=now)
    due = db.session.scalars(
        select(Retreat.id).where(
            Retreat.ends_at < cutoff, Retreat.private_answers_purged_at.is_(None)
        )
    ).all()
    purged = 0
    for retreat_id in due:
        purged += _purge_retreat(retreat_id)
        db.session.execute(
            update(Retreat).where(Retreat.id == retreat_id).values(private_answers_purged_at=now)
        )
        db.session.commit()
    return purged


def _purge_retreat(retreat_id: int) -> int:
    purged, last_id = 0, 0
    while True:
        attendees = list(
            db.session.scalars(
                select(Attendee)
                .join(Booking, Booking.id == Attendee.booking_id)
                .options(contains_eager(Attendee.booking))  # the wish, read in the same query
                .where(Booking.retreat_id == retreat_id, Attendee.id > last_id)
                .order_by(Attendee.id)
                .limit(BATCH_SIZE)
            )
        )
        if not attendees:
            return purged
        purged += sum(clear_private_answers(attendee) for attendee in attendees)
        last_id = attendees[-1].id
        db.session.commit()  # the identity map holds rows weakly: one batch in memory at a time


class DailyPurge:
    """The worker's once-a-day purge: on its first round, then every 24 hours of its loop."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.next_run: float | None = None  # None: not run yet, so due now

    def run_if_due(self) -> int | None:
        """Purge when due; returns how many attendees were purged, or None when not due or on
        failure (logged, never raised: the worker keeps sending mail)."""
        now = self.clock()
        if self.next_run is not None and now < self.next_run:
            return None
        try:
            purged = purge_private_answers()
        except Exception:
            log.exception("Purging old private answers failed; trying again in an hour")
            db.session.rollback()
            self.next_run = now + PURGE_RETRY_SECONDS
            return None
        self.next_run = now + PURGE_INTERVAL_SECONDS
        if purged:
            log.info("Purged the private answers of %s attendee(s)", purged)
        return purged
