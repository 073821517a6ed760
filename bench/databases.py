"""One throwaway PostgreSQL for the whole run; each scenario gets its own fresh database.

The migrations run once, into a template database; a scenario's database is a copy of it
(`CREATE DATABASE … TEMPLATE`), made in a blink, so scenarios never see each other's rows.
"""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devtools.local_stripe.runner import REPO_ROOT

from .stack import app_environment

TEMPLATE = "bench_template"


class Databases:
    def __init__(self, server_url: str):
        self.server_url = server_url  # the cluster's `postgres` database
        self._made: set[str] = set()

    def url_of(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def _run_sql(self, statement: str) -> None:
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def prepare_template(self) -> None:
        """Create the template database and apply the migrations, as a release would."""
        self._run_sql(f"CREATE DATABASE {TEMPLATE}")
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=REPO_ROOT,
            env=app_environment(self.url_of(TEMPLATE)),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip().splitlines()[-20:]
            raise RuntimeError("flask db upgrade failed:\n" + "\n".join(output))

    def fresh(self, name: str) -> str:
        """A new migrated, empty database for one scenario; its SQLAlchemy URL."""
        if name in self._made:
            self._run_sql(f"DROP DATABASE {name} WITH (FORCE)")
        self._run_sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        self._made.add(name)
        return self.url_of(name)

    def server_version(self) -> str:
        engine = create_engine(self.server_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text("SHOW server_version")).scalar_one().split()[0]
        finally:
            engine.dispose()
