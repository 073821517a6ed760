"""Many people spending one gift voucher at the same moment, on real PostgreSQL: the voucher's
row lock lets each hold read what is left only after the one before has written what it took,
so it is never spent beyond its amount.

The holds are for different retreats, so the retreat's lock does not serialise them: only the
voucher's lock does. Run with GIFT_VOUCHER_RACE_WITHOUT_LOCK=1 to take that lock away (the
voucher is then read like any row): the test fails, as it should.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from retreats.booking.cancellation import cancel_booking
from retreats.booking.services import AttendeeDetails, hold_seats
from retreats.gift_vouchers import balance
from retreats.gift_vouchers.balance import voucher_left_minor
from retreats.payments.models import Payment, PaymentKind, PaymentStatus
from tests.factories import create_gift_voucher, held_booking
from tests.races import all_at_once

pytestmark = pytest.mark.slow

ATTEMPTS = 24
RETREATS = 6
VOUCHER_MINOR = 60_000  # two €250 tickets and €100 of a third, then nothing
JOIN_SECONDS = 60


@pytest.fixture
def database_backend() -> str:
    return "postgresql"


@pytest.fixture(autouse=True)
def without_the_voucher_lock_when_asked(monkeypatch, db):
    """The check that this test can fail: the voucher read without its row lock."""
    if os.environ.get("GIFT_VOUCHER_RACE_WITHOUT_LOCK"):
        monkeypatch.setattr(
            balance, "lock_row", lambda model, row_id, **_: db.session.get(model, row_id)
        )


def race(app, db, step: Callable[[int], str], attempts: int = ATTEMPTS) -> list[str]:
    """Run `step(number)` in `attempts` threads started together (tests/races.py); what each
    step answered. None may be asked to try again."""
    outcomes = all_at_once(app, step, attempts=attempts, join_seconds=JOIN_SECONDS)
    assert "try again" not in outcomes
    return outcomes


def spending_hold(targets, code: str) -> Callable[[int], str]:
    """A step that holds an individual ticket of one of `targets`, paid with the voucher."""

    def hold(number: int) -> str:
        retreat_id, ticket_id = targets[number % len(targets)]
        email = f"guest{number}@example.org"
        hold_seats(
            retreat_id=retreat_id,
            ticket_type_id=ticket_id,
            contact_email=email,
            attendees=[AttendeeDetails(f"Guest {number}", email)],
            gift_voucher_code=code,
        )
        return "held"

    return hold


def taken_from(db, voucher_id: int, *, leaving_out: Sequence[int] = ()) -> list[int]:
    """The voucher payments that hold or took money from it (but those of the bookings
    `leaving_out`)."""
    db.session.expire_all()
    return db.session.scalars(
        select(Payment.amount_minor).where(
            Payment.gift_voucher_id == voucher_id,
            Payment.kind == PaymentKind.VOUCHER,
            Payment.status.in_([PaymentStatus.OPEN, PaymentStatus.SUCCEEDED]),
            Payment.booking_id.not_in(leaving_out),
        )
    ).all()


def test_a_voucher_spent_by_many_holds_at_once_is_never_spent_beyond_its_amount(
    app, db, make_retreat, organizer
):
    retreats = [make_retreat(capacity=ATTEMPTS) for _ in range(RETREATS)]
    targets = [(retreat.id, retreat.ticket_types[0].id) for retreat in retreats]
    voucher = create_gift_voucher(organizer, VOUCHER_MINOR)
    code = voucher.code  # read here: the threads have sessions of their own

    outcomes = race(app, db, spending_hold(targets, code))

    taken = taken_from(db, voucher.id)
    assert sum(taken) <= VOUCHER_MINOR
    assert voucher_left_minor(voucher) >= 0
    # Exactly what it had was spent: two whole tickets, then what was left of it.
    assert sorted(taken) == [10_000, 25_000, 25_000]
    assert outcomes.count("held") == 3
    assert db.session.scalar(select(func.count(Payment.id))) == 3


def test_holds_racing_bookings_that_give_their_part_back_never_overspend_it(
    app, db, make_retreat, organizer
):
    """Two bookings the voucher paid are cancelled (their part refunded onto it, without a
    lock) while the others spend what they give back."""
    # Far enough ahead for a full refund under the default policy.
    retreats = [
        make_retreat(capacity=ATTEMPTS, starts_in=timedelta(days=90)) for _ in range(RETREATS)
    ]
    targets = [(retreat.id, retreat.ticket_types[0].id) for retreat in retreats]
    voucher = create_gift_voucher(organizer, VOUCHER_MINOR)
    code = voucher.code
    # Covered by the voucher, so confirmed in their holds: 10,000 stays on it.
    ending = [held_booking(retreats[0], gift_voucher_code=code).id for _ in range(2)]
    hold = spending_hold(targets, code)

    def step(number: int) -> str:
        if number < len(ending):
            cancel_booking(booking_id=ending[number])
            return "cancelled"
        return hold(number)

    outcomes = race(app, db, step)

    taken = taken_from(db, voucher.id, leaving_out=ending)
    assert outcomes.count("cancelled") == 2
    assert sum(taken) <= VOUCHER_MINOR  # the 10,000 left, and the 50,000 given back
    assert voucher_left_minor(voucher) >= 0
    assert outcomes.count("held") == len(taken) >= 1
    # Each hold took all it could: a whole ticket, or what was left when it came.
    assert sorted(taken)[1:] == [25_000] * (len(taken) - 1)
