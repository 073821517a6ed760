"""An outbox worker killed mid-batch (SIGKILL: no clean-up of any kind) and a new one started:
every mail arrives, and at most the one in flight at the kill arrives twice, with the same
Message-ID (the at-least-once window: the server took it, the worker died before marking it).
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from contextlib import ExitStack

import pytest
from sqlalchemy import func, select

from devtools.local_stripe.runner import log_tail
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.notifications.sender import stable_message_id
from tests.cluster import outbox_worker
from tests.conftest import TEST_WEBHOOK_SECRET, wait_until
from tests.factories import attendee, paid_booking
from tests.notifications.helpers import pending_due_ids, queue_confirmation_copies

MAILS = 40
SECONDS_PER_MESSAGE = 0.05


# Left out of `make test-quick`: an outbox worker process, killed and restarted.
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def database_backend() -> str:
    return "postgresql"


@pytest.fixture
def smtp_delay_seconds() -> float:
    return SECONDS_PER_MESSAGE  # slow enough that the kill lands mid-batch


@pytest.fixture
def due_mail_ids(db, make_retreat) -> list[int]:
    """About 40 due mails for one confirmed booking."""
    booking = paid_booking(make_retreat(), attendee("ada@example.org"))
    queue_confirmation_copies(booking, MAILS)
    db.session.commit()
    return pending_due_ids(db)


@pytest.fixture
def worker_env(app_config, database_url) -> dict[str, str]:
    """The settings a deployed worker would read from its environment, for this test's database,
    SMTP server and (unreachable) Stripe."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": app_config["SECRET_KEY"],
        "PUBLIC_BASE_URL": app_config["PUBLIC_BASE_URL"],
        "STRIPE_SECRET_KEY": "",  # empty, not unset, so that no .env file can fill it in
        "STRIPE_API_BASE": app_config["STRIPE_API_BASE"],
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "MAIL_SERVER": app_config["MAIL_SERVER"],
        "MAIL_PORT": str(app_config["MAIL_PORT"]),
        "MAIL_DEFAULT_SENDER": app_config["MAIL_DEFAULT_SENDER"],
        "MAIL_TIMEOUT_SECONDS": "10",
        "OUTBOX_POLL_SECONDS": "1",
        "FLASK_SKIP_DOTENV": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def unsent(db, ids: list[int]) -> int:
    count = db.session.execute(
        select(func.count(OutboxEmail.id)).where(
            OutboxEmail.id.in_(ids), OutboxEmail.status != OutboxStatus.SENT
        )
    ).scalar_one()
    db.session.rollback()
    return count


def test_a_worker_killed_mid_batch_and_restarted_loses_nothing_and_doubles_at_most_one(
    db, slow_inbox, due_mail_ids, worker_env, tmp_path
):
    log_path = tmp_path / "outbox-worker.log"
    total = len(due_mail_ids)
    with ExitStack() as running:
        first = running.enter_context(outbox_worker(worker_env, log_path))
        try:
            wait_until(lambda: len(slow_inbox.messages) >= 8, timeout=60)
        except AssertionError:
            raise AssertionError(f"the worker sent too little:\n{log_tail(log_path, 40)}") from None
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        delivered_before_restart = len(slow_inbox.messages)
        assert delivered_before_restart < total, "the kill came after the batch was done"
        assert unsent(db, due_mail_ids) > 0

        running.enter_context(outbox_worker(worker_env, log_path))
        try:
            wait_until(lambda: unsent(db, due_mail_ids) == 0, timeout=60, interval=0.2)
        except AssertionError:
            raise AssertionError(f"mail left unsent:\n{log_tail(log_path, 40)}") from None

    db.session.expire_all()
    rows = list(
        db.session.execute(select(OutboxEmail).where(OutboxEmail.id.in_(due_mail_ids))).scalars()
    )
    # A row is marked sent only after the server said 250, so every message is in by now.
    received = Counter(message["Message-ID"] for message in slow_inbox.messages)
    assert set(received) == {stable_message_id(row) for row in rows}, "a mail was lost"
    assert len(received) == total
    doubled = sum(received.values()) - total
    assert 0 <= doubled <= 1, received.most_common(3)
