"""Many people holding stays at once: the last suite, the last beds of a shared room (singles and
couples mixed) and the last units of a limited add-on, raced by threads, by processes on
PostgreSQL, and in the mixed traffic of tests/booking/test_concurrency.py (expiries,
cancellations, payments on time and late). Never more rooms, beds or units taken than exist, the
app's counts agree with the rows, and every refusal is a SoldOut beside the room or the add-ons.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from retreats import create_app
from retreats.booking.inventory import add_on_units_taken, room_left, rooms_taken
from retreats.booking.models import Booking, BookingLine
from retreats.booking.services import AttendeeDetails, hold_seats
from retreats.database import utcnow
from retreats.errors import SoldOut
from retreats.extensions import db as _db
from retreats.listings.models import AddOn, PricePer, Retreat, RoomType
from tests.booking.test_concurrency import (
    CAPACITY,
    ROUNDS,
    SEED,
    Outcome,
    Step,
    check_answers,
    check_database,
    check_payments,
    perform,
    plan_round,
    run_round,
    take_snapshot,
)
from tests.factories import add_add_on, add_room_type

# Left out of `make test-quick`: many threads and processes booking at once.
pytestmark = pytest.mark.slow

ON_POSTGRESQL = pytest.mark.parametrize(
    "database_backend", [pytest.param("postgresql", marks=pytest.mark.postgres)]
)
JOIN_TIMEOUT_SECONDS = 90
PLENTY = 100  # seats enough for every racer: only rooms, beds and add-on units run out


@pytest.fixture
def app_config(app_config):
    """A racer may wait longer for a pooled connection than the default 5 s: a stay's hold
    reads more under the lock than a seat's, on a machine the suite shares, and what is proved
    here is the counting (tests/booking/test_concurrency.py proves answers come in time)."""
    return app_config | {"DATABASE_POOL_TIMEOUT_SECONDS": 60}


@dataclass(frozen=True)
class StayPlan:
    """One visitor's choice: how many people, which room (a name, or None), and the add-ons."""

    seats: int
    room: str | None
    add_ons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stay:
    """The retreat raced for, by ids (threads and processes read nothing else from the test)."""

    retreat_id: int
    tickets: dict[int, int]  # seats per ticket → ticket type id
    rooms: dict[str, int]  # name → room type id
    add_ons: dict[str, int]  # name → add-on id


def stay_retreat(make_retreat, *, capacity: int, mixed: bool = False) -> Stay:
    """One sea-view suite, two shared twins and a massage of five slots (per person), or coming
    without a room; the mixed traffic also has two single rooms and four transfer seats (per
    booking)."""
    retreat = make_retreat(capacity=capacity, allows_no_accommodation=True)
    add_room_type(retreat, name="suite", rooms=1)
    add_room_type(retreat, name="twin", rooms=2, sleeps=2, shared=True)
    add_add_on(retreat, name="massage", quantity_limit=5, price_per=PricePer.PERSON)
    if mixed:
        add_room_type(retreat, name="single", rooms=2, sleeps=1, suits_couple=False)
        add_add_on(retreat, name="transfer", quantity_limit=4, price_per=PricePer.BOOKING)
    return Stay(
        retreat_id=retreat.id,
        tickets={t.seats_per_ticket: t.id for t in retreat.ticket_types},
        rooms={room.name: room.id for room in retreat.room_types},
        add_ons={add_on.name: add_on.id for add_on in retreat.add_ons},
    )


def plan_stays(rng: random.Random, count: int, stay: Stay) -> list[StayPlan]:
    """Seeded-random choices that each suit their party (a couple never asks for a single
    room); None: coming without a room."""
    plans = []
    for _ in range(count):
        seats = rng.choice([1, 2])
        rooms = [name for name in stay.rooms if seats == 1 or name != "single"] + [None]
        add_ons = tuple(name for name in stay.add_ons if rng.random() < 0.5)
        plans.append(StayPlan(seats, rng.choice(rooms), add_ons))
    return plans


def race_plans(rng: random.Random, count: int, stay: Stay) -> list[StayPlan]:
    """The seeded-random plans, led by some that make both refusals certain whoever wins:
    two couples want the one suite and nothing else (one is refused the room), and three
    couples without a room want the massage (six units of five: one is refused the add-on)."""
    sure = [StayPlan(2, "suite")] * 2 + [StayPlan(2, None, ("massage",))] * 3
    return sure + plan_stays(rng, count - len(sure), stay)


def hold_stay(stay: Stay, plan: StayPlan, number: int) -> tuple[str, str | None, int | None]:
    """Hold one plan: ("held", None, booking id) or ("sold out", the refused field, None)."""
    people = [AttendeeDetails(f"Guest {number}-{n}", f"g{number}@example.org") for n in "ab"]
    try:
        booking = hold_seats(
            retreat_id=stay.retreat_id,
            ticket_type_id=stay.tickets[plan.seats],
            contact_email=f"g{number}@example.org",
            attendees=people[: plan.seats],
            room_type_id=stay.rooms[plan.room] if plan.room else None,
            add_on_ids=[stay.add_ons[name] for name in plan.add_ons],
        )
    except SoldOut as refused:
        return "sold out", refused.field, None
    return "held", None, booking.id


# What the database must say -------------------------------------------------------------------


def live_rows(retreat_id: int, now) -> list[Booking]:
    _db.session.expire_all()
    bookings = _db.session.execute(select(Booking).where(Booking.retreat_id == retreat_id))
    return [
        b
        for b in bookings.scalars()
        if b.status == "confirmed" or (b.status == "pending" and b.hold_expires_at > now)
    ]


def check_inventory(retreat_id: int, *, when: str) -> None:
    """Counted from the live rows themselves: whole rooms plus the rooms the beds fill never
    exceed a room type's rooms, add-on units never exceed the limit; the app counts the same."""
    now = utcnow()
    live = live_rows(retreat_id, now)
    retreat = _db.session.get(Retreat, retreat_id)
    app_rooms = rooms_taken(retreat_id, now=now)
    for room_type in retreat.room_types:
        mine = [b for b in live if b.room_type_id == room_type.id]
        whole = sum(b.takes_whole_room for b in mine)
        beds = sum(b.seats for b in mine if not b.takes_whole_room)
        assert all(b.seats == 1 for b in mine if not b.takes_whole_room), when
        rooms_used = whole + -(-beds // room_type.sleeps)
        assert rooms_used <= room_type.rooms, (
            f"{when}: {room_type.name} oversold: {whole} whole + {beds} beds in "
            f"{room_type.rooms} rooms of {room_type.sleeps} (seed {SEED})"
        )
        taken = app_rooms.get(room_type.id)
        assert ((taken.whole_rooms, taken.beds) if taken else (0, 0)) == (whole, beds), when
    units = Counter()
    for booking in live:
        for line in booking.lines:
            if line.add_on_id is not None:
                units[line.add_on_id] += line.quantity
    for add_on in retreat.add_ons:
        assert units[add_on.id] <= add_on.quantity_limit, (
            f"{when}: {add_on.name} oversold: {units[add_on.id]} of {add_on.quantity_limit}"
        )
    assert add_on_units_taken(retreat_id, now=now) == {k: v for k, v in units.items() if v}, when


def check_no_needless_refusal(stay: Stay, plans: list[StayPlan], answers: list[tuple]) -> None:
    """Nothing frees up during a race: what was refused as gone is still gone at the end."""
    now = utcnow()
    taken = rooms_taken(stay.retreat_id, now=now)
    units = add_on_units_taken(stay.retreat_id, now=now)
    for plan, (result, field, _) in zip(plans, answers, strict=True):
        if result != "sold out":
            continue
        assert field in ("room_type", "add_ons"), f"seats are plentiful, yet refused: {field}"
        if field == "room_type":
            room_type = _db.session.get(RoomType, stay.rooms[plan.room])
            assert not room_left(room_type, taken.get(room_type.id)).fits(plan.seats), plan
        else:
            short = [
                add_on
                for add_on in (_db.session.get(AddOn, stay.add_ons[n]) for n in plan.add_ons)
                if add_on.quantity_limit - units.get(add_on.id, 0) < add_on.units_for(plan.seats)
            ]
            assert short, f"{plan} was refused its add-ons, which are still there"


def check_race(stay: Stay, plans: list[StayPlan], answers: list[tuple]) -> None:
    assert len(answers) == len(plans), "every attempt got an answer"
    assert {result for result, _, _ in answers} <= {"held", "sold out"}, answers
    check_inventory(stay.retreat_id, when="after the race")
    held = sorted(booking_id for result, _, booking_id in answers if result == "held")
    rows = _db.session.execute(
        select(Booking.id).where(Booking.retreat_id == stay.retreat_id).order_by(Booking.id)
    )
    assert list(rows.scalars()) == held, "one booking row for each 'held', none for a refusal"
    check_no_needless_refusal(stay, plans, answers)
    fields = Counter(field for result, field, _ in answers if result == "sold out")
    assert fields["room_type"] and fields["add_ons"], fields
    suite = _db.session.get(RoomType, stay.rooms["suite"])
    assert not room_left(suite, rooms_taken(stay.retreat_id, now=utcnow()).get(suite.id)).fits(1)


# Threads ---------------------------------------------------------------------------------------

ATTEMPTS = 40


def test_threads_racing_for_the_last_rooms_beds_and_add_on_units(app, db, make_retreat):
    stay = stay_retreat(make_retreat, capacity=PLENTY)
    plans = race_plans(random.Random(f"{SEED}-threads"), ATTEMPTS, stay)
    start = threading.Barrier(ATTEMPTS)
    answers: list[tuple | None] = [None] * ATTEMPTS

    def attempt(number: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                answers[number] = hold_stay(stay, plans[number], number)
            except BaseException as error:  # anything else is a finding, reported below
                answers[number] = ("raised", repr(error), None)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,), daemon=True) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a hold never answered: deadlock?"
    check_race(stay, plans, answers)


# Processes, each with threads, on PostgreSQL --------------------------------------------------

PROCESSES = 3
THREADS_PER_PROCESS = 8


def race_in_process(config, stay, plans, first_number, start, answers) -> None:
    """A process of its own (its own app, engine and connections) whose threads each hold one
    plan when every thread of every process is ready; answers go back on the queue."""
    app = create_app(config)

    def attempt(offset: int) -> None:
        number = first_number + offset
        with app.app_context():
            try:
                start.wait(timeout=60)
                answers.put((number, hold_stay(stay, plans[offset], number)))
            except BaseException as error:  # reported by the test
                answers.put((number, ("raised", repr(error), None)))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(plans))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT_SECONDS)
    with app.app_context():
        _db.engine.dispose()


@ON_POSTGRESQL
def test_processes_racing_for_the_last_rooms_beds_and_add_on_units(app_config, db, make_retreat):
    stay = stay_retreat(make_retreat, capacity=PLENTY)
    count = PROCESSES * THREADS_PER_PROCESS
    plans = race_plans(random.Random(f"{SEED}-processes"), count, stay)
    spawn = multiprocessing.get_context("spawn")  # no connection or lock copied from this one
    start, answers = spawn.Barrier(count), spawn.Queue()
    processes = [
        spawn.Process(
            target=race_in_process,
            args=(
                app_config,
                stay,
                plans[first : first + THREADS_PER_PROCESS],
                first,
                start,
                answers,
            ),
        )
        for first in range(0, count, THREADS_PER_PROCESS)
    ]
    for process in processes:
        process.start()
    got: dict[int, tuple] = {}
    try:
        while len(got) < count:
            number, answer = answers.get(timeout=JOIN_TIMEOUT_SECONDS)
            got[number] = answer
    except queue.Empty:
        pass
    finally:
        for process in processes:
            process.join(timeout=JOIN_TIMEOUT_SECONDS)
            if process.is_alive():
                process.kill()
    assert all(process.exitcode == 0 for process in processes), [p.exitcode for p in processes]
    check_race(stay, plans, [got.get(number) for number in range(count)])


# Mixed traffic ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StayStep(Step):
    """A step of the mixed traffic; a hold also says which stay it asks for."""

    plan: StayPlan | None = None


def perform_stay(step: StayStep, *, stay: Stay, number: int, **context) -> Outcome:
    """Holds ask for their stay; every other step is the seat traffic's own."""
    if step.plan is None:
        return perform(step, number=number, **context)
    result, field, booking_id = hold_stay(stay, step.plan, number)
    return Outcome(step, result, booking_id, step.plan.seats if booking_id else 0, field or "")


def plan_stay_round(rng: random.Random, stay: Stay, weights: dict[str, int]) -> list[StayStep]:
    steps = plan_round(rng, take_snapshot(stay.retreat_id), weights)
    stays = []
    for step in steps:
        if step.action.startswith("hold"):
            [plan] = plan_stays(rng, 1, stay)
            plan = StayPlan(int(step.action.split()[1]), plan.room, plan.add_ons)
            if plan.seats == 2 and plan.room == "single":
                plan = StayPlan(2, "suite", plan.add_ons)
            stays.append(StayStep(step.action, plan=plan))
        else:
            stays.append(StayStep(step.action, step.booking_id, step.amount_minor, step.currency))
    return stays


def test_mixed_traffic_with_rooms_and_add_ons_never_oversells(app, db, make_retreat):
    stay = stay_retreat(make_retreat, capacity=CAPACITY, mixed=True)
    held: dict[int, int] = {}
    every_outcome: list[Outcome] = []
    for number, weights in enumerate(ROUNDS):
        when = f"after round {number + 1}"
        steps = plan_stay_round(random.Random(f"{SEED}-stays-{number}"), stay, weights)
        outcomes = run_round(
            app,
            db,
            steps,
            perform_step=perform_stay,
            stay=stay,
            retreat_id=stay.retreat_id,
            tickets=stay.tickets,
        )
        check_answers(outcomes, when=when)
        held |= {o.booking_id: o.seats for o in outcomes if o.result == "held"}
        bookings = check_database(stay.retreat_id, held=held, when=when)
        check_payments(bookings, outcomes, when=when)
        check_inventory(stay.retreat_id, when=when)
        every_outcome += outcomes

    refusals = Counter(o.error for o in every_outcome if o.result == "sold out")
    assert refusals["room_type"] and refusals["add_ons"], refusals
    results = Counter((o.step.action, o.result) for o in every_outcome)
    assert results["confirm", "confirmed"] and results["late", "confirmed"], results
    in_rooms = db.session.scalar(
        select(db.func.count()).select_from(Booking).where(Booking.room_type_id.is_not(None))
    )
    with_add_ons = db.session.scalar(
        select(db.func.count(db.distinct(BookingLine.booking_id))).where(
            BookingLine.add_on_id.is_not(None)
        )
    )
    assert in_rooms and with_add_ons, "the traffic booked rooms and add-ons"
