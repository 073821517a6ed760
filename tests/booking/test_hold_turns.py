"""Waiting for the seats without a database connection: each process queues its holds of one
retreat in a turn of its own (retreats/base/locking.py row_turn) before the seat lock, and a
refusal that is certain before the lock never waits for it.

In a rush, every booking POST of a worker would otherwise wait on the same row lock inside the
database, each keeping a pooled connection idle meanwhile, and the worker's other pages would
wait for a connection (503) behind them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from retreats.base.locking import row_turn
from retreats.booking import services
from retreats.booking.models import Booking
from retreats.booking.services import AttendeeDetails, hold_seats
from retreats.errors import SoldOut, TryAgain
from retreats.extensions import db as _db
from retreats.listings.models import Retreat
from tests.conftest import plain_url
from tests.factories import held_booking, ticket_for
from tests.journey import filled_booking_form
from tests.races import run_as_another_request
from tests.visitor_stay import sintra_weekend

# The seat lock is a row lock another connection can hold on PostgreSQL only.
on_postgresql = pytest.mark.parametrize(
    "database_backend", [pytest.param("postgresql", marks=pytest.mark.postgres)]
)
WAIT_SECONDS = 20  # for a condition that comes within milliseconds, so a failure is not a hang
HOLDS_AT_ONCE = 5


def _hold_one(retreat_id: int, ticket_type_id: int, number: int, seats: int = 1) -> Booking:
    people = [
        AttendeeDetails(f"Guest {number}-{n}", f"guest{number}-{n}@example.org")
        for n in range(seats)
    ]
    return hold_seats(
        retreat_id=retreat_id,
        ticket_type_id=ticket_type_id,
        contact_email=people[0].email,
        attendees=people,
    )


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what} after {WAIT_SECONDS} s"
        time.sleep(0.01)


def test_a_turn_not_had_in_time_is_a_kind_try_again():
    taken = threading.Event()
    let_go = threading.Event()

    def keep_the_turn() -> None:
        with row_turn(("retreat", -1), timeout_ms=1000):
            taken.set()
            let_go.wait(WAIT_SECONDS)

    keeper = threading.Thread(target=keep_the_turn, daemon=True)
    keeper.start()
    assert taken.wait(WAIT_SECONDS)
    try:
        with pytest.raises(TryAgain) as raised, row_turn(("retreat", -1), timeout_ms=50):
            pass
        assert "Please try again in a moment" in raised.value.message
        with row_turn(("retreat", -2), timeout_ms=50) as left_ms:  # another row: no wait
            assert 0 < left_ms <= 50
    finally:
        let_go.set()
        keeper.join(WAIT_SECONDS)
    with row_turn(("retreat", -1), timeout_ms=50):  # given back
        pass


class SeatLockHolder:
    """Another connection that takes a retreat's seat lock in an open transaction (FOR NO KEY
    UPDATE: it blocks the seat lock, not a new booking's foreign key check) until let go."""

    def __init__(self, database_url: str):
        self.connection = psycopg.connect(plain_url(database_url))

    def take(self, retreat_id: int) -> None:
        self.connection.execute(
            "SELECT id FROM retreats WHERE id = %s FOR NO KEY UPDATE", (retreat_id,)
        )

    def let_go(self) -> None:
        self.connection.rollback()


@pytest.fixture
def seat_lock_holder(database_url) -> Iterator[SeatLockHolder]:
    holder = SeatLockHolder(database_url)
    yield holder
    holder.let_go()
    holder.connection.close()


@pytest.fixture
def watcher(database_url) -> Iterator[psycopg.Connection]:
    with psycopg.connect(plain_url(database_url), autocommit=True) as connection:
        yield connection


def _connections(watcher: psycopg.Connection) -> dict[str, int]:
    """What the other connections to this database are doing: waiting on a lock, or idle
    inside a transaction (the lock holder is one of those)."""
    row = watcher.execute(
        "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'),"
        " count(*) FILTER (WHERE state = 'idle in transaction')"
        " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchone()
    return {"waiting on a lock": row[0], "idle in transaction": row[1]}


@on_postgresql
def test_holds_queued_behind_the_seat_lock_keep_one_connection_not_one_each(
    app, make_retreat, seat_lock_holder, watcher, monkeypatch
):
    app.config["SEAT_LOCK_TIMEOUT_MS"] = WAIT_SECONDS * 1000
    retreat = make_retreat(capacity=50)
    retreat_id, ticket_id = retreat.id, retreat.ticket_types[0].id
    _db.session.remove()  # this test's own session keeps no connection either
    queued = []
    real_turn = services.row_turn

    def counted_turn(*args, **kwargs):
        queued.append(threading.get_ident())
        return real_turn(*args, **kwargs)

    monkeypatch.setattr(services, "row_turn", counted_turn)
    seat_lock_holder.take(retreat_id)
    held: list[str] = []
    errors: list[BaseException] = []

    def book(number: int) -> None:
        with app.app_context():
            try:
                _db.session.get(Retreat, retreat_id)  # as the booking POST reads it first
                held.append(_hold_one(retreat_id, ticket_id, number).reference)
            except BaseException as error:  # told by the test below
                errors.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=book, args=(n,), daemon=True) for n in range(HOLDS_AT_ONCE)]
    for thread in threads:
        thread.start()
    try:
        _wait_for(lambda: len(queued) == HOLDS_AT_ONCE, "every hold to queue for its turn")
        _wait_for(lambda: _connections(watcher)["waiting on a lock"] == 1, "the first to wait")
        # The holds behind the first wait in their turn: none keeps a connection meanwhile.
        assert _db.engine.pool.checkedout() == 1
        assert _connections(watcher) == {"waiting on a lock": 1, "idle in transaction": 1}
    finally:
        seat_lock_holder.let_go()
        for thread in threads:
            thread.join(WAIT_SECONDS)
    assert errors == []
    assert len(set(held)) == HOLDS_AT_ONCE
    assert _db.session.query(Booking).count() == HOLDS_AT_ONCE


@on_postgresql
def test_a_refusal_certain_before_the_lock_does_not_wait_for_it(
    app, make_retreat, seat_lock_holder
):
    """The last place is taken: a couple is told at once, while another request holds the seat
    lock for longer than the test waits."""
    app.config["SEAT_LOCK_TIMEOUT_MS"] = 2 * WAIT_SECONDS * 1000
    retreat = make_retreat(capacity=1)
    retreat_id = retreat.id
    single, couple = (ticket.id for ticket in retreat.ticket_types[:2])
    _hold_one(retreat_id, single, 0)
    seat_lock_holder.take(retreat_id)
    with pytest.raises(SoldOut) as refused:
        run_as_another_request(
            app, lambda: _hold_one(retreat_id, couple, 1, seats=2), timeout=WAIT_SECONDS
        )
    assert "is sold out" in refused.value.message


def test_a_post_refused_for_want_of_any_place_answers_sold_out_without_counting_again(
    client, db, make_retreat, count_statements
):
    """In a rush most answers are this one: the page says sold out and offers the waitlist,
    and nothing is counted again for it, not even the rooms and extras left."""
    plain = make_retreat(capacity=1)
    with_stay = sintra_weekend(make_retreat, capacity=1, allows_no_accommodation=True).retreat

    def refused_post(retreat) -> int:
        path = f"/retreats/{retreat.slug}/book"
        form = filled_booking_form(client.get(path).get_data(as_text=True), ticket_for(retreat, 1))
        if retreat.room_types:
            form["room_type"] = "none"
        held_booking(retreat, contact_email="first@example.org")
        with client.application.app_context(), count_statements() as statements:
            response = client.post(path, data=form)
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert f"Sorry, {retreat.title} is sold out. You can join the waitlist below." in html
        assert "Join the waitlist" in html and "Continue to payment" not in html
        return statements

    plain_statements, stay_statements = refused_post(plain), refused_post(with_stay)
    # The stay's rooms and add-ons are loaded (the form is checked against them), never counted.
    assert len(stay_statements) == len(plain_statements) + 1
    assert not [statement for statement in stay_statements if "booking_lines" in statement]
    assert db.session.query(Booking).count() == 2
