"""Public pages under load, against a bare Flask hello-world served the same way in the same run.

gunicorn with 2 sync workers and no access log serves both; wrk keeps 32 connections busy. The
catalog is loaded with 50 upcoming published retreats, then with 1,000 (it paginates), and one
retreat's page. Targets: requests/s at least half of hello-world's, p99 at most three times.

Each page is measured in rounds that alternate with hello-world (hello, page, hello, page …),
and each figure is the median over the rounds of the page's value and of its ratio to the
hello-world round just before it: whatever else the machine does drifts both alike.
"""

from __future__ import annotations

import statistics

from sqlalchemy import event

from devtools.gunicorn_runner import running_gunicorn
from retreats.caching.public_pages import page_store
from retreats.extensions import db

from ..report import Figure, figure, ratio
from ..retreat import close_connections, database_app
from ..seed import seed_published_retreats
from ..stack import app_environment
from ..wrk import Load, load

WORKERS = 2
MOST_STATEMENTS_PER_PAGE = 3
RPS_RATIO_TARGET = 0.5
P99_RATIO_TARGET = 3.0


def run(bench) -> list[Figure]:
    rounds = 3 if bench.quick else 5
    seconds = bench.seconds(full=2, quick=1)
    database_url = bench.databases.fresh("pages")
    app = database_app(database_url)
    figures: list[Figure] = []
    try:
        slugs = seed_published_retreats(app, count=50)
        with (
            running_gunicorn(
                env=app_environment(database_url),
                workers=WORKERS,
                log_dir=bench.work_dir,
                access_log=False,
                app="bench.hello_app:app",
                ready_path="/",
            ) as hello_url,
            running_gunicorn(
                # As in production: the rate limiter runs (it limits no page measured here).
                env=app_environment(database_url, RATE_LIMITS_ENABLED="true"),
                workers=WORKERS,
                log_dir=bench.work_dir,
                access_log=False,
            ) as app_url,
        ):

            def measure(scenario: str, page_url: str) -> list[Figure]:
                load(page_url, seconds=1)  # warm up: each worker renders the page once
                pairs = [
                    (load(hello_url + "/", seconds=seconds), load(page_url, seconds=seconds))
                    for _ in range(rounds)
                ]
                return _page_figures(scenario, pairs)

            detail_path = f"/retreats/{slugs[len(slugs) // 2]}"
            figures += statement_figures(app, "50 retreats", ["/", detail_path])
            figures += measure("catalog /, 50 retreats", app_url + "/")
            figures += measure("retreat page", app_url + detail_path)
            seed_published_retreats(app, count=950, first_number=50)
            figures += statement_figures(app, "1,000 retreats", ["/", "/?page=20", detail_path])
            figures += measure("catalog /, 1,000 retreats", app_url + "/")
            figures += measure("catalog /?page=20, 1,000 retreats", app_url + "/?page=20")
    finally:
        close_connections(app)
    return figures


def statement_figures(app, scenario: str, paths: list[str]) -> list[Figure]:
    """SQL statements of one request, rendered afresh (the most it sends) and served from memory.

    In-process, counted on the engine; the same numbers the tests assert.
    """
    figures = []
    for path in paths:
        fresh, kept = _statements(app, path, fresh=True), _statements(app, path, fresh=False)
        figures.append(
            figure(
                f"SQL per request, {scenario}",
                f"GET {path}",
                f"{fresh} rendered, {kept} served from memory",
                target=f"≤ {MOST_STATEMENTS_PER_PAGE}",
                met=max(fresh, kept) <= MOST_STATEMENTS_PER_PAGE,
            )
        )
    return figures


def _statements(app, path: str, *, fresh: bool) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    app.config["PUBLIC_PAGE_RECHECK_MS"] = 0  # the state is read by every request
    with app.app_context():
        if fresh:
            page_store().clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = app.test_client().get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return len(statements)


def _page_figures(scenario: str, pairs: list[tuple[Load, Load]]) -> list[Figure]:
    hello_rps = statistics.median(hello.requests_per_second for hello, _ in pairs)
    hello_p99 = statistics.median(hello.p99_ms for hello, _ in pairs)
    page_rps = statistics.median(page.requests_per_second for _, page in pairs)
    page_p99 = statistics.median(page.p99_ms for _, page in pairs)
    rps_ratio = statistics.median(
        ratio(page.requests_per_second, hello.requests_per_second) for hello, page in pairs
    )
    p99_ratio = statistics.median(ratio(page.p99_ms, hello.p99_ms) for hello, page in pairs)
    bad_answers = sum(page.bad_answers for _, page in pairs)
    return [
        figure(scenario, "hello-world beside it", f"{hello_rps:.0f} req/s, p99 {hello_p99:.1f} ms"),
        figure(
            scenario,
            "requests/s",
            f"{page_rps:.0f} ({rps_ratio:.2f} × hello-world)",
            target=f"≥ {RPS_RATIO_TARGET} × hello-world",
            met=rps_ratio >= RPS_RATIO_TARGET,
        ),
        figure(
            scenario,
            "p99",
            f"{page_p99:.1f} ms ({p99_ratio:.2f} × hello-world)",
            target=f"≤ {P99_RATIO_TARGET:g} × hello-world",
            met=p99_ratio <= P99_RATIO_TARGET,
        ),
        figure(scenario, "error answers", str(bad_answers), target="0", met=not bad_answers),
    ]
