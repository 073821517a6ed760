"""Email stays off the request path: a booking POST is no slower when the SMTP server answers
two seconds late.

Two gunicorn instances (2 workers each, set up as in production) and the local Stripe server on
one PostgreSQL; the instances and one outbox worker (`flask outbox work`) are set to send to an
SMTP server in this process. A copy of a real confirmation is queued every second, more than the
slow server lets through, so the worker sends all along, and while the server is slow, always
waits on it. Eight clients, each with its own cookies, open the booking form (not timed) and
POST it (timed), again and again; every POST must answer 303 to the Stripe pay page. The retreat
has room for everyone, and the per-address rate limit is off (every client is 127.0.0.1).

Phases of a few POSTs each switch the server's DATA answer between at once (A) and 2 s late (B)
in the order A B B A, repeated, so a drift of the machine's speed weighs on both alike. Target:
the POST's p50 with the slow server at most 1.1 times its p50 with the quick one. Were a mail sent
inside the request, the slow phases' POSTs would each take 2 s more (tried: p50 ratio 7 to 11).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests

from ..figures import milliseconds, percentile
from ..load import GRANTED, REQUEST_TIMEOUT, Visitor, booking_outcome, open_booking_form
from ..mail_queue import (
    check_alive,
    confirm_bookings,
    running_outbox_workers,
    steady_mail_feed,
    wait_until,
)
from ..report import Figure, figure, ratio
from ..retreat import close_connections, create_bench_retreat, database_app
from ..smtp import BenchInbox, running_smtp_server
from ..stack import Stack, app_environment, running_stack

CLIENTS = 8
WORKERS = 2  # gunicorn workers per instance (gunicorn.conf.py sets them up)
SEATS = 100_000  # nobody is ever sold out
SLOW_SMTP_SECONDS = 2.0
# At once (A) and late (B) in the order A B B A, repeated: a steady drift weighs on both alike.
ROUND = (0.0, SLOW_SMTP_SECONDS, SLOW_SMTP_SECONDS, 0.0)
ROUNDS = 5
QUICK_ROUNDS = 3
POSTS_PER_PHASE = 20
QUICK_POSTS_PER_PHASE = 8
WARM_UP_POSTS = 8  # not measured: the first requests of each worker are slower
MAILS_PER_SECOND = 1.0  # more than the 0.5 a second the slow server lets through
WORKER_READY_TIMEOUT = 60
P50_RATIO_TARGET = 1.1


@dataclass
class Phase:
    smtp_delay: float
    post_seconds: list[float]  # every booking POST answered 303 to the pay page
    failures: list[str]  # what the other POSTs got instead


@dataclass(frozen=True)
class MailsSent:
    """Messages the SMTP server took while the bookings were measured."""

    at_once: int
    late: int


def run(bench) -> list[Figure]:
    rounds = QUICK_ROUNDS if bench.quick else ROUNDS
    posts_per_phase = QUICK_POSTS_PER_PHASE if bench.quick else POSTS_PER_PHASE
    database_url = bench.databases.fresh("slow_smtp")
    log_dir = bench.work_dir / "slow-smtp"
    app = database_app(database_url)
    try:
        retreat = create_bench_retreat(app, seats=SEATS)
        (paid_booking_id,) = confirm_bookings(app, retreat, count=1)
        with (
            running_smtp_server() as inbox,
            running_outbox_workers(
                env=app_environment(
                    database_url, OUTBOX_POLL_SECONDS="1", **inbox.mail_environment()
                ),
                count=1,
                log_dir=log_dir,
            ) as workers,
            steady_mail_feed(app, booking_id=paid_booking_id, per_second=MAILS_PER_SECOND),
            running_stack(
                database_url=database_url,
                work_dir=bench.work_dir,
                workers=WORKERS,
                **inbox.mail_environment(),
            ) as stack,
        ):
            # The booking's confirmation and the organizer's notice arrive: the worker is up.
            wait_until(
                lambda: inbox.received >= 2,
                timeout=WORKER_READY_TIMEOUT,
                check=lambda: check_alive(workers, log_dir),
                what="the outbox worker's first mails",
            )
            clients = _Clients(stack, slug=retreat.slug, ticket_id=retreat.ticket_ids[1])
            try:
                clients.book(WARM_UP_POSTS)
                received, late = inbox.received, inbox.answered_late
                phases = [
                    _phase(clients, inbox, smtp_delay=smtp_delay, posts=posts_per_phase)
                    for smtp_delay in ROUND * rounds
                ]
                check_alive(workers, log_dir)
                late = inbox.answered_late - late
                mails = MailsSent(at_once=inbox.received - received - late, late=late)
            finally:
                clients.close()
    finally:
        close_connections(app)
    return _figures(phases, mails)


def _phase(clients: _Clients, inbox: BenchInbox, *, smtp_delay: float, posts: int) -> Phase:
    inbox.delay = smtp_delay
    post_seconds, failures = clients.book(posts)
    return Phase(smtp_delay, post_seconds, failures)


class _Clients:
    """CLIENTS visitors, spread over the instances, booking one seat after another."""

    def __init__(self, stack: Stack, *, slug: str, ticket_id: int) -> None:
        self.pay_page_prefix = stack.pay_page_prefix
        self.visitors = [
            Visitor(
                number=number,
                base_url=stack.instance_urls[number % len(stack.instance_urls)],
                seats=1,
                ticket_id=ticket_id,
            )
            for number in range(CLIENTS)
        ]
        self.slug = slug
        self.sessions = [requests.Session() for _ in self.visitors]
        for session in self.sessions:
            session.trust_env = False  # straight to 127.0.0.1, whatever proxy is set

    def close(self) -> None:
        for session in self.sessions:
            session.close()

    def book(self, posts: int) -> tuple[list[float], list[str]]:
        """Make `posts` booking POSTs, CLIENTS at a time: (seconds of each good one, failures)."""
        tickets = iter(range(posts))
        tickets_lock = threading.Lock()
        post_seconds: list[float] = []
        failures: list[str] = []

        def next_ticket() -> int | None:
            with tickets_lock:
                return next(tickets, None)

        def visit(visitor: Visitor, session: requests.Session) -> None:
            while next_ticket() is not None:
                try:
                    seconds = self._book_once(visitor, session)
                except Exception as error:  # reported as a failure, the load goes on
                    failures.append(f"{type(error).__name__}: {error}")
                else:
                    post_seconds.append(seconds)

        threads = [
            threading.Thread(target=visit, args=pair, daemon=True)
            for pair in zip(self.visitors, self.sessions, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return post_seconds, failures

    def _book_once(self, visitor: Visitor, session: requests.Session) -> float:
        """Open the form, POST it; how long the POST took. Raises unless it went on to pay."""
        book_url = f"{visitor.base_url}/retreats/{self.slug}/book"
        form, problem = open_booking_form(session, book_url, visitor)
        if form is None:
            raise RuntimeError(problem)
        started = time.perf_counter()
        response = session.post(book_url, data=form, allow_redirects=False, timeout=REQUEST_TIMEOUT)
        seconds = time.perf_counter() - started
        if booking_outcome(response, self.pay_page_prefix)[0] != GRANTED:
            location = response.headers.get("Location") or "nowhere"
            raise RuntimeError(f"POST answered {response.status_code} to {location}")
        return seconds


def _figures(phases: list[Phase], mails: MailsSent) -> list[Figure]:
    posts = sum(len(phase.post_seconds) + len(phase.failures) for phase in phases)
    quick = [phase for phase in phases if not phase.smtp_delay]
    slow = [phase for phase in phases if phase.smtp_delay]
    quick_ms = sorted(s * 1000 for phase in quick for s in phase.post_seconds)
    slow_ms = sorted(s * 1000 for phase in slow for s in phase.post_seconds)
    failures = [failure for phase in phases for failure in phase.failures]
    p50_ratio = ratio(percentile(slow_ms, 0.5) or 0, percentile(quick_ms, 0.5) or 0)
    p95_ratio = ratio(percentile(slow_ms, 0.95) or 0, percentile(quick_ms, 0.95) or 0)
    late = f"SMTP {SLOW_SMTP_SECONDS:.0f} s late"
    scenario = f"slow SMTP, {posts} booking POSTs, {CLIENTS} clients, 2 instances"
    return [
        figure(scenario, "POST p50, SMTP at once", milliseconds(percentile(quick_ms, 0.5))),
        figure(scenario, f"POST p50, {late}", milliseconds(percentile(slow_ms, 0.5))),
        figure(
            scenario,
            f"p50 ratio, {late} / at once",
            f"{p50_ratio:.2f}",
            target=f"≤ {P50_RATIO_TARGET}",
            met=p50_ratio <= P50_RATIO_TARGET and bool(quick_ms) and bool(slow_ms),
        ),
        figure(scenario, "POST p95, SMTP at once", milliseconds(percentile(quick_ms, 0.95))),
        figure(scenario, f"POST p95, {late}", milliseconds(percentile(slow_ms, 0.95))),
        figure(scenario, f"p95 ratio, {late} / at once", f"{p95_ratio:.2f}"),
        figure(
            scenario,
            "POSTs not sent on to pay",
            _failures(failures),
            target="0",
            met=not failures,
        ),
        figure(
            scenario,
            "mails the SMTP server took meanwhile",
            f"{mails.at_once} answered at once, {mails.late} answered "
            f"{SLOW_SMTP_SECONDS:.0f} s late",
        ),
    ]


def _failures(failures: list[str]) -> str:
    if not failures:
        return "0"
    return f"{len(failures)} (first: {failures[0]})"
