"""Shared fixtures: a fresh app and database per test, factories, and real servers."""

from __future__ import annotations

import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import requests
from flask import g
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import event
from werkzeug.serving import make_server

from devtools.local_stripe.runner import free_port, running_local_stripe
from devtools.postgres import running_postgres
from devtools.smtp_inbox import RecordingInbox
from retreats import create_app
from retreats.database import utcnow
from retreats.extensions import db as _db
from retreats.listings.models import (
    Audience,
    Focus,
    Retreat,
    RetreatKind,
    RetreatStatus,
    TicketType,
)
from retreats.organizer.accounts.models import Organizer


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per run and shared by every test's app (each has its own Jinja
    environment, which would otherwise compile every template it renders again)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()
TEST_WEBHOOK_SECRET = "whsec_test_suite"
SCHEMA_TEMPLATE = "retreats_schema_template"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what runs on PostgreSQL and what drives a browser, so `-m` can pick them."""
    e2e = Path(__file__).parent / "e2e"
    for item in items:
        params = item.callspec.params if hasattr(item, "callspec") else {}
        if params.get("database_backend") == "postgresql" or "postgres_server" in item.fixturenames:
            item.add_marker(pytest.mark.postgres)
        if e2e in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the whole run, holding an empty schema template."""
    with running_postgres() as server_url:
        template_url = server_url.rsplit("/", 1)[0] + "/" + SCHEMA_TEMPLATE
        with psycopg.connect(plain_url(server_url), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {SCHEMA_TEMPLATE}")
        app = create_app({"SQLALCHEMY_DATABASE_URI": template_url, "TESTING": True})
        with app.app_context():
            _db.create_all()
            _db.engine.dispose()
        yield server_url


# Every column of the public schema: a test that changed the schema (migrations) changes this.
SCHEMA_FINGERPRINT = """
    SELECT md5(string_agg(table_name || '.' || column_name || ':' || data_type, ','
                          ORDER BY table_name, column_name))
    FROM information_schema.columns WHERE table_schema = 'public'
"""


class ReusedDatabase:
    """The PostgreSQL database of the tests of one run (of one xdist worker), emptied before
    each test: deleting a few rows takes milliseconds, CREATE DATABASE … TEMPLATE a quarter of
    a second. A test that left the schema changed gets a new copy of the template instead."""

    def __init__(self, server_url: str) -> None:
        self.server = plain_url(server_url)
        self.name = f"test_{uuid.uuid4().hex[:12]}"
        self.url = server_url.rsplit("/", 1)[0] + "/" + self.name
        self._copy_template()
        with psycopg.connect(plain_url(self.url), autocommit=True) as connection:
            self.fingerprint = connection.execute(SCHEMA_FINGERPRINT).fetchone()[0]
            self.emptying = "; ".join(
                [f"DELETE FROM {table.name}" for table in reversed(_db.metadata.sorted_tables)]
                + [
                    f"ALTER SEQUENCE {name} RESTART"
                    for (name,) in connection.execute(
                        "SELECT sequence_name FROM information_schema.sequences"
                        " WHERE sequence_schema = 'public'"
                    )
                ]
            )

    def _copy_template(self) -> None:
        with psycopg.connect(self.server, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {self.name} TEMPLATE {SCHEMA_TEMPLATE}")

    def empty(self) -> str:
        """The database as the template left it: every table, no rows, sequences from 1."""
        with psycopg.connect(self.server, autocommit=True) as connection:
            # Whatever the last test left connected (a server thread, a worker) lets go now.
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
        with psycopg.connect(plain_url(self.url), autocommit=True) as connection:
            if connection.execute(SCHEMA_FINGERPRINT).fetchone()[0] == self.fingerprint:
                connection.execute(self.emptying)
                return self.url
        self._copy_template()
        return self.url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file with every table, made once per run: a test starts from a copy of it."""
    path = tmp_path_factory.mktemp("schema") / "template.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        _db.create_all()
        _db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def reused_postgres_database(postgres_server) -> ReusedDatabase:
    return ReusedDatabase(postgres_server)


@pytest.fixture
def database_backend() -> str:
    """SQLite by default; tests/booking and tests/payments run on both backends."""
    return "sqlite"


@pytest.fixture
def database_url(request, database_backend, tmp_path) -> str:
    """An empty database with every table, for one test."""
    if database_backend == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("reused_postgres_database").empty()


def plain_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Settings for one test's app; tests that need more override this dict before `app`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "STRIPE_SECRET_KEY": "sk_test_suite",
        # Nothing listens here unless a test starts the local Stripe server.
        "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        # A Stripe that is not there fails at once instead of after the client's back-off;
        # tests of retrying set their own.
        "STRIPE_MAX_NETWORK_RETRIES": 0,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": free_port(),
        "MAIL_DEFAULT_SENDER": "Open Hearts <bookings@retreats.test>",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),  # never the project's own instance/uploads
        # Tests send many requests from 127.0.0.1; tests/test_rate_limits.py turns limits on.
        "RATE_LIMITS_ENABLED": False,
        # Kept public pages check for changes on every request, so a test sees its own writes.
        "PUBLIC_PAGE_RECHECK_MS": 0,
    }


@pytest.fixture
def app(app_config):
    """A Flask app on its own fresh SQLite database, inside an app context."""
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES

    @app.before_request
    def forget_what_the_last_request_cached():
        # Test-client requests run inside this fixture's one app context, so they share `g`;
        # a real server gives each request its own. Without this, Flask-Login's cached user and
        # Flask-WTF's cached CSRF token would pass from one client to the next.
        for name in ("_login_user", "csrf_token"):
            g.pop(name, None)

    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def count_statements(db) -> Callable[[], AbstractContextManager[list[str]]]:
    """`with count_statements() as statements:` lists every SQL statement the block sends."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def requests_session_factory() -> Callable[[], requests.Session]:
    """Make HTTP clients with their own cookies, one per visitor."""

    def new_visitor() -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
        return session

    return new_visitor


@pytest.fixture
def browser(requests_session_factory) -> requests.Session:
    """One visitor's HTTP client."""
    return requests_session_factory()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def organizer(db) -> Organizer:
    # A password, so tests can sign in as them (an account without one never can).
    person = Organizer(
        email="host@example.org", name="Test Host", password_hash="scrypt:test-only-not-a-hash"
    )
    db.session.add(person)
    db.session.commit()
    return person


@pytest.fixture
def make_retreat(db, organizer) -> Callable[..., Retreat]:
    """Factory: a published retreat a few weeks ahead with an individual and a couple ticket."""
    counter = iter(range(1, 10_000))

    def make(
        *,
        capacity: int = 10,
        status: RetreatStatus = RetreatStatus.PUBLISHED,
        starts_in: timedelta = timedelta(days=30),
        timezone: str = "Europe/Lisbon",
        currency: str = "EUR",
        tickets: list[tuple[str, int, int]] | None = None,
        **overrides,
    ) -> Retreat:
        number = next(counter)
        starts_at = (utcnow() + starts_in).replace(minute=0, second=0, microsecond=0)
        fields = {
            "slug": f"retreat-{number}",
            "title": f"Heart Retreat {number}",
            "kind": RetreatKind.RETREAT,
            "focus": Focus.EMOTIONAL,
            "audience": Audience.EVERYONE,
            "summary": "A calm weekend of listening and closeness.",
            "description_md": "We **listen**.",
            "venue": "Quinta do Vale",
            "city": "Sintra",
            "country": "Portugal",
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(days=2),
            "timezone": timezone,
            "capacity": capacity,
            "currency": currency,
            "status": status,
            "cancellation_policy": "Full refund until 30 days before.",
            "preparation_guide_md": "Bring warm socks.",
            "organizer": organizer,
        }
        retreat = Retreat(**(fields | overrides))
        for position, (name, price, seats) in enumerate(
            tickets or [("Individual", 25_000, 1), ("Couple (2 people)", 45_000, 2)]
        ):
            retreat.ticket_types.append(
                TicketType(name=name, price_minor=price, seats_per_ticket=seats, position=position)
            )
        db.session.add(retreat)
        db.session.commit()
        return retreat

    return make


# The tests' SMTP server: a real aiosmtpd server that keeps every message (devtools/smtp_inbox.py).
SmtpInbox = RecordingInbox


@pytest.fixture
def smtp_inbox(app_config) -> Iterator[SmtpInbox]:
    """A real SMTP server on 127.0.0.1 at the port the app is configured to use."""
    with SmtpInbox(host="127.0.0.1", port=app_config["MAIL_PORT"]).running() as inbox:
        yield inbox


def wait_until(predicate: Callable[[], object], *, timeout: float = 15, interval: float = 0.05):
    """Poll until predicate() is truthy and return its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class LiveSite:
    """The app served over real HTTP, talking to a real local Stripe server."""

    url: str
    stripe_url: str


@pytest.fixture
def live_site(app, app_config, tmp_path) -> Iterator[LiveSite]:
    """Serve `app` on 127.0.0.1 in a thread, with the local Stripe server sending it webhooks."""
    port = int(app_config["PUBLIC_BASE_URL"].rsplit(":", 1)[1])
    with running_local_stripe(
        state_dir=tmp_path / "local-stripe",
        webhook_url=f"http://127.0.0.1:{port}/stripe/webhook",
        webhook_secret=TEST_WEBHOOK_SECRET,
    ) as stripe_url:
        app.config["STRIPE_API_BASE"] = stripe_url
        app.extensions.pop("stripe_client", None)
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveSite(url=f"http://127.0.0.1:{port}", stripe_url=stripe_url)
        finally:
            server.shutdown()
            thread.join(timeout=10)
