"""Public pages under load, against a bare Flask hello-world served the same way in the same run.

gunicorn with 2 workers set up as in production (gunicorn.conf.py) and no access log serves
both; wrk keeps 32 connections busy. The catalog is loaded with 50 upcoming published retreats,
then with 1,000 (it paginates; and a search in it), and one retreat's page. Targets:
requests/s at least half of hello-world's, p99 at most three times.

A visitor with a session (the cookie the booking form sets, for its CSRF token) gets every page
rendered afresh, not from memory: the catalog of 50 retreats and the retreat page are also loaded
with such a visitor's real cookie. Target for that catalog: requests/s at least a quarter of
hello-world's; its p99 and the retreat page are shown for context. A search in the catalog has
the same target: it is never kept whole either (its content is).

Each page is measured in rounds that alternate with hello-world (hello, page, hello, page …),
and each figure is the median over the rounds of the page's value and of its ratio to the
hello-world round just before it: whatever else the machine does drifts both alike.
"""

from __future__ import annotations

import statistics

import requests
from sqlalchemy import event

from devtools.gunicorn_runner import running_gunicorn
from retreats.caching.fragments import forget_kept_pages_and_fragments
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
# Rendered afresh for a visitor with a session: what its page costs is the afresh render.
SESSION_RPS_RATIO_TARGET = 0.25
# A search: never kept whole (any text is a new page), so its layout is rendered around its
# kept content, as for a visitor with a session, and has the same target. It finds 12 listings.
SEARCH_PATH = "/?q=weekend+12"


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

            def measure(scenario: str, page_url: str, **targets) -> list[Figure]:
                return _measure(scenario, page_url, hello_url, seconds, rounds, **targets)

            detail_path = f"/retreats/{slugs[len(slugs) // 2]}"
            figures += statement_figures(app, "50 retreats", ["/", detail_path])
            figures += measure("catalog /, 50 retreats", app_url + "/")
            figures += measure("retreat page", app_url + detail_path)
            with_session = visitor_session_headers(app_url, slugs[0])
            figures += measure(
                "catalog /, 50 retreats, visitor with a session",
                app_url + "/",
                headers=with_session,
                rps_target=SESSION_RPS_RATIO_TARGET,
                p99_target=None,
            )
            figures += measure(
                "retreat page, visitor with a session",
                app_url + detail_path,
                headers=with_session,
                rps_target=None,
                p99_target=None,
            )
            seed_published_retreats(app, count=950, first_number=50)
            figures += statement_figures(
                app, "1,000 retreats", ["/", "/?page=20", SEARCH_PATH, detail_path]
            )
            figures += measure("catalog /, 1,000 retreats", app_url + "/")
            figures += measure("catalog /?page=20, 1,000 retreats", app_url + "/?page=20")
            figures += measure(
                f"catalog {SEARCH_PATH}, 1,000 retreats",
                app_url + SEARCH_PATH,
                rps_target=SESSION_RPS_RATIO_TARGET,
                p99_target=None,
            )
    finally:
        close_connections(app)
    return figures


def _measure(
    scenario: str,
    page_url: str,
    hello_url: str,
    seconds: float,
    rounds: int,
    *,
    headers: dict[str, str] | None = None,
    rps_target: float | None = RPS_RATIO_TARGET,
    p99_target: float | None = P99_RATIO_TARGET,
) -> list[Figure]:
    load(page_url, seconds=1, headers=headers)  # warm up: each worker renders the page once
    pairs = [
        (
            load(hello_url + "/", seconds=seconds),
            load(page_url, seconds=seconds, headers=headers),
        )
        for _ in range(rounds)
    ]
    return _page_figures(scenario, pairs, rps_target=rps_target, p99_target=p99_target)


def visitor_session_headers(app_url: str, slug: str) -> dict[str, str]:
    """A real visitor's Cookie header: the session the booking form sets for its CSRF token.

    Checked to be a page rendered afresh (no ETag), so the figure measures what it names.
    """
    form = requests.get(f"{app_url}/retreats/{slug}/book", timeout=30)
    form.raise_for_status()
    if not form.cookies:
        raise RuntimeError(f"GET /retreats/{slug}/book set no cookie")
    cookie = "; ".join(f"{name}={value}" for name, value in form.cookies.items())
    headers = {"Cookie": cookie}
    page = requests.get(app_url + "/", headers=headers, timeout=30)
    page.raise_for_status()
    if "ETag" in page.headers or "Set-Cookie" in page.headers:
        raise RuntimeError("the catalog with a session came from memory or set a cookie")
    return headers


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
            forget_kept_pages_and_fragments()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = app.test_client().get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return len(statements)


def _page_figures(
    scenario: str,
    pairs: list[tuple[Load, Load]],
    *,
    rps_target: float | None,
    p99_target: float | None,
) -> list[Figure]:
    """Median page figures and ratios over the rounds; a target of None shows it for context."""
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
            **_at_least(rps_ratio, rps_target),
        ),
        figure(
            scenario,
            "p99",
            f"{page_p99:.1f} ms ({p99_ratio:.2f} × hello-world)",
            **_at_most(p99_ratio, p99_target),
        ),
        figure(scenario, "error answers", str(bad_answers), target="0", met=not bad_answers),
    ]


def _at_least(value: float, target: float | None) -> dict:
    if target is None:
        return {}
    return {"target": f"≥ {target:g} × hello-world", "met": value >= target}


def _at_most(value: float, target: float | None) -> dict:
    if target is None:
        return {}
    return {"target": f"≤ {target:g} × hello-world", "met": value <= target}
