"""Where the catalog's time goes: a pyinstrument profile of serving a kept page and of rendering.

    python -m bench.profile_pages [--requests 2000]

In-process (Flask's test client), against a throwaway PostgreSQL with the 50 retreats of the
`pages` scenario. Prints two profiles: a kept page served from memory (the common case), and the
page rendered afresh (what every worker does once after each change: a booking, an edit).
"""

from __future__ import annotations

import argparse

from pyinstrument import Profiler

from devtools.postgres import running_postgres
from retreats import create_app
from retreats.caching.public_pages import page_store
from retreats.extensions import db

from .databases import Databases
from .seed import seed_published_retreats


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_pages")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with running_postgres() as server_url:
        databases = Databases(server_url)
        databases.prepare_template()
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": databases.fresh("profile"), "RATE_LIMITS_ENABLED": True}
        )
        seed_published_retreats(app, count=50)
        client = app.test_client()
        try:
            client.get("/")
            print(_profile("a kept page served from memory", client, args.requests))
            app.config["PUBLIC_PAGE_RECHECK_MS"] = 0
            with app.app_context():
                forget_kept_pages = page_store().clear
            print(
                _profile(
                    "the page rendered afresh",
                    client,
                    max(args.requests // 20, 10),
                    before_each=forget_kept_pages,
                )
            )
        finally:
            with app.app_context():
                db.engine.dispose()


def _profile(title: str, client, requests: int, before_each=None) -> str:
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(requests):
        if before_each:
            before_each()
        client.get("/")
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False)
    return f"=== {title}: GET / × {requests}\n{text}"


if __name__ == "__main__":
    main()
