"""Many people booking one retreat at once, mixed with expiries, cancellations and late payments.

Each round starts 60 threads together on a barrier. Each thread does one seeded-random step:
hold an individual or a couple ticket, expire or cancel a pending booking, confirm one (the
webhook), or pay for one that had already expired (a late webhook). After every round the
database must say: never more seats taken than exist, every booking in a lifecycle state, every
hold told "held" or "sold out", every thread finished. A seat lock that cannot be had in time
is a friendly "please try again" that writes nothing, in the service and over HTTP.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from retreats import create_app
from retreats.base.outbox import OutboxEmail
from retreats.booking.capacity import seats_taken
from retreats.booking.models import Attendee, Booking, BookingStatus
from retreats.booking.services import (
    AttendeeDetails,
    Payment,
    cancel_unpaid_booking,
    confirm_booking,
    expire_booking,
    hold_seats,
)
from retreats.database import utcnow
from retreats.errors import SoldOut, TryAgain
from retreats.extensions import db as _db
from tests.conftest import csrf_token_from, plain_url
from tests.races import run_as_another_request

# Left out of `make test-quick`: many threads and processes booking at once.
pytestmark = pytest.mark.slow

THREADS = 60
CAPACITY = 24
SEED = 20_260_611
JOIN_TIMEOUT_SECONDS = 90
# How likely each action is in a round. Busy: mostly new holds racing for a full retreat (the
# first busy round has nothing else to do, so it only holds). Free: unpaid bookings end. Late:
# payments for bookings that expired, racing the few new holds for the seats that came free.
BUSY = {"hold 1": 28, "hold 2": 28, "expire": 12, "cancel": 12, "confirm": 8, "late": 12}
FREE = {"hold 1": 2, "hold 2": 2, "expire": 42, "cancel": 42, "confirm": 6, "late": 6}
LATE = {"hold 1": 5, "hold 2": 5, "expire": 8, "cancel": 8, "confirm": 8, "late": 66}
ROUNDS = [BUSY, BUSY, FREE, LATE, BUSY, FREE, LATE, BUSY]

SHORT_LOCK_TIMEOUT_MS = 200
QUICK_ANSWER_SECONDS = 3  # the SQLite busy timeout is at least 1 s, PostgreSQL's here 0.2 s


@dataclass(frozen=True)
class Step:
    """One thread's part in a round: an action and, except for holds, the booking it acts on."""

    action: str
    booking_id: int | None = None
    amount_minor: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Outcome:
    step: Step
    result: str  # held, sold out, try again, changed, unchanged, a booking status, raised
    booking_id: int | None = None
    seats: int = 0
    error: str = ""


@dataclass(frozen=True)
class Snapshot:
    """The bookings as they stood before a round, which its steps pick their targets from."""

    cancellable: list[Booking]  # pending, even id: cancelled by the visitor
    payable: list[Booking]  # pending, odd id: paid, or expired by the sweeper
    expired_unpaid: list[Booking]  # expired with no payment yet: a late payment may come


def take_snapshot(retreat_id: int) -> Snapshot:
    bookings = all_bookings(retreat_id)
    pending = [b for b in bookings if b.status == BookingStatus.PENDING]
    return Snapshot(
        cancellable=[b for b in pending if b.id % 2 == 0],
        payable=[b for b in pending if b.id % 2 == 1],
        expired_unpaid=[
            b for b in bookings if b.status == BookingStatus.EXPIRED and b.payment_intent_id is None
        ],
    )


def plan_round(rng: random.Random, snapshot: Snapshot, weights: dict[str, int]) -> list[Step]:
    """THREADS seeded-random steps; an action with nothing to act on becomes a hold."""
    targets = {
        "cancel": snapshot.cancellable,
        "expire": snapshot.payable,
        "confirm": snapshot.payable,
        "late": snapshot.expired_unpaid,
    }
    steps = []
    for action in rng.choices(list(weights), weights=list(weights.values()), k=THREADS):
        if action.startswith("hold"):
            steps.append(Step(action))
        elif not targets[action]:
            steps.append(Step(rng.choice(["hold 1", "hold 2"])))
        else:
            booking = rng.choice(targets[action])
            steps.append(Step(action, booking.id, booking.amount_minor, booking.currency))
    return steps


def perform(step: Step, *, retreat_id: int, tickets: dict[int, int], number: int) -> Outcome:
    """Call the one service the step stands for and say what it answered."""
    if step.action.startswith("hold"):
        seats = int(step.action.split()[1])
        people = [AttendeeDetails(f"Guest {number}-{n}", f"g{number}@example.org") for n in "ab"]
        try:
            booking = hold_seats(
                retreat_id=retreat_id,
                ticket_type_id=tickets[seats],
                contact_email=f"g{number}@example.org",
                attendees=people[:seats],
            )
        except SoldOut:
            return Outcome(step, "sold out")
        except TryAgain as error:
            return Outcome(step, "try again", error=error.message)
        return Outcome(step, "held", booking.id, seats)
    if step.action in ("expire", "cancel"):
        end = expire_booking if step.action == "expire" else cancel_unpaid_booking
        changed = end(booking_id=step.booking_id)
        return Outcome(step, "changed" if changed else "unchanged", step.booking_id)
    payment = Payment(
        checkout_session_id=f"cs_test_{step.booking_id}",
        payment_intent_id=f"pi_test_{step.booking_id}",
        amount_minor=step.amount_minor,
        currency=step.currency,
    )
    booking = confirm_booking(booking_id=step.booking_id, payment=payment)
    return Outcome(step, str(booking.status), step.booking_id)


def run_round(
    app, db, steps: list[Step], *, perform_step=perform, **context
) -> list[Outcome | None]:
    """Start one thread per step together (each runs `perform_step`); every thread must finish
    in time."""
    start = threading.Barrier(len(steps))
    outcomes: list[Outcome | None] = [None] * len(steps)

    def work(number: int, step: Step) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                outcomes[number] = perform_step(step, number=number, **context)
            except BaseException as error:  # anything unexpected is a finding, reported below
                outcomes[number] = Outcome(step, "raised", error=repr(error))
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=work, args=(number, step), daemon=True)
        for number, step in enumerate(steps)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT_SECONDS
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 0))
    stuck = sum(thread.is_alive() for thread in threads)
    assert stuck == 0, f"{stuck} thread(s) still running after {JOIN_TIMEOUT_SECONDS} s: deadlock?"
    return outcomes


def all_bookings(retreat_id: int) -> list[Booking]:
    _db.session.expire_all()
    query = select(Booking).where(Booking.retreat_id == retreat_id).order_by(Booking.id)
    return list(_db.session.execute(query).scalars())


def lifecycle_problem(booking: Booking, now: datetime) -> str | None:
    """What is wrong with a booking's state, judged by the lifecycle in DESIGN.md."""
    paid = booking.payment_intent_id is not None
    if booking.status == BookingStatus.PENDING:
        if booking.confirmed_at or booking.expired_at or booking.cancelled_at or paid:
            return "pending but marked confirmed, expired, cancelled or paid"
        if booking.hold_expires_at <= now:
            return "pending with a lapsed hold (nothing here lets a hold run out)"
    elif booking.status == BookingStatus.CONFIRMED:
        if booking.confirmed_at is None or not paid or not booking.checkout_session_id:
            return "confirmed without confirmed_at or a payment"
        if booking.cancelled_at is not None:
            return "confirmed after the visitor cancelled it"
    elif booking.status == BookingStatus.EXPIRED:
        if booking.expired_at is None or booking.confirmed_at is not None:
            return "expired without expired_at, or with confirmed_at"
    elif booking.status == BookingStatus.CANCELLED:
        if booking.cancelled_at is None or booking.confirmed_at is not None or paid:
            return "cancelled without cancelled_at, or confirmed, or paid"
    else:
        return f"unknown status {booking.status!r}"
    return None


def check_database(retreat_id: int, *, held: dict[int, int], when: str) -> list[Booking]:
    """The invariants, read afresh from the database; returns the bookings."""
    now = utcnow()
    bookings = all_bookings(retreat_id)
    taken = seats_taken(retreat_id, now=now)
    assert taken <= CAPACITY, f"{when}: {taken} seats taken of {CAPACITY} (seed {SEED})"
    confirmed = sum(b.seats for b in bookings if b.status == BookingStatus.CONFIRMED)
    assert confirmed <= CAPACITY, f"{when}: {confirmed} seats confirmed of {CAPACITY}"
    assert {b.id: b.seats for b in bookings} == held, f"{when}: rows differ from 'held' answers"
    live = [
        b
        for b in bookings
        if b.status == BookingStatus.CONFIRMED
        or (b.status == BookingStatus.PENDING and b.hold_expires_at > now)
    ]
    assert sum(b.seats for b in live) == taken, f"{when}: live bookings' seats != seats_taken"
    problems = {b.reference: lifecycle_problem(b, now) for b in bookings}
    assert not {ref: p for ref, p in problems.items() if p}, f"{when}: {problems}"
    return bookings


def check_answers(outcomes: list[Outcome | None], *, when: str) -> None:
    """Every thread answered; a hold was held or sold out; nothing else was raised."""
    assert all(outcomes), f"{when}: {outcomes.count(None)} thread(s) gave no answer"
    wrong = [
        o
        for o in outcomes
        if o.result in ("raised", "try again")
        or (o.step.action.startswith("hold") and o.result not in ("held", "sold out"))
        or (o.step.action in ("confirm", "late") and o.result not in set(BookingStatus))
    ]
    assert not wrong, f"{when} (seed {SEED}): unexpected answers {wrong}"


def check_payments(bookings: list[Booking], outcomes: list[Outcome], *, when: str) -> None:
    """A paid booking is confirmed, or it was expired first and is left to refund."""
    paid_ids = {o.booking_id for o in outcomes if o.step.action in ("confirm", "late")}
    for booking in bookings:
        if booking.id in paid_ids and booking.status != BookingStatus.CONFIRMED:
            assert booking.status == BookingStatus.EXPIRED, f"{when}: paid and {booking.status}"
            assert booking.payment_intent_id, f"{when}: unseated payment not recorded"


def test_mixed_traffic_never_oversells_and_every_attempt_gets_an_answer(app, db, make_retreat):
    retreat = make_retreat(capacity=CAPACITY)
    tickets = {t.seats_per_ticket: t.id for t in retreat.ticket_types}
    held: dict[int, int] = {}
    every_outcome: list[Outcome] = []
    for number, weights in enumerate(ROUNDS):
        when = f"after round {number + 1}"
        rng = random.Random(f"{SEED}-{number}")
        steps = plan_round(rng, take_snapshot(retreat.id), weights)
        outcomes = run_round(app, db, steps, retreat_id=retreat.id, tickets=tickets)
        check_answers(outcomes, when=when)
        held |= {o.booking_id: o.seats for o in outcomes if o.result == "held"}
        bookings = check_database(retreat.id, held=held, when=when)
        check_payments(bookings, outcomes, when=when)
        every_outcome += outcomes
        if number == 0:
            assert seats_taken(retreat.id) >= CAPACITY - 1, "the first burst fills the retreat"

    results = Counter((o.step.action, o.result) for o in every_outcome)
    assert results["hold 1", "sold out"] + results["hold 2", "sold out"] > 0, results
    assert results["hold 1", "held"] + results["hold 2", "held"] > CAPACITY, results
    assert results["expire", "changed"] and results["cancel", "changed"], results
    assert results["confirm", "confirmed"] and results["late", "confirmed"], results
    confirmed = [b for b in all_bookings(retreat.id) if b.status == BookingStatus.CONFIRMED]
    emails = (
        db.session.execute(select(OutboxEmail.booking_id).where(OutboxEmail.kind == "confirmation"))
        .scalars()
        .all()
    )
    assert sorted(emails) == sorted(b.id for b in confirmed), "one confirmation per booking"
    notices = (
        db.session.execute(
            select(OutboxEmail.booking_id).where(OutboxEmail.kind == "organizer_new_booking")
        )
        .scalars()
        .all()
    )
    assert sorted(notices) == sorted(b.id for b in confirmed), "one organizer notice per booking"


# A seat lock that cannot be had in time


@dataclass(frozen=True)
class LockedRetreat:
    id: int
    slug: str
    individual_ticket_id: int


@pytest.fixture
def seat_lock_taken(database_backend, database_url, make_retreat) -> Iterator[LockedRetreat]:
    """Another connection holds the retreat's seat lock, in an open transaction.

    PostgreSQL: FOR NO KEY UPDATE, which blocks the seat lock (FOR UPDATE) but not the foreign
    key check of a new booking (FOR KEY SHARE), so only the seat lock can make a hold wait.
    SQLite: the one write lock (BEGIN IMMEDIATE).
    """
    retreat = make_retreat(capacity=CAPACITY)
    locked = LockedRetreat(retreat.id, retreat.slug, retreat.ticket_types[0].id)
    if database_backend == "postgresql":
        holder = psycopg.connect(plain_url(database_url))
        holder.execute("SELECT id FROM retreats WHERE id = %s FOR NO KEY UPDATE", (locked.id,))
    else:
        path = Path(database_url.removeprefix("sqlite:///"))
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
    try:
        yield locked
    finally:
        holder.rollback() if database_backend == "postgresql" else holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def short_lock_app(app, app_config, seat_lock_taken):
    """A second app on the same database that waits at most 200 ms for the seat lock.

    On SQLite the wait is the connection's busy timeout, fixed when the app is built, hence a
    second app rather than a changed setting. Its context is the current one during the test.
    """
    impatient = create_app(app_config | {"SEAT_LOCK_TIMEOUT_MS": SHORT_LOCK_TIMEOUT_MS})
    with impatient.app_context():
        yield impatient
        _db.session.remove()
        _db.engine.dispose()


def nothing_written() -> bool:
    _db.session.rollback()
    counts = [_db.session.query(model).count() for model in (Booking, Attendee, OutboxEmail)]
    return counts == [0, 0, 0]


def test_a_seat_lock_not_had_in_time_is_a_kind_try_again(seat_lock_taken, short_lock_app):
    def book() -> Booking:
        return hold_seats(
            retreat_id=seat_lock_taken.id,
            ticket_type_id=seat_lock_taken.individual_ticket_id,
            contact_email="ada@example.org",
            attendees=[AttendeeDetails("Ada Lovelace", "ada@example.org")],
        )

    with pytest.raises(TryAgain) as raised:
        run_as_another_request(short_lock_app, book, timeout=QUICK_ANSWER_SECONDS)
    assert "Please try again in a moment" in raised.value.message
    assert raised.value.status_code == 503
    assert nothing_written()


def test_the_booking_page_says_try_again_when_the_seat_lock_is_busy(
    seat_lock_taken, short_lock_app
):
    browser = short_lock_app.test_client()
    form_url = f"/retreats/{seat_lock_taken.slug}/book"
    page = browser.get(form_url)
    assert page.status_code == 200
    form = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "ticket_type": str(seat_lock_taken.individual_ticket_id),
        "attendees-0-name": "Ada Lovelace",
        "attendees-0-email": "ada@example.org",
        "code_of_conduct": "y",
    }
    response = run_as_another_request(
        short_lock_app, lambda: browser.post(form_url, data=form), timeout=QUICK_ANSWER_SECONDS
    )
    assert response.status_code == 503
    assert "Please try again in a moment" in response.get_data(as_text=True)
    assert nothing_written()
