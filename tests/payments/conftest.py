"""Every test here runs on SQLite and on PostgreSQL."""

import pytest

from retreats.booking.models import Booking
from retreats.booking.services import AttendeeDetails, hold_seats


@pytest.fixture(params=["sqlite", "postgresql"])
def database_backend(request) -> str:
    return request.param


@pytest.fixture
def pending_booking(make_retreat) -> Booking:
    """A couple booking holding two of a retreat's four seats, not yet paid."""
    retreat = make_retreat(capacity=4)
    couple = next(t for t in retreat.ticket_types if t.seats_per_ticket == 2)
    return hold_seats(
        retreat_id=retreat.id,
        ticket_type_id=couple.id,
        contact_email="ada@example.org",
        attendees=[AttendeeDetails("Ada", "ada@example.org"), AttendeeDetails("Bea", None)],
    )
