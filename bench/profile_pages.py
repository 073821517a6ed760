"""Where the catalog's time goes: pyinstrument profiles of serving a kept page and of rendering.

    python -m bench.profile_pages [--requests 2000] [--path /retreats/bench-retreat-0025]
                                  [--no-profile]

In-process (Flask's test client), against a throwaway PostgreSQL with the 50 retreats of the
`pages` scenario. Prints three profiles of GET `--path` (default `/`), each headed by its CPU
milliseconds per request (with `--no-profile`, only those, measured unprofiled): a kept page
served from memory (the common case); the page rendered afresh with nothing kept (what every
worker does once after each change: a booking, an edit); and the page as a visitor with a
session sees it (the cookie the booking form sets), which is never served from memory.
"""

from __future__ import annotations

import argparse
import time

from pyinstrument import Profiler

from devtools.postgres import running_postgres
from retreats import create_app
from retreats.caching.fragments import forget_kept_pages_and_fragments
from retreats.extensions import db

from .databases import Databases
from .seed import seed_published_retreats


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_pages")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--path", default="/", help="the page to profile (default /)")
    parser.add_argument("--no-profile", action="store_true", help="only the CPU per request")
    args = parser.parse_args()
    profile = not args.no_profile
    with running_postgres() as server_url:
        databases = Databases(server_url)
        databases.prepare_template()
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": databases.fresh("profile"), "RATE_LIMITS_ENABLED": True}
        )
        slugs = seed_published_retreats(app, count=50)
        client = app.test_client()
        path, fresh_requests = args.path, max(args.requests // 20, 10)
        try:
            client.get(path)
            print(_profile("a kept page served from memory", client, path, args.requests, profile))
            app.config["PUBLIC_PAGE_RECHECK_MS"] = 0
            print(
                _profile(
                    "the page rendered afresh",
                    client,
                    path,
                    fresh_requests,
                    profile,
                    before_each=lambda: _forget_kept(app),
                )
            )
            app.config["PUBLIC_PAGE_RECHECK_MS"] = 250  # the default, as the servers run
            with_session = app.test_client()
            with_session.get(f"/retreats/{slugs[0]}/book")  # sets the session (its CSRF token)
            with_session.get(path)
            print(_profile("a visitor with a session", with_session, path, args.requests, profile))
        finally:
            with app.app_context():
                db.engine.dispose()


def _forget_kept(app) -> None:
    """Drop the kept pages and fragments: the next request renders everything afresh."""
    with app.app_context():
        forget_kept_pages_and_fragments()


def _profile(title: str, client, path: str, requests: int, profile: bool, before_each=None) -> str:
    profiler = Profiler(interval=0.0005) if profile else None
    if profiler:
        profiler.start()
    cpu_started = time.process_time()
    for _ in range(requests):
        if before_each:
            before_each()
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
    cpu_ms = (time.process_time() - cpu_started) * 1000 / requests
    heading = f"=== {title}: GET {path} × {requests}, {cpu_ms:.2f} ms CPU each"
    if profiler is None:
        return heading
    profiler.stop()
    return f"{heading} (profiled)\n{profiler.output_text(unicode=True, color=False)}"


if __name__ == "__main__":
    main()
