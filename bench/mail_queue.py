"""The outbox as the email scenarios use it: real mails queued, and real worker processes.

Mails are queued the way the app queues them: each booking is held and confirmed with the app's
own services, which queue its confirmation and the organizer's notice (both due at once). The
workers are `flask --app wsgi outbox work` processes, each in its own process group.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import func, or_, select

from devtools.outbox_worker import running_outbox_worker
from retreats.base.outbox import OutboxEmail, OutboxStatus, queue_email
from retreats.booking.services import AttendeeDetails, Payment, confirm_booking, hold_seats
from retreats.database import utcnow
from retreats.extensions import db

from .retreat import BenchRetreat

WORKER_STOP_TIMEOUT = 10  # seconds; a worker mid-send finishes that mail
POLL_SECONDS = 0.02


def confirm_bookings(app: Flask, retreat: BenchRetreat, *, count: int) -> list[int]:
    """Hold and confirm `count` one-seat bookings, as a paid checkout would; their ids.

    Each confirmation queues two mails due at once: the guest's and the organizer's.
    """
    ticket_id = retreat.ticket_ids[1]
    booking_ids = []
    # The services log each hold and confirmation at INFO: hundreds of lines amid the figures.
    logging.getLogger("retreats").setLevel(logging.WARNING)
    with app.app_context():
        for number in range(count):
            address = f"paid-guest-{number}@example.org"
            booking = hold_seats(
                retreat_id=retreat.id,
                ticket_type_id=ticket_id,
                contact_email=address,
                attendees=[AttendeeDetails(f"Paid Guest {number}", address)],
            )
            payment = Payment(f"cs_bench_{booking.id}", None, booking.amount_minor, "EUR")
            confirm_booking(booking_id=booking.id, payment=payment)
            booking_ids.append(booking.id)
    return booking_ids


def queue_confirmation_copy(app: Flask, *, booking_id: int, copy: int) -> None:
    """One more copy of a booking's confirmation mail, under its own key, due at once."""
    with app.app_context():
        address = f"paid-guest-copy-{copy}@example.org"
        queue_email(
            kind="confirmation",
            key=f"confirmation:{booking_id}:bench-copy-{copy}",
            to_address=address,
            booking_id=booking_id,
        )
        db.session.commit()


@contextmanager
def steady_mail_feed(app: Flask, *, booking_id: int, per_second: float) -> Iterator[None]:
    """Queue a copy of the booking's confirmation `per_second` times a second while the block
    runs, so the worker always has mail to send."""
    stop = threading.Event()

    def feed() -> None:
        copy = 0
        while not stop.wait(1 / per_second):
            queue_confirmation_copy(app, booking_id=booking_id, copy=copy)
            copy += 1

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def due_mail_ids(app: Flask) -> list[int]:
    """The outbox rows due by now, whatever their status."""
    with app.app_context():
        ids = list(
            db.session.scalars(select(OutboxEmail.id).where(OutboxEmail.send_after <= utcnow()))
        )
        db.session.rollback()
        return ids


def untried_mails(app: Flask, ids: list[int]) -> int:
    """Of these rows, how many no worker has tried to send yet."""
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(
                OutboxEmail.id.in_(ids),
                OutboxEmail.status == OutboxStatus.PENDING,
                OutboxEmail.attempts == 0,
            )
        )
        db.session.rollback()
        return count


def mails_by_status(app: Flask, ids: list[int]) -> dict[str, int]:
    """These rows counted by status (sent, pending …), and `failed`: any attempt failed."""
    with app.app_context():
        rows = db.session.execute(
            select(OutboxEmail.status, func.count())
            .where(OutboxEmail.id.in_(ids))
            .group_by(OutboxEmail.status)
        ).all()
        counts = {str(status): count for status, count in rows}
        counts["failed"] = db.session.scalar(
            select(func.count()).where(
                OutboxEmail.id.in_(ids),
                or_(OutboxEmail.attempts > 1, OutboxEmail.last_error.is_not(None)),
            )
        )
        db.session.rollback()
        return counts


@contextmanager
def running_outbox_workers(
    *, env: dict[str, str], count: int, log_dir: Path
) -> Iterator[list[subprocess.Popen]]:
    """`count` outbox worker processes while the block runs; stopped at its end, on failure too.

    Each writes its output to <log_dir>/outbox-worker-<n>.log.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                running_outbox_worker(
                    env=env,
                    log_path=log_dir / f"outbox-worker-{number}.log",
                    stop_timeout=WORKER_STOP_TIMEOUT,
                )
            )
            for number in range(count)
        ]


def check_alive(workers: list[subprocess.Popen], log_dir: Path) -> None:
    """Fail at once, pointing at the logs, when a worker has died."""
    dead = [worker.pid for worker in workers if worker.poll() is not None]
    if dead:
        raise RuntimeError(f"outbox worker(s) {dead} exited; see {log_dir}/outbox-worker-*.log")


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, check: Callable[[], None], what: str
) -> None:
    """Poll until `predicate()` holds; `check()` (raising if a worker died) runs between polls."""
    deadline = time.monotonic() + timeout
    while not predicate():
        check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
