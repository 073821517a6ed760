"""Several instances: the on-sale rush on two app instances and two outbox workers, then every mail.

Two gunicorn instances (2 workers each, set up as in production) and the local Stripe server on
one PostgreSQL, with two `flask outbox work` processes sending to an SMTP server in this
process. The retreat starts tomorrow, so each confirmed booking queues four mails due at once:
the guest's confirmation, the organizer's notice, the preparation guide and the reminder.
Clients, half on each instance, open the booking form (not timed) and all POST it together
(timed); then every hold is paid on the local Stripe pay page, half of the payers landing on
instance A's success page and half on B's (Stripe's webhooks go to A). The clock of the mails
runs from the last payment to the last mail the SMTP server took, once no booking is left
unconfirmed and no mail unsent."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy import func, select

from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.models import Booking, BookingStatus
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.notifications.sender import stable_message_id
from retreats.payments.models import Payment

from ..figures import Figures, milliseconds
from ..load import REQUEST_TIMEOUT
from ..mail_queue import check_alive, running_outbox_workers, wait_until
from ..report import Figure, figure
from ..retreat import (
    bookings_by_status,
    close_connections,
    create_bench_retreat,
    database_app,
    seats_taken_now,
)
from ..smtp import BenchInbox, running_smtp_server
from ..stack import Stack, app_environment, running_stack
from .burst import rush

CLIENTS = 200
QUICK_CLIENTS = 50
SEATS = 20
WORKERS = 2  # gunicorn workers per instance (gunicorn.conf.py sets them up)
OUTBOX_WORKERS = 2
MAILS_PER_BOOKING = 4  # confirmation, organizer's notice, guide, reminder: all due at once
PAYING_CARD = "4242 4242 4242 4242"
READY_TIMEOUT = 60  # seconds for the outbox workers to start polling
SETTLE_TIMEOUT = 60  # seconds for every payment to be confirmed and every mail sent
READY_LINE = "Outbox worker running"
SENT_LINE = re.compile(r"Sent \S+ email (\d+) to ")  # one per mail in a worker's log


@dataclass(frozen=True)
class Payments:
    made: int  # paid at Stripe and landed on a success page
    failures: list[str]
    last_paid_at: float | None  # time.monotonic() when Stripe took the last payment


@dataclass(frozen=True)
class Mails:
    rows: int  # outbox rows due by now
    sent: int  # of them marked sent
    retried: int  # with a failed attempt behind them
    received: int  # messages the SMTP server took
    repeated: int  # messages whose Message-ID had already arrived
    ids_match: bool  # the Message-IDs received are exactly those of the rows
    expected: int  # MAILS_PER_BOOKING per confirmed booking
    per_worker: list[int]  # mails each worker's log says it sent
    last_arrival: float | None

    @property
    def exactly_once(self) -> bool:
        return (
            self.rows == self.sent == self.received == self.expected == sum(self.per_worker)
            and self.repeated == 0
            and self.retried == 0
            and self.ids_match
        )


def run(bench) -> list[Figure]:
    clients = QUICK_CLIENTS if bench.quick else CLIENTS
    database_url = bench.databases.fresh("instances")
    log_dir = bench.work_dir / "instances"
    app = database_app(database_url)
    try:
        retreat = create_bench_retreat(app, seats=SEATS)
        _start_tomorrow_with_a_guide(app, retreat.id)
        with (
            running_smtp_server() as inbox,
            running_stack(
                database_url=database_url, work_dir=bench.work_dir, workers=WORKERS
            ) as stack,
            running_outbox_workers(
                env=_worker_environment(database_url, stack, inbox),
                count=OUTBOX_WORKERS,
                log_dir=log_dir,
            ) as workers,
        ):
            worker_logs = [log_dir / f"outbox-worker-{n}.log" for n in range(OUTBOX_WORKERS)]
            still_up = partial(check_alive, workers, log_dir)
            wait_until(
                lambda: all(READY_LINE in log.read_text() for log in worker_logs),
                timeout=READY_TIMEOUT,
                check=still_up,
                what="the outbox workers polling",
            )
            burst = rush(app, stack, retreat, clients=clients)
            payments = _pay_every_hold(app, stack, retreat_id=retreat.id)
            wait_until(
                lambda: _settled(app, retreat.id, paid=payments.made),
                timeout=SETTLE_TIMEOUT,
                check=still_up,
                what="every payment confirmed and every mail sent",
            )
            mails = _mails(app, inbox, worker_logs, retreat_id=retreat.id)
            seats_taken_after = seats_taken_now(app, retreat.id)
    finally:
        close_connections(app)
    return _figures(clients, burst, payments, mails, oversold_after=seats_taken_after - SEATS)


def _start_tomorrow_with_a_guide(app: Flask, retreat_id: int) -> None:
    """Move the retreat to tomorrow and give it a guide: its guide and reminder are due at once."""
    with app.app_context():
        retreat = db.session.get(Retreat, retreat_id)
        retreat.starts_at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
        retreat.ends_at = retreat.starts_at + timedelta(days=2)
        retreat.preparation_guide_md = "Bring warm socks and an open heart."
        db.session.commit()


def _worker_environment(database_url: str, stack: Stack, inbox: BenchInbox) -> dict[str, str]:
    """What a deployed outbox worker reads: the instances' database, Stripe and public URL."""
    return app_environment(
        database_url,
        STRIPE_API_BASE=stack.stripe_url,
        PUBLIC_BASE_URL=stack.instance_urls[0],
        OUTBOX_POLL_SECONDS="1",
        **inbox.mail_environment(),
    )


def _pay_every_hold(app: Flask, stack: Stack, *, retreat_id: int) -> Payments:
    """Every pending booking paid at once on the pay page; half land on each instance."""
    with app.app_context():
        session_ids = list(
            db.session.scalars(
                select(Payment.stripe_checkout_session_id)
                .join(Booking, Booking.id == Payment.booking_id)
                .where(Booking.retreat_id == retreat_id, Booking.status == BookingStatus.PENDING)
                .order_by(Booking.id)
            )
        )
        db.session.rollback()
    paid_at: list[float] = []
    failures: list[str] = []

    def pay(number: int, session_id: str) -> None:
        success_site = stack.instance_urls[number % len(stack.instance_urls)]
        try:
            paid_at.append(_pay(stack, session_id, success_site=success_site))
        except Exception as error:  # counted as an error figure, the others go on
            failures.append(f"{type(error).__name__}: {error}")

    threads = [
        threading.Thread(target=pay, args=(number, session_id), daemon=True)
        for number, session_id in enumerate(session_ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT * 3)
    failures += ["no answer"] * (len(session_ids) - len(paid_at) - len(failures))
    return Payments(made=len(paid_at), failures=failures, last_paid_at=max(paid_at, default=None))


def _pay(stack: Stack, session_id: str, *, success_site: str) -> float:
    """Pay one Checkout Session by card and land on the success page; when Stripe took it."""
    pay_url = stack.pay_page_prefix + session_id
    with requests.Session() as browser:
        browser.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
        browser.get(pay_url, timeout=REQUEST_TIMEOUT).raise_for_status()
        paid = browser.post(
            pay_url,
            data={"card_number": PAYING_CARD},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        paid_at = time.monotonic()
        if paid.status_code != 303:
            raise RuntimeError(f"pay page answered {paid.status_code}")
        # The success URL names instance A (PUBLIC_BASE_URL); half the payers come back to B.
        success_url = success_site + paid.headers["Location"].removeprefix(stack.instance_urls[0])
        browser.get(success_url, timeout=REQUEST_TIMEOUT).raise_for_status()
    return paid_at


def _settled(app: Flask, retreat_id: int, *, paid: int) -> bool:
    """Every paid booking confirmed (by the webhook or the success page), no mail due unsent."""
    with app.app_context():
        confirmed = db.session.scalar(
            select(func.count()).where(
                Booking.retreat_id == retreat_id, Booking.status == BookingStatus.CONFIRMED
            )
        )
        unsent = db.session.scalar(
            select(func.count()).where(
                OutboxEmail.send_after <= utcnow(), OutboxEmail.status != OutboxStatus.SENT
            )
        )
        db.session.rollback()
        return confirmed >= paid and unsent == 0


def _mails(app: Flask, inbox: BenchInbox, worker_logs: list[Path], *, retreat_id: int) -> Mails:
    """What the outbox, the SMTP server and the workers' logs say was sent."""
    confirmed = bookings_by_status(app, retreat_id)[BookingStatus.CONFIRMED]
    with app.app_context():
        rows = list(
            db.session.scalars(select(OutboxEmail).where(OutboxEmail.send_after <= utcnow()))
        )
        sent = sum(row.status == OutboxStatus.SENT for row in rows)
        retried = sum(row.attempts > 1 or row.last_error is not None for row in rows)
        expected_ids = {stable_message_id(row) for row in rows}
        db.session.rollback()
    return Mails(
        rows=len(rows),
        sent=sent,
        retried=retried,
        received=inbox.received,
        repeated=inbox.repeated_message_ids(),
        ids_match=set(inbox.message_ids) == expected_ids,
        expected=confirmed * MAILS_PER_BOOKING,
        per_worker=[len(SENT_LINE.findall(log.read_text())) for log in worker_logs],
        last_arrival=inbox.last_arrival(),
    )


def _figures(
    clients: int, burst: Figures, payments: Payments, mails: Mails, *, oversold_after: int
) -> list[Figure]:
    """The scenario's figures, with the issue's targets: none oversold, no error, mails once."""
    scenario = f"instances, {clients} clients, {SEATS} seats, 2 instances, 2 outbox workers"
    oversold = max(burst.oversold, oversold_after, 0)
    errors = burst.errors + len(payments.failures)
    mail_clock = (
        f"{(mails.last_arrival - payments.last_paid_at) * 1000:.0f} ms"
        if mails.last_arrival is not None and payments.last_paid_at is not None
        else "n/a"
    )
    return [
        figure(scenario, "holds granted, paid", f"{burst.holds_granted}, {payments.made}"),
        figure(
            scenario,
            "oversold",
            str(oversold),
            target="0, and seats taken = seats promised",
            met=oversold == 0 and burst.answers_match_database,
        ),
        figure(
            scenario,
            "errors",
            _errors(burst, payments),
            target="0",
            met=errors == 0,
        ),
        figure(scenario, "booking POST p50", milliseconds(burst.p50_ms)),
        figure(scenario, "booking POST p95", milliseconds(burst.p95_ms)),
        figure(
            scenario,
            "mails sent exactly once",
            f"{mails.received} received of {mails.rows} rows ({mails.expected} expected), "
            f"{mails.repeated} repeated, {mails.retried} retried",
            target="received = rows, no Message-ID twice",
            met=mails.exactly_once,
        ),
        figure(scenario, "mails per worker", " / ".join(map(str, mails.per_worker))),
        figure(scenario, "last payment → last mail", mail_clock),
    ]


def _errors(burst: Figures, payments: Payments) -> str:
    """Burst answers other than a hold or sold out, and payments that did not go through."""
    total = burst.errors + len(payments.failures)
    if not total:
        return "0"
    details = [f"{status} × {n}" for status, n in burst.errors_by_status.items()]
    details += payments.failures[:1]
    return f"{total} ({'; '.join(details)})"
