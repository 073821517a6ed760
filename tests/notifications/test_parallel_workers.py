"""Two outbox workers at once on one PostgreSQL queue of 200 due mails: each row is claimed by
one worker only (FOR UPDATE SKIP LOCKED), so each mail reaches the SMTP server exactly once; and
a worker stalled mid-send does not hold up the other."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from devtools.local_stripe.runner import free_port
from retreats import create_app
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.extensions import db as _db
from retreats.notifications.sender import send_due_emails, stable_message_id
from tests.conftest import SmtpInbox
from tests.factories import attendee, paid_booking
from tests.notifications.helpers import pending_due_ids, queue_confirmation_copies

BOOKINGS = 4
MAILS_PER_BOOKING = 50  # 200 queued mails, besides what confirming the bookings queued
WORKERS = 2


# Left out of `make test-quick`: outbox workers in parallel.
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def database_backend() -> str:
    return "postgresql"


@pytest.fixture
def due_mail_ids(db, make_retreat) -> list[int]:
    """200 due mails (and whatever confirming their bookings queued that is due now)."""
    retreat = make_retreat(capacity=BOOKINGS)
    for number in range(BOOKINGS):
        booking = paid_booking(retreat, attendee(f"guest-{number}@example.org"))
        queue_confirmation_copies(booking, MAILS_PER_BOOKING)
        db.session.commit()
    ids = pending_due_ids(db)
    assert len(ids) >= BOOKINGS * MAILS_PER_BOOKING
    return ids


def test_two_workers_in_parallel_send_each_of_200_mails_exactly_once(
    db, app_config, slow_inbox, due_mail_ids
):
    start = threading.Barrier(WORKERS)
    sent_by: dict[int, int] = {}
    errors: list[BaseException] = []

    # Each worker is its own app, with its own engine and connection, as a process would be.
    # The apps are made here, one after the other: Python 3.11.7's ast.parse (which werkzeug's
    # URL rules use) can fail with a SystemError when two threads parse at once.
    worker_apps = [create_app(app_config) for _ in range(WORKERS)]

    def work(number: int) -> None:
        try:
            with worker_apps[number].app_context():
                start.wait(timeout=30)
                sent_by[number] = send_due_emails(limit=len(due_mail_ids) + 50)
                _db.engine.dispose()
        except BaseException as error:  # reported by the test thread below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)

    rows = list(
        db.session.execute(select(OutboxEmail).where(OutboxEmail.id.in_(due_mail_ids))).scalars()
    )
    assert Counter(row.status for row in rows) == {OutboxStatus.SENT: len(due_mail_ids)}
    assert all(row.attempts == 1 for row in rows)
    messages = slow_inbox.wait_for(len(due_mail_ids))
    received = Counter(message["Message-ID"] for message in messages)
    assert len(messages) == len(due_mail_ids)
    assert max(received.values()) == 1, "a mail was delivered twice"
    assert set(received) == {stable_message_id(row) for row in rows}
    # Both workers took part, so the test shows them working the queue side by side.
    assert sum(sent_by.values()) == len(due_mail_ids)
    assert all(sent_by.get(number, 0) > 0 for number in range(WORKERS)), sent_by


STALL_LIMIT_SECONDS = 60  # a held message is let go after this, whatever the test does
OTHER_WORKER_SECONDS = 15  # how long the free worker may take over the rest of the queue


@dataclass
class HeldInbox(SmtpInbox):
    """A real SMTP server that holds each DATA command until `release` is set: a mail provider
    stalled in the middle of taking a message. `holding` is set once a message is held."""

    release: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        self.holding.set()
        await asyncio.get_running_loop().run_in_executor(
            None, self.release.wait, STALL_LIMIT_SECONDS
        )
        return await super().handle_DATA(server, session, envelope)


def start_worker(app_config: dict, outcome: dict, name: str, limit: int) -> threading.Thread:
    """An outbox worker with its own app, engine and connection, as a process would have. The app
    is made in the calling thread (see the first test for why)."""
    worker_app = create_app(app_config)

    def work() -> None:
        try:
            with worker_app.app_context():
                outcome[name] = send_due_emails(limit=limit)
                _db.engine.dispose()
        except BaseException as error:  # reported by the test thread
            outcome[name] = error

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_a_worker_stalled_mid_send_does_not_hold_up_the_other(
    db, app_config, make_retreat, smtp_inbox
):
    """The stalled worker keeps its row locked while its mail server holds the message; the
    other worker skips that row (SKIP LOCKED) and sends the rest of the queue meanwhile."""
    booking = paid_booking(make_retreat(capacity=1), attendee("guest@example.org"))
    queue_confirmation_copies(booking, 9)
    db.session.commit()
    due = pending_due_ids(db)
    outcome: dict[str, object] = {}
    held = HeldInbox(host="127.0.0.1", port=free_port())

    with held.running():
        stalled = start_worker(app_config | {"MAIL_PORT": held.port}, outcome, "stalled", 1)
        assert held.holding.wait(timeout=OTHER_WORKER_SECONDS), "the first worker never sent"
        try:
            free = start_worker(app_config, outcome, "free", len(due) + 10)
            # Everything but the held mail arrives while the first worker is still stalled.
            smtp_inbox.wait_for(len(due) - 1, timeout=OTHER_WORKER_SECONDS)
            free.join(timeout=OTHER_WORKER_SECONDS)
            assert not free.is_alive()
            assert stalled.is_alive() and "stalled" not in outcome
        finally:
            held.release.set()
            stalled.join(timeout=STALL_LIMIT_SECONDS)

    assert outcome == {"stalled": 1, "free": len(due) - 1}
    rows = list(db.session.execute(select(OutboxEmail).where(OutboxEmail.id.in_(due))).scalars())
    assert Counter(row.status for row in rows) == {OutboxStatus.SENT: len(due)}
    received = [m["Message-ID"] for m in smtp_inbox.messages + held.messages]
    assert sorted(received) == sorted(stable_message_id(row) for row in rows)
