"""Helpers shared by the privacy tests: retreats that are over, and what the database holds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from retreats.booking.models import Booking
from retreats.database import utcnow

INTAKE = ("dietary_needs", "accessibility_needs", "emergency_contact", "hopes")


def end_retreat(db, retreat, *, days_ago: float) -> None:
    """Move a retreat (booked while it was ahead) so that it ended `days_ago` days ago."""
    ends_at = utcnow() - timedelta(days=days_ago)
    retreat.starts_at, retreat.ends_at = ends_at - timedelta(days=2), ends_at
    db.session.commit()


def raw_attendees(db, booking) -> list[dict]:
    """The booking's attendee rows as stored (no model: encrypted columns come back as tokens)."""
    rows = db.session.execute(
        text("SELECT * FROM attendees WHERE booking_id = :id ORDER BY id"), {"id": booking.id}
    )
    return [dict(row._mapping) for row in rows]


def raw_row(db, table: str, row_id: int) -> dict:
    """One stored row of any table."""
    row = db.session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})  # noqa: S608
    return dict(row.one()._mapping)


def answers_of(db, booking: Booking | int) -> list[tuple[str, ...]]:
    """Each attendee's intake answers, as the app reads them (a booking, or its id)."""
    db.session.expire_all()
    booking = db.session.get(Booking, booking) if isinstance(booking, int) else booking
    return [tuple(getattr(person, name) for name in INTAKE) for person in booking.attendees]
