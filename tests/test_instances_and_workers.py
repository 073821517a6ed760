"""Two gunicorn instances and two outbox workers on one PostgreSQL: a burst, then every mail once.

Forty visitors, half on each instance, book a twelve-seat retreat at the same moment; every hold
is then paid on the local Stripe pay page, half landing on instance A's success page and half on
B's (Stripe's webhooks go to A). Each confirmation queues four mails (the guest's confirmation,
the organizer's notice, and, as the retreat starts tomorrow, the guide and the reminder), which two
real `flask outbox work` processes send to an SMTP server here. Once no mail is left to send:
nothing oversold, every confirmed booking has its mails, and every outbox row reached the server
exactly once, sent by exactly one of the workers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from devtools.local_stripe.runner import free_port, log_tail
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.capacity import seats_taken
from retreats.booking.models import BookingStatus
from retreats.database import utcnow
from retreats.notifications.sender import stable_message_id
from tests.cluster import (
    Cluster,
    bookings,
    check_processes,
    crowd_books,
    outbox_worker,
    pay,
    run_together,
    running_cluster,
)
from tests.conftest import SlowInbox, wait_until

CAPACITY = 12
VISITORS = 40
OUTBOX_WORKERS = 2
# The SMTP server takes this long over each message, as a real one would: the thirty-odd mails
# then keep one worker busy for longer than the other's one-second poll, so both take a share.
SMTP_SECONDS_PER_MESSAGE = 0.05
# What one confirmed booking sends at once when its retreat starts within two days.
KINDS_PER_BOOKING = {"confirmation", "organizer_new_booking", "preparation_guide", "reminder"}
READY = "Outbox worker running"
SENT_LINE = re.compile(r"Sent \S+ email (\d+) to ")  # what the worker logs for each mail


# Left out of `make test-quick`: gunicorn instances and outbox workers in their own processes.
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def database_backend() -> str:
    return "postgresql"


@dataclass(frozen=True)
class Deployment:
    cluster: Cluster
    inbox: SlowInbox
    worker_logs: tuple[Path, ...]

    def sent_by_each_worker(self) -> list[list[int]]:
        """The outbox row ids each worker's log says it sent."""
        return [
            [int(row_id) for row_id in SENT_LINE.findall(log.read_text(errors="replace"))]
            for log in self.worker_logs
        ]


@pytest.fixture
def deployment(database_url, tmp_path) -> Iterator[Deployment]:
    """Local Stripe, two gunicorn instances and two outbox workers sending to a local SMTP
    server, all on this test's PostgreSQL database."""
    mail_port = free_port()
    with ExitStack() as running:
        inbox = SlowInbox(host="127.0.0.1", port=mail_port, delay=SMTP_SECONDS_PER_MESSAGE)
        controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
        controller.start()
        running.callback(controller.stop)
        cluster, env = running.enter_context(
            running_cluster(
                database_url,
                tmp_path,
                MAIL_PORT=str(mail_port),  # only the outbox workers send; the instances queue
                MAIL_TIMEOUT_SECONDS="10",
                OUTBOX_POLL_SECONDS="1",
                FLASK_SKIP_DOTENV="1",
            )
        )
        log_dir = cluster.log_dir
        worker_logs = tuple(log_dir / f"outbox-worker-{n}.log" for n in range(OUTBOX_WORKERS))
        for log_path in worker_logs:
            running.enter_context(outbox_worker(env, log_path))
        # Both polling before the first mail is queued, so that both can take a share.
        wait_until(lambda: all(READY in log.read_text() for log in worker_logs), timeout=30)
        yield Deployment(cluster=cluster, inbox=inbox, worker_logs=worker_logs)


def outbox_rows(db) -> list[OutboxEmail]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars())


def mails_left_to_send(db) -> int:
    """Rows a worker still has to send now (the only other kinds are due in the future)."""
    db.session.rollback()
    query = select(func.count()).where(
        OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.send_after <= utcnow()
    )
    return db.session.execute(query).scalar_one()


def expected_mails(confirmed: list, *, organizer_email: str) -> set[tuple[str, int, str]]:
    """(kind, booking id, recipient) of every mail the confirmed bookings queue at once."""
    mails = set()
    for booking in confirmed:
        for kind in KINDS_PER_BOOKING:
            to = organizer_email if kind == "organizer_new_booking" else booking.contact_email
            mails.add((kind, booking.id, to))
    return mails


def test_two_instances_and_two_workers_oversell_nothing_and_send_every_mail_once(
    db, make_retreat, deployment
):
    cluster = deployment.cluster
    retreat = make_retreat(capacity=CAPACITY, starts_in=timedelta(days=1))

    held = [v for v in crowd_books(cluster, retreat, visitors=VISITORS) if v.answer == "held"]
    assert seats_taken(retreat.id) <= CAPACITY, "oversold by the burst"

    landings: list[str] = []
    run_together(
        [
            lambda v=visit, s=cluster.sites[n % 2]: landings.append(pay(cluster, v, success_on=s))
            for n, visit in enumerate(held)
        ]
    )
    assert len(landings) == len(held)
    assert all("Your booking is confirmed" in page for page in landings)
    try:
        wait_until(lambda: mails_left_to_send(db) == 0, timeout=30, interval=0.2)
    except AssertionError:
        logs = "\n".join(log_tail(path, 20) for path in deployment.worker_logs)
        raise AssertionError(f"mail left unsent:\n{logs}") from None

    rows = bookings(db, retreat.id)
    assert seats_taken(retreat.id) <= CAPACITY, "oversold once paid"
    confirmed = [b for b in rows if b.status == BookingStatus.CONFIRMED]
    assert len(confirmed) == len(rows) == len(held), "every hold paid and confirmed"
    check_processes(cluster)

    due = outbox_rows(db)  # the guide and reminder too: the retreat starts tomorrow
    expected = expected_mails(confirmed, organizer_email=retreat.organizer.email)
    assert {(row.kind, row.booking_id, row.to_address) for row in due} == expected
    assert all(row.status == OutboxStatus.SENT and row.attempts == 1 for row in due)

    # Every row reached the SMTP server once, to its recipient, and nothing else did.
    messages = list(deployment.inbox.messages)
    by_message_id = Counter(message["Message-ID"] for message in messages)
    assert len(messages) == len(due), f"{len(messages)} messages for {len(due)} outbox rows"
    assert max(by_message_id.values()) == 1, by_message_id.most_common(3)
    recipient_of = {stable_message_id(row): row.to_address for row in due}
    assert {m["Message-ID"]: m["To"] for m in messages} == recipient_of

    # Each row was sent by one worker, and the two shared the work.
    sent_by = deployment.sent_by_each_worker()
    assert sorted(sum(sent_by, [])) == [row.id for row in due]
    assert all(sent_by), [len(ids) for ids in sent_by]
