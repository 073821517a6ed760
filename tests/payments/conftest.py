"""Every test here runs on SQLite and on PostgreSQL."""

import pytest

from retreats.booking.models import Booking
from tests.conftest import BOTH_DATABASES
from tests.factories import attendee, held_booking


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param


@pytest.fixture
def pending_booking(make_retreat) -> Booking:
    """A couple booking holding two of a retreat's four seats, not yet paid."""
    retreat = make_retreat(capacity=4)
    return held_booking(retreat, attendee("ada@example.org", "Ada"), attendee(None, "Bea"))
