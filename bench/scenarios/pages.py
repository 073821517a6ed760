"""Public pages under load, against a bare Flask hello-world served the same way in the same run.

gunicorn with 2 sync workers and no access log serves both; wrk keeps 32 connections busy. The
catalog is loaded with 50 upcoming published retreats, then with 1,000 (it paginates), and one
retreat's page. Targets: requests/s at least half of hello-world's, p99 at most three times.
"""

from __future__ import annotations

from devtools.gunicorn_runner import running_gunicorn

from ..report import Figure, figure, ratio
from ..retreat import close_connections, database_app
from ..seed import seed_published_retreats
from ..stack import app_environment
from ..wrk import Load, load

WORKERS = 2
RPS_RATIO_TARGET = 0.5
P99_RATIO_TARGET = 3.0


def run(bench) -> list[Figure]:
    seconds = bench.seconds(full=10, quick=3)
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
            load(hello_url + "/", seconds=1)  # warm up both before measuring
            load(app_url + "/", seconds=1)
            hello = load(hello_url + "/", seconds=seconds)
            figures += _hello_figures(hello)
            catalog = load(app_url + "/", seconds=seconds)
            figures += _page_figures("catalog /, 50 retreats", catalog, hello)
            detail = load(f"{app_url}/retreats/{slugs[len(slugs) // 2]}", seconds=seconds)
            figures += _page_figures("retreat page", detail, hello)
            seed_published_retreats(app, count=950, first_number=50)
            load(app_url + "/", seconds=1)
            catalog_1000 = load(app_url + "/", seconds=seconds)
            figures += _page_figures("catalog /, 1,000 retreats", catalog_1000, hello)
            later_page = load(app_url + "/?page=20", seconds=seconds)
            figures += _page_figures("catalog /?page=20, 1,000 retreats", later_page, hello)
    finally:
        close_connections(app)
    return figures


def _hello_figures(hello: Load) -> list[Figure]:
    scenario = "hello-world (the yardstick)"
    return [
        figure(scenario, "requests/s", f"{hello.requests_per_second:.0f}"),
        figure(scenario, "p99", f"{hello.p99_ms:.1f} ms"),
    ]


def _page_figures(scenario: str, page: Load, hello: Load) -> list[Figure]:
    rps_ratio = ratio(page.requests_per_second, hello.requests_per_second)
    p99_ratio = ratio(page.p99_ms, hello.p99_ms)
    return [
        figure(
            scenario,
            "requests/s",
            f"{page.requests_per_second:.0f} ({rps_ratio:.2f} × hello-world)",
            target=f"≥ {RPS_RATIO_TARGET} × hello-world",
            met=rps_ratio >= RPS_RATIO_TARGET,
        ),
        figure(
            scenario,
            "p99",
            f"{page.p99_ms:.1f} ms ({p99_ratio:.2f} × hello-world)",
            target=f"≤ {P99_RATIO_TARGET:g} × hello-world",
            met=p99_ratio <= P99_RATIO_TARGET,
        ),
        figure(
            scenario, "error answers", str(page.bad_answers), target="0", met=not page.bad_answers
        ),
    ]
