"""The answers to the retreat's questions (here the four it starts with: dietary needs, ordinary;
accessibility, an emergency contact and hopes, private) are deleted PRIVATE_ANSWERS_RETENTION_DAYS
after the retreat ends, by the `privacy purge` command and by the outbox worker once a day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retreats.database import utcnow
from retreats.notifications import cli as worker_cli
from retreats.privacy import retention
from retreats.privacy.retention import (
    PURGE_INTERVAL_SECONDS,
    PURGE_RETRY_SECONDS,
    DailyPurge,
    purge_private_answers,
)
from tests.factories import ADA, ADA_INTAKE, BEA, CY
from tests.privacy.helpers import (
    INTAKE_LABELS,
    LABEL_OF,
    NO_INTAKE,
    answers_of,
    end_retreat,
    intake_tuple,
    paid_with_intake,
    raw_answers,
)

EMPTY = NO_INTAKE
ADA_ANSWERS = intake_tuple(ADA_INTAKE)


@pytest.fixture
def app_config(app_config):
    return app_config | {"PRIVATE_ANSWERS_RETENTION_DAYS": 30}


def test_the_answers_of_a_retreat_over_for_longer_than_the_retention_go_and_no_others(
    db, make_retreat
):
    long_over = paid_with_intake(make_retreat(), ADA, BEA)
    recently_over = paid_with_intake(make_retreat(), ADA)
    ahead = paid_with_intake(make_retreat(), ADA)
    end_retreat(db, long_over.retreat, days_ago=31)
    end_retreat(db, recently_over.retreat, days_ago=29)

    # Bea answered the dietary question alone: an ordinary answer, purged and counted too.
    assert purge_private_answers() == 2

    assert answers_of(db, long_over) == [EMPTY, EMPTY]
    assert answers_of(db, recently_over) == [ADA_ANSWERS]
    assert answers_of(db, ahead) == [ADA_ANSWERS]
    # Names and addresses stay: the organizer's record of who came.
    assert [person.name for person in long_over.attendees] == [ADA.name, BEA.name]
    assert long_over.contact_email == ADA.email


def test_the_stored_rows_hold_no_trace_of_the_answers_after_the_purge(db, make_retreat):
    booking = paid_with_intake(make_retreat(), ADA)
    end_retreat(db, booking.retreat, days_ago=40)
    before = {row["label"]: row for row in raw_answers(db, booking)}
    assert before[LABEL_OF["dietary-needs"]]["text"] == "Vegetarian"  # ordinary: in the clear
    for key in ("accessibility", "emergency-contact", "hopes"):
        assert before[LABEL_OF[key]]["private_text"].startswith("gAAAAA")

    purge_private_answers()

    after = raw_answers(db, booking)
    assert sorted(row["label"] for row in after) == sorted(INTAKE_LABELS)  # the rows stay
    assert [(row["text"], row["private_text"]) for row in after] == [(None, None)] * 4
    assert answers_of(db, booking) == [EMPTY]


def test_a_second_purge_finds_nothing_left(db, make_retreat):
    booking = paid_with_intake(make_retreat(), ADA, BEA)
    end_retreat(db, booking.retreat, days_ago=31)

    assert purge_private_answers() == 2
    assert purge_private_answers() == 0
    assert answers_of(db, booking) == [EMPTY, EMPTY]


def test_a_purged_retreat_is_marked_and_never_read_again(db, make_retreat, count_statements):
    booking = paid_with_intake(make_retreat(), ADA, BEA)
    end_retreat(db, booking.retreat, days_ago=31)
    purge_private_answers()
    db.session.expire_all()
    assert booking.retreat.private_answers_purged_at is not None

    with count_statements() as statements:
        assert purge_private_answers() == 0
    assert len(statements) == 1  # only the look for retreats still due: no attendee is read


def test_the_retention_days_come_from_the_setting_and_now_can_be_moved(app, db, make_retreat):
    booking = paid_with_intake(make_retreat(), CY)
    end_retreat(db, booking.retreat, days_ago=10)
    assert purge_private_answers() == 0
    assert purge_private_answers(now=utcnow() + timedelta(days=21)) == 1

    other = paid_with_intake(make_retreat(), CY)
    end_retreat(db, other.retreat, days_ago=10)
    app.config["PRIVATE_ANSWERS_RETENTION_DAYS"] = 7
    assert purge_private_answers() == 1


def test_it_goes_through_every_batch(db, make_retreat, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    bookings = [paid_with_intake(make_retreat(capacity=20), ADA, BEA) for _ in range(3)]
    for booking in bookings:
        end_retreat(db, booking.retreat, days_ago=31)

    assert purge_private_answers() == 6
    assert all(answers_of(db, b) == [EMPTY, EMPTY] for b in bookings)


def test_the_command_prints_how_many(app, db, make_retreat):
    booking = paid_with_intake(make_retreat(), ADA, BEA)
    end_retreat(db, booking.retreat, days_ago=5)
    runner = app.test_cli_runner()

    early = runner.invoke(args=["privacy", "purge"])
    later = runner.invoke(
        args=["privacy", "purge", "--now", (utcnow() + timedelta(days=26)).isoformat()]
    )
    again = runner.invoke(args=["privacy", "purge", "--now", "2999-01-01T00:00"])

    assert early.exit_code == 0 and "of 0 attendee(s)" in early.output, early.output
    assert later.exit_code == 0 and "of 2 attendee(s)" in later.output, later.output
    assert "more than 30 day(s) ago" in later.output
    assert "of 0 attendee(s)" in again.output
    assert answers_of(db, booking) == [EMPTY, EMPTY]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_daily_purge_runs_at_once_then_only_every_24_hours(db, make_retreat, monkeypatch):
    runs = []
    monkeypatch.setattr(retention, "purge_private_answers", lambda: runs.append(1) or 0)
    clock = FakeClock()
    daily = DailyPurge(clock=clock)

    assert daily.run_if_due() == 0 and len(runs) == 1  # on the worker's first round
    clock.now += PURGE_INTERVAL_SECONDS - 1
    assert daily.run_if_due() is None and len(runs) == 1
    clock.now += 1
    daily.run_if_due()
    assert len(runs) == 2


def test_the_daily_purge_really_purges(db, make_retreat):
    booking = paid_with_intake(make_retreat(), ADA)
    end_retreat(db, booking.retreat, days_ago=31)

    assert DailyPurge(clock=FakeClock()).run_if_due() == 1
    assert answers_of(db, booking) == [EMPTY]


def test_a_failed_purge_is_logged_and_tried_again_an_hour_later(db, monkeypatch, caplog):
    calls = []

    def failing():
        calls.append(1)
        raise RuntimeError("database went away")

    monkeypatch.setattr(retention, "purge_private_answers", failing)
    clock = FakeClock()
    daily = DailyPurge(clock=clock)

    assert daily.run_if_due() is None  # no exception reaches the worker
    assert "Purging old answers failed" in caplog.text
    clock.now += PURGE_RETRY_SECONDS - 1
    daily.run_if_due()
    assert len(calls) == 1
    clock.now += 1
    daily.run_if_due()
    assert len(calls) == 2


class StopWorker(Exception):
    pass


def test_the_outbox_worker_purges_on_its_first_round(app, db, make_retreat, monkeypatch):
    booking = paid_with_intake(make_retreat(), ADA)
    end_retreat(db, booking.retreat, days_ago=31)
    booking_id = booking.id

    def stop(_seconds):
        raise StopWorker

    monkeypatch.setattr(worker_cli.time, "sleep", stop)
    monkeypatch.setattr("retreats.booking.upkeep.run_periodic_upkeep", lambda: None)
    monkeypatch.setattr("retreats.notifications.sender.send_due_emails", lambda: 0)
    result = app.test_cli_runner().invoke(args=["outbox", "work"])

    assert isinstance(result.exception, StopWorker), result.output
    assert answers_of(db, booking_id) == [EMPTY]
