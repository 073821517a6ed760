"""A booking rush with Stripe answering as late as the real one: does it stall the site?

One gunicorn instance, set up as in production (bench/stack.py PRODUCTION_SERVER, or
`--rush-server`), without access log; the local Stripe server behind it answers every API call
`--stripe-delay-ms` late (400 by default) and keeps its state in memory only. The database
holds 50 published retreats (bench/seed.py) and one with room for everyone. Three phases:

a. the catalog alone: wrk keeps 8 connections on `/`, after a short warm-up;
b. the rush: 32 visitors, each with their own cookies, open the booking form and POST it again
   and again (a third for a couple ticket), while wrk keeps 8 connections on `/`; only what ends
   inside the window counts (the visitors start a little before it);
c. CPU per booking: the same visitors without the catalog load, with the CPU time of every
   process of the gunicorn instance (and of the local Stripe server) read before and after.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from devtools.gunicorn_runner import gunicorn_process
from devtools.local_stripe.runner import ServerProcess, free_port, local_stripe_process

from ..booking_loop import BookingVisitors, Pass
from ..cpu import process_cpu_seconds, process_group_cpu_seconds
from ..figures import milliseconds, percentile
from ..load import visitors_for
from ..report import Figure, figure, ratio
from ..retreat import close_connections, create_bench_retreat, database_app, seats_taken_now
from ..seed import seed_published_retreats
from ..stack import STARTUP_TIMEOUT, WEBHOOK_SECRET, app_environment
from ..wrk import Load, load

BOOKING_VISITORS = 32
BROWSING_CONNECTIONS = 8
SEATS = 100_000  # nobody is ever sold out
CATALOG_RETREATS = 50  # as in `pages`: a realistic catalog page
WINDOW_SECONDS = 20
QUICK_WINDOW_SECONDS = 6
BOOKING_WARM_UP_SECONDS = 2  # not counted: the visitors' first passes start all at once
CATALOG_WARM_UP_SECONDS = 1  # each worker renders the catalog once
CPU_SECONDS = 8
QUICK_CPU_SECONDS = 4
# Before the CPU count starts: the server finishes what wrk left queued when it stopped.
SETTLE_SECONDS = 1

BOOKINGS_PER_SECOND_TARGET = 30
POST_P95_TARGET_MS = 1500
CATALOG_RPS_RATIO_TARGET = 0.25  # during the rush, at least this share of the catalog alone
CATALOG_P99_RATIO_TARGET = 5.0  # during the rush, at most this multiple of the catalog alone
CPU_PER_BOOKING_TARGET_MS = 15


@dataclass(frozen=True)
class Servers:
    app: ServerProcess  # its pid leads the process group of the arbiter and its workers
    stripe: ServerProcess

    @property
    def pay_page_prefix(self) -> str:
        return f"{self.stripe.base_url}/checkout/pay/"


@dataclass(frozen=True)
class Rush:
    passes: list[Pass]  # every pass, the warm-up and the last ones after the window included
    window_seconds: float
    in_window: list[Pass]  # those that ended inside the window
    catalog: Load  # wrk on `/` during the window

    @property
    def bookings(self) -> int:
        return sum(done.granted for done in self.in_window)

    @property
    def post_ms(self) -> list[float]:
        """Every booking POST answered inside the window, in ms, ascending."""
        return sorted(d.post_seconds * 1000 for d in self.in_window if d.post_seconds is not None)

    @property
    def seats_promised(self) -> int:
        return sum(done.visitor.seats for done in self.passes if done.granted)


@dataclass(frozen=True)
class CpuUse:
    passes: list[Pass]
    app_seconds: float  # CPU time of the gunicorn instance, every process of it
    stripe_seconds: float  # CPU time of the local Stripe server
    client_seconds: float  # CPU time of this process: the visitors' own work

    @property
    def bookings(self) -> int:
        return sum(done.granted for done in self.passes)

    def per_booking_ms(self, cpu_seconds: float) -> float | None:
        return cpu_seconds * 1000 / self.bookings if self.bookings else None


def run(bench) -> list[Figure]:
    window = bench.seconds(full=WINDOW_SECONDS, quick=QUICK_WINDOW_SECONDS)
    cpu_seconds = bench.seconds(full=CPU_SECONDS, quick=QUICK_CPU_SECONDS)
    database_url = bench.databases.fresh("rush")
    app = database_app(database_url)
    try:
        retreat = create_bench_retreat(app, seats=SEATS)
        seed_published_retreats(app, count=CATALOG_RETREATS)
        with running_servers(bench, database_url) as servers:
            catalog_url = servers.app.base_url + "/"
            visitors = BookingVisitors(
                visitors_for(
                    clients=BOOKING_VISITORS,
                    instance_urls=(servers.app.base_url,),
                    ticket_ids=retreat.ticket_ids,
                ),
                slug=retreat.slug,
                pay_page_prefix=servers.pay_page_prefix,
            )
            try:
                alone = catalog_alone(catalog_url, seconds=window)
                rush = booking_rush(visitors, catalog_url, seconds=window)
                seats_taken = seats_taken_now(app, retreat.id)
                cpu = cpu_per_booking(visitors, servers, seconds=cpu_seconds)
            finally:
                visitors.close()
    finally:
        close_connections(app)
    scenario = (
        f"rush, Stripe {bench.stripe_delay_ms} ms late, {BOOKING_VISITORS} booking + "
        f"{BROWSING_CONNECTIONS} browsing, {bench.rush_server.label}"
    )
    return [
        *_booking_figures(scenario, rush),
        *_catalog_figures(scenario, alone, rush.catalog),
        *_soundness_figures(scenario, rush, cpu, seats_taken=seats_taken),
        *_cpu_figures(scenario, cpu),
    ]


@contextmanager
def running_servers(bench, database_url: str) -> Iterator[Servers]:
    """The local Stripe server, answering late, and one gunicorn instance set up as asked."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    with (
        local_stripe_process(
            state_dir=bench.work_dir / "rush-local-stripe",
            webhook_url=f"{app_url}/stripe/webhook",
            webhook_secret=WEBHOOK_SECRET,
            memory_only=True,
            api_delay_ms=bench.stripe_delay_ms,
        ) as stripe,
        gunicorn_process(
            env=app_environment(
                database_url, STRIPE_API_BASE=stripe.base_url, PUBLIC_BASE_URL=app_url
            ),
            port=port,
            log_dir=bench.work_dir / "rush",
            startup_timeout=STARTUP_TIMEOUT,
            access_log=False,  # writing it would be part of what is measured
            **bench.rush_server.gunicorn_options(),
        ) as app,
    ):
        yield Servers(app=app, stripe=stripe)


def catalog_alone(catalog_url: str, *, seconds: float) -> Load:
    """Phase a: the catalog with nobody booking."""
    load(catalog_url, seconds=CATALOG_WARM_UP_SECONDS, connections=BROWSING_CONNECTIONS)
    return load(catalog_url, seconds=seconds, connections=BROWSING_CONNECTIONS)


def booking_rush(visitors: BookingVisitors, catalog_url: str, *, seconds: float) -> Rush:
    """Phase b: the visitors book while wrk browses the catalog for `seconds`."""
    with visitors.booking() as passes:
        time.sleep(BOOKING_WARM_UP_SECONDS)
        started = time.perf_counter()
        catalog = load(catalog_url, seconds=seconds, connections=BROWSING_CONNECTIONS)
        ended = time.perf_counter()
    return Rush(
        passes=passes,
        window_seconds=ended - started,
        in_window=[done for done in passes if started <= done.ended <= ended],
        catalog=catalog,
    )


def cpu_per_booking(visitors: BookingVisitors, servers: Servers, *, seconds: float) -> CpuUse:
    """Phase c: the visitors book for `seconds`, nobody browses; the servers' CPU meanwhile."""
    time.sleep(SETTLE_SECONDS)
    app_before = process_group_cpu_seconds(servers.app.pid)
    stripe_before = process_cpu_seconds(servers.stripe.pid)
    client_before = process_cpu_seconds(os.getpid())
    with visitors.booking() as passes:
        time.sleep(seconds)
    # The block ends once every visitor has finished its pass: no request is left half-served.
    return CpuUse(
        passes=passes,
        app_seconds=process_group_cpu_seconds(servers.app.pid) - app_before,
        stripe_seconds=process_cpu_seconds(servers.stripe.pid) - stripe_before,
        client_seconds=process_cpu_seconds(os.getpid()) - client_before,
    )


def _booking_figures(scenario: str, rush: Rush) -> list[Figure]:
    per_second = rush.bookings / rush.window_seconds
    p95 = percentile(rush.post_ms, 0.95)
    return [
        figure(
            scenario,
            "bookings/s",
            f"{per_second:.1f} ({rush.bookings} in {rush.window_seconds:.0f} s)",
            target=f"≥ {BOOKINGS_PER_SECOND_TARGET}",
            met=per_second >= BOOKINGS_PER_SECOND_TARGET,
        ),
        figure(scenario, "booking POST p50", milliseconds(percentile(rush.post_ms, 0.5))),
        figure(
            scenario,
            "booking POST p95",
            milliseconds(p95),
            target=f"≤ {POST_P95_TARGET_MS / 1000:g} s",
            met=p95 is not None and p95 <= POST_P95_TARGET_MS,
        ),
    ]


def _catalog_figures(scenario: str, alone: Load, during: Load) -> list[Figure]:
    rps_ratio = ratio(during.requests_per_second, alone.requests_per_second)
    p99_ratio = ratio(during.p99_ms, alone.p99_ms)
    bad_answers = alone.bad_answers + during.bad_answers
    return [
        figure(scenario, "catalog req/s alone", _rate(alone)),
        figure(
            scenario,
            "catalog req/s during the rush",
            f"{_rate(during)} ({_share(rps_ratio)} × alone)",
            target=f"≥ {CATALOG_RPS_RATIO_TARGET} × alone",
            met=rps_ratio >= CATALOG_RPS_RATIO_TARGET,
        ),
        figure(
            scenario,
            "catalog p50 alone and during the rush",
            f"{alone.p50_ms:.1f} ms, {during.p50_ms:.1f} ms",
        ),
        figure(scenario, "catalog p99 alone", f"{alone.p99_ms:.1f} ms"),
        figure(
            scenario,
            "catalog p99 during the rush",
            f"{during.p99_ms:.1f} ms ({p99_ratio:.1f} × alone)",
            target=f"≤ {CATALOG_P99_RATIO_TARGET:g} × alone",
            met=p99_ratio <= CATALOG_P99_RATIO_TARGET,
        ),
        figure(
            scenario,
            "catalog error answers",
            f"{bad_answers} (alone {alone.bad_answers}, during the rush {during.bad_answers})",
            target="0",
            met=not bad_answers,
        ),
    ]


def _soundness_figures(scenario: str, rush: Rush, cpu: CpuUse, *, seats_taken: int) -> list[Figure]:
    """Errors in every booking phase; seats read back from the database after the rush."""
    problems = Counter(done.problem for done in rush.passes + cpu.passes if not done.granted)
    errors = sum(problems.values())
    listed = ", ".join(f"{problem} × {count}" for problem, count in problems.most_common(3))
    oversold = max(seats_taken - SEATS, 0)
    return [
        figure(
            scenario,
            "errors",
            f"{errors} ({listed})" if errors else "0",
            target="0",
            met=not errors,
        ),
        figure(
            scenario,
            "oversold",
            f"{oversold} ({seats_taken} seats taken, {rush.seats_promised} promised)",
            target="0, and seats taken = seats promised",
            met=not oversold and seats_taken == rush.seats_promised,
        ),
    ]


def _cpu_figures(scenario: str, cpu: CpuUse) -> list[Figure]:
    app_ms = cpu.per_booking_ms(cpu.app_seconds)
    stripe_ms = cpu.per_booking_ms(cpu.stripe_seconds)
    return [
        figure(
            scenario,
            "CPU per booking (form + POST)",
            f"{_ms(app_ms)} ({cpu.bookings} bookings, {cpu.app_seconds:.2f} s CPU)",
            target=f"≤ {CPU_PER_BOOKING_TARGET_MS} ms",
            met=app_ms is not None and app_ms <= CPU_PER_BOOKING_TARGET_MS,
        ),
        figure(scenario, "local Stripe CPU per booking", _ms(stripe_ms)),
        figure(
            scenario,
            "the visitors' own CPU per booking (this process)",
            _ms(cpu.per_booking_ms(cpu.client_seconds)),
        ),
    ]


def _rate(catalog: Load) -> str:
    """Requests/s, with the count when so few were answered that a percentile means little."""
    per_second = catalog.requests_per_second
    if catalog.requests >= 1000:
        return f"{per_second:.0f}"
    return f"{per_second:.1f} ({catalog.requests} requests)"


def _share(value: float) -> str:
    return f"{value:.2f}" if value >= 0.01 else f"{value:.4f}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"
