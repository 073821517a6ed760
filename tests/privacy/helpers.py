"""Helpers shared by the privacy tests: retreats that are over, bookings whose people answered
the four starting questions (the intake: dietary needs, ordinary; accessibility, an emergency
contact and hopes, private), and what the database holds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from retreats.booking.models import Booking
from retreats.booking.services import AttendeeDetails
from retreats.database import utcnow
from retreats.listings.models import Retreat
from retreats.organizer.listings.question_library import BY_KEY, STARTING_KEYS
from tests.factories import ADA, ADA_INTAKE, BEA, BEA_INTAKE, CY, CY_INTAKE, intake, paid_booking

# The label each starting question is answered under, by key; and in STARTING_KEYS order.
LABEL_OF = {key: BY_KEY[key]["label"] for key in STARTING_KEYS}
INTAKE_LABELS = tuple(LABEL_OF.values())
NO_INTAKE = ("",) * len(STARTING_KEYS)  # answered none of them, or purged
INTAKE_OF = {ADA.email: ADA_INTAKE, BEA.email: BEA_INTAKE, CY.email: CY_INTAKE}


def intake_tuple(answers: dict[str, str]) -> tuple[str, ...]:
    """Someone's intake answers (key → text) in STARTING_KEYS order, "" for those not given."""
    return tuple(answers.get(key, "") for key in STARTING_KEYS)


def paid_with_intake(retreat: Retreat, *people: AttendeeDetails, **options) -> Booking:
    """A paid booking whose people (ADA, BEA, CY) gave their intake answers with it."""
    given = intake(retreat, *(INTAKE_OF[person.email] for person in people or (ADA,)))
    return paid_booking(retreat, *people, answers=given, **options)


def end_retreat(db, retreat, *, days_ago: float) -> None:
    """Move a retreat (booked while it was ahead) so that it ended `days_ago` days ago."""
    ends_at = utcnow() - timedelta(days=days_ago)
    retreat.starts_at, retreat.ends_at = ends_at - timedelta(days=2), ends_at
    db.session.commit()


def raw_attendees(db, booking) -> list[dict]:
    """The booking's attendee rows as stored (no model)."""
    rows = db.session.execute(
        text("SELECT * FROM attendees WHERE booking_id = :id ORDER BY id"), {"id": booking.id}
    )
    return [dict(row._mapping) for row in rows]


def raw_answers(db, booking) -> list[dict]:
    """The booking's answer rows as stored (no model: a private answer comes back as its token,
    or None)."""
    rows = db.session.execute(
        text("SELECT * FROM answers WHERE booking_id = :id ORDER BY id"), {"id": booking.id}
    )
    return [dict(row._mapping) for row in rows]


def raw_row(db, table: str, row_id: int) -> dict:
    """One stored row of any table."""
    row = db.session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})  # noqa: S608
    return dict(row.one()._mapping)


def answers_of(db, booking: Booking | int) -> list[tuple[str, ...]]:
    """Each attendee's intake answers (STARTING_KEYS order), as the app reads them ("" for none,
    or once purged), for a booking or its id."""
    db.session.expire_all()
    booking = db.session.get(Booking, booking) if isinstance(booking, int) else booking
    given = {(answer.attendee_id, answer.label): answer.shown for answer in booking.answers}
    return [
        tuple(given.get((person.id, label), "") for label in INTAKE_LABELS)
        for person in booking.attendees
    ]
