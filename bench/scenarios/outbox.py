"""The outbox's throughput: mails per second sent by one worker process, then by two.

Each run has its own fresh database and its own SMTP server (aiosmtpd in this process, answering
at once). Its mails are real: bookings held and confirmed with the app's services, each queuing
the guest's confirmation and the organizer's notice. The workers are `flask outbox work`
processes sending over SMTP with Flask-Mail, claiming rows with FOR UPDATE SKIP LOCKED.

The clock leaves out the workers' start-up: they start while this process holds a lock on the
outbox table, and the clock starts when it lets go, once every worker is waiting on that lock.
It stops when the last mail reaches the SMTP server, once no row is left untried. Every mail
must arrive exactly once: as many messages as rows, all rows sent, no Message-ID twice, and no
attempt failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine, text

from retreats.extensions import db

from ..mail_queue import (
    check_alive,
    confirm_bookings,
    due_mail_ids,
    mails_by_status,
    running_outbox_workers,
    untried_mails,
    wait_until,
)
from ..report import Figure, figure, ratio
from ..retreat import close_connections, create_bench_retreat, database_app
from ..smtp import running_smtp_server
from ..stack import app_environment

MAILS = 400
QUICK_MAILS = 100
MAILS_PER_BOOKING = 2  # the guest's confirmation and the organizer's notice
READY_TIMEOUT = 60  # seconds for the workers to start and reach the locked table
SEND_TIMEOUT = 120  # seconds for the workers to send every mail


@dataclass(frozen=True)
class Run:
    workers: int
    mails: int  # due rows queued
    seconds: float  # from letting the workers go to the last mail received
    received: int  # messages the SMTP server took
    repeated: int  # messages whose Message-ID had already arrived
    by_status: dict[str, int]

    @property
    def mails_per_second(self) -> float:
        return ratio(self.mails, self.seconds)

    @property
    def exactly_once(self) -> bool:
        return (
            self.received == self.mails
            and self.repeated == 0
            and self.by_status.get("sent") == self.mails
            and self.by_status.get("failed") == 0
        )


def run(bench) -> list[Figure]:
    mails = QUICK_MAILS if bench.quick else MAILS
    runs = [_send_queue(bench, workers=workers, mails=mails) for workers in (1, 2)]
    one, two = runs
    scenario = f"outbox, {mails} mails"
    return [
        figure(scenario, "1 worker", f"{one.mails_per_second:.0f} mails/s"),
        figure(scenario, "2 workers", f"{two.mails_per_second:.0f} mails/s"),
        figure(
            scenario,
            "speed-up, 2 workers / 1",
            f"{ratio(two.mails_per_second, one.mails_per_second):.2f}×",
        ),
        figure(
            scenario,
            "delivered exactly once",
            "; ".join(_delivery(run) for run in runs),
            target="every row sent once, each Message-ID received once",
            met=all(run.exactly_once for run in runs),
        ),
    ]


def _delivery(run: Run) -> str:
    workers = "1 worker" if run.workers == 1 else f"{run.workers} workers"
    return (
        f"{workers}: {run.received} of {run.mails} received, {run.repeated} twice, "
        f"{run.by_status.get('failed', 0)} failed"
    )


def _send_queue(bench, *, workers: int, mails: int) -> Run:
    """Queue `mails` mails in a fresh database, then time `workers` workers sending them."""
    database_url = bench.databases.fresh(f"outbox_{workers}")
    app = database_app(database_url)
    log_dir = bench.work_dir / f"outbox-{workers}"
    try:
        retreat = create_bench_retreat(app, seats=mails)
        confirm_bookings(app, retreat, count=mails // MAILS_PER_BOOKING)
        queued = due_mail_ids(app)
        with running_smtp_server() as inbox, _locked_outbox(app) as release_outbox:
            env = app_environment(database_url, **inbox.mail_environment())
            with running_outbox_workers(env=env, count=workers, log_dir=log_dir) as processes:
                wait_until(
                    lambda: _workers_waiting_on_lock(app) >= workers,
                    timeout=READY_TIMEOUT,
                    check=lambda: check_alive(processes, log_dir),
                    what=f"{workers} worker(s) waiting on the outbox",
                )
                started = time.monotonic()
                release_outbox()
                wait_until(
                    lambda: untried_mails(app, queued) == 0,
                    timeout=SEND_TIMEOUT,
                    check=lambda: check_alive(processes, log_dir),
                    what=f"every one of {len(queued)} mails tried",
                )
                finished = inbox.last_arrival() or time.monotonic()
            return Run(
                workers=workers,
                mails=len(queued),
                seconds=finished - started,
                received=inbox.received,
                repeated=inbox.repeated_message_ids(),
                by_status=mails_by_status(app, queued),
            )
    finally:
        close_connections(app)


@contextmanager
def _locked_outbox(app: Flask) -> Iterator[Callable[[], None]]:
    """Hold an EXCLUSIVE lock on the outbox table (workers' claims wait, plain reads do not);
    yields what lets go of it."""
    with _engine(app).connect() as connection:
        connection.execute(text("LOCK TABLE outbox_emails IN EXCLUSIVE MODE"))
        try:
            yield connection.commit
        finally:
            connection.rollback()  # nothing to undo once committed


def _engine(app: Flask) -> Engine:
    with app.app_context():
        return db.engine


def _workers_waiting_on_lock(app: Flask) -> int:
    with _engine(app).connect() as connection:
        return connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks "
                "WHERE relation = 'outbox_emails'::regclass AND NOT granted"
            )
        )
