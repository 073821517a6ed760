"""Retention: the answers are deleted some days after the retreat ends.

Every answer to the retreat's own questions, ordinary or private (dietary needs, accessibility
needs, an emergency contact, hopes, health...: an ordinary answer can be about health or faith
too), and the room share wish (a single guest's wish about whom to share a room with, kept on
their booking) serve only the retreat itself; PRIVATE_ANSWERS_RETENTION_DAYS after it ended
their texts and the wish are set to None (`flask --app wsgi privacy purge`, and the outbox
worker once a day). Names, emails, the named room, the financial record and the consents (the
record of what each person agreed to) stay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import contains_eager

from retreats.booking.models import Answer, Attendee, Booking
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.listings.questions import QuestionKind

log = logging.getLogger(__name__)

BATCH_SIZE = 500
PURGE_INTERVAL_SECONDS = 24 * 60 * 60
# A purge that failed (the database restarting, say) is tried again this much later.
PURGE_RETRY_SECONDS = 60 * 60


def retention_cutoff(*, now: datetime | None = None) -> datetime:
    """Retreats that ended before this moment have had their answers kept long enough."""
    days = current_app.config["PRIVATE_ANSWERS_RETENTION_DAYS"]
    return (now or utcnow()) - timedelta(days=days)


def clear_room_share_wish(booking: Booking) -> bool:
    """Forget a booking's room share wish; True when it had one."""
    if booking.room_share_with is None:
        return False
    booking.room_share_with = None
    return True


def clear_question_answers(attendees: list[Attendee]) -> set[int]:
    """Empty every answer to the retreat's own questions given by `attendees` (and, for a
    booker, those asked of their booking), ordinary and private, consents apart; returns the
    ids of the attendees who had any. Done in SQL on the ids alone: no answer is decrypted to
    be forgotten."""
    booker_of = {person.booking_id: person.id for person in attendees if person.position == 0}
    mine = or_(
        Answer.attendee_id.in_([person.id for person in attendees]),
        and_(Answer.attendee_id.is_(None), Answer.booking_id.in_(list(booker_of))),
    )
    purgeable = and_(
        mine,
        Answer.kind != QuestionKind.CONSENT,  # the record of what was agreed to stays
        or_(Answer.text.is_not(None), Answer.private_text.is_not(None)),
    )
    found = db.session.execute(select(Answer.attendee_id, Answer.booking_id).where(purgeable))
    answered = {attendee_id or booker_of[booking_id] for attendee_id, booking_id in found}
    if answered:
        db.session.execute(
            update(Answer).where(purgeable).values(text=None, private_text=None),
            execution_options={"synchronize_session": False},
        )
    return answered


def purge_private_answers(*, now: datetime | None = None) -> int:
    """Clear the answers (every answer to the retreat's own questions, ordinary and private,
    consents apart; room share wishes) of attendees of retreats that ended before the retention
    cutoff; returns how many attendees had any (an answer asked of a booking counts for its
    booker). Each retreat is done once: its attendees in batches, each batch committed on its
    own, then the retreat is marked purged, so repeats read nothing.
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
        answered = clear_question_answers(attendees)
        # The room share wish is the single guest's, who is the booking's booker.
        wished = {
            person.id
            for person in attendees
            if person.position == 0 and clear_room_share_wish(person.booking)
        }
        purged += len(answered | wished)
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
            log.exception("Purging old answers failed; trying again in an hour")
            db.session.rollback()
            self.next_run = now + PURGE_RETRY_SECONDS
            return None
        self.next_run = now + PURGE_INTERVAL_SECONDS
        if purged:
            log.info("Purged the answers of %s attendee(s)", purged)
        return purged
