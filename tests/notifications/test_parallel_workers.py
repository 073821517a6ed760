"""Two outbox workers at once on one PostgreSQL queue of 200 due mails: each row is claimed by
one worker only (FOR UPDATE SKIP LOCKED), so each mail reaches the SMTP server exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from retreats import create_app
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.extensions import db as _db
from retreats.notifications.sender import send_due_emails, stable_message_id
from tests.factories import attendee, paid_booking
from tests.notifications.helpers import pending_due_ids, queue_confirmation_copies

BOOKINGS = 4
MAILS_PER_BOOKING = 50  # 200 queued mails, besides what confirming the bookings queued
WORKERS = 2


pytestmark = pytest.mark.postgres


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

    def work(number: int) -> None:
        # Each worker is its own app, with its own engine and connection, as a process would be.
        worker_app = create_app(app_config)
        try:
            with worker_app.app_context():
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
