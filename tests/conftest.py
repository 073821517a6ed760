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
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import event
from werkzeug.serving import make_server

from devtools.local_stripe.runner import free_port, running_local_stripe
from devtools.postgres import running_postgres
from devtools.smtp_inbox import RecordingInbox
from retreats import create_app
from retreats.base.audit import record_audit
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.base.tokens import hash_token
from retreats.booking.models import Answer, Attendee, Booking, BookingStatus
from retreats.booking.pricing import booking_lines, price_booking
from retreats.booking.tokens import booking_token
from retreats.database import utcnow
from retreats.extensions import db as _db
from retreats.listings.models import Retreat
from retreats.listings.questions import Privacy, QuestionKind
from retreats.notifications.models import AttendeeMessage
from retreats.organizer.accounts.models import CoHost, Organizer
from retreats.payments.models import Payment as LedgerPayment
from retreats.payments.models import PaymentKind, PaymentStatus, Refund, RefundStatus
from tests.factories import (
    add_add_on,
    add_question,
    add_room_type,
    create_discount_code,
    create_facilitator,
    create_gift_voucher,
    create_organizer,
    create_retreat,
    create_venue,
    starting_questions,
)


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
    """Mark the browser journeys (tests/e2e), so `-m "not browser"` leaves them out."""
    e2e = Path(__file__).parent / "e2e"
    for item in items:
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
    """SQLite by default; a folder or module that guards money, seats, mail or private data
    runs on both (BOTH_DATABASES)."""
    return "sqlite"


# Parameters for `database_backend`: every test runs once on each database, and its PostgreSQL
# run carries the `postgres` marker (so `-m "not postgres"` leaves the cluster alone). A folder's
# conftest or a module overrides the fixture (`@pytest.fixture(params=BOTH_DATABASES)`); a single
# test that uses the database is decorated with `on_both_databases`. A module that runs on
# PostgreSQL only sets `pytestmark = pytest.mark.postgres` beside its fixture.
BOTH_DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
on_both_databases = pytest.mark.parametrize("database_backend", BOTH_DATABASES)


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
def organizer_password() -> str | None:
    """The password the `organizer` fixtures sign in with; None: a stand-in no one can type
    (tests/organizer, which signs in through the form, sets ORGANIZER_PASSWORD)."""
    return None


@pytest.fixture
def organizer(db, organizer_password) -> Organizer:
    """Organizer A, the host of the retreats `make_retreat` makes."""
    return create_organizer(password=organizer_password)


@pytest.fixture
def other_organizer(db, organizer_password) -> Organizer:
    """Organizer B, a stranger to A's retreats."""
    return create_organizer(
        email="stranger@example.org", name="Other Host", password=organizer_password
    )


@pytest.fixture
def sign_in(app) -> Callable[[Organizer], FlaskClient]:
    """A new test client signed in as the given organizer (through Flask-Login's session)."""

    def signed_in_client(person: Organizer) -> FlaskClient:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = person.get_id()
            session["_fresh"] = True
        return client

    return signed_in_client


@pytest.fixture
def organizer_client(sign_in, organizer) -> FlaskClient:
    """A test client signed in as organizer A."""
    return sign_in(organizer)


@pytest.fixture
def make_retreat(db, organizer) -> Callable[..., Retreat]:
    """Factory: `tests.factories.create_retreat` for organizer A unless `organizer=` says whose,
    numbered 1, 2, 3 … within the test."""
    counter = iter(range(1, 10_000))

    def make(*, organizer: Organizer = organizer, **options) -> Retreat:
        return create_retreat(organizer=organizer, number=next(counter), **options)

    return make


# Organizer A's world, walked by organizer B (tests/organizer/test_access.py) and by hostile input
# (tests/security) ----------------------------------------------------------------------------

# What A's attendees told A alone; none of it may reach B in any form.
SECRETS_OF_A = (
    "Quiet Heart Retreat of A",
    "quiet-heart-of-a",
    "Juniper Secret",
    "juniper@example.org",
    "Needs a step-free room",
    "To trust again after the divorce",
    "Rowan, +351 900 000 000",
    "RB-ACCESS",
    "QUIET-HEART-FRIENDS",  # A's discount code
    "Wren Given-of-A",  # the recipient of a gift voucher bought for A's retreats
    "Carries an EpiPen for wasp stings",  # Juniper's private answer to A's own question
)


IN_CASH = 5_000  # of A's booking, to be given back by hand (a_world)


@pytest.fixture
def a_world(db, make_retreat, organizer) -> dict:
    """A's retreat with a confirmed couple booking, a co-host, a message, a failed email, an
    audit entry and an active gift voucher, each written with one of SECRETS_OF_A; and a room
    type and an add-on. The booking was paid by card and, a little of it, in cash: that part A
    is to give back by hand (a refund `by_organizer`)."""
    (
        title,
        slug,
        name,
        email,
        needs,
        hopes,
        emergency_contact,
        reference,
        code,
        voucher_recipient,
        private_answer,
    ) = SECRETS_OF_A
    retreat = make_retreat(title=title, slug=slug)
    couple = next(t for t in retreat.ticket_types if t.seats_per_ticket == 2)
    now = utcnow()
    booking = Booking(
        reference=reference,
        token_hash=hash_token(booking_token(reference)),
        retreat=retreat,
        ticket_type=couple,
        status=BookingStatus.CONFIRMED,
        seats=2,
        amount_minor=couple.price_minor,
        lines=booking_lines(price_booking(currency=retreat.currency, ticket=couple)),
        currency=retreat.currency,
        contact_name=name,
        contact_email=email,
        hold_expires_at=now + timedelta(minutes=30),
        confirmed_at=now,
        payments=[
            LedgerPayment(
                kind=PaymentKind.FULL,
                status=PaymentStatus.SUCCEEDED,
                amount_minor=couple.price_minor - IN_CASH,
                currency=retreat.currency,
                stripe_checkout_session_id="cs_access_test",
                stripe_payment_intent_id="pi_access_test",
                succeeded_at=now,
            ),
            LedgerPayment(
                kind=PaymentKind.OFFLINE,
                status=PaymentStatus.SUCCEEDED,
                amount_minor=IN_CASH,
                currency=retreat.currency,
                note="Cash",
                succeeded_at=now,
            ),
        ],
    )
    to_return = Refund(
        booking=booking,
        payment=booking.payments[1],
        amount_minor=IN_CASH,
        currency=retreat.currency,
        reason="goodwill",
        idempotency_key=f"refund:goodwill:{reference}",
        payment_intent_id=None,
        status=RefundStatus.BY_ORGANIZER,
    )
    booking.attendees = [
        Attendee(position=0, name=name, email=email, code_of_conduct_accepted_at=now),
        Attendee(position=1, name="Partner of Juniper", code_of_conduct_accepted_at=now),
    ]
    co_host = create_organizer(
        email="cohost-of-a@example.org", name="Co-host of A", with_password=False
    )
    db.session.add_all([booking, to_return])
    db.session.add(CoHost(owner_id=organizer.id, member_id=co_host.id))
    message = AttendeeMessage(
        retreat_id=retreat.id, sent_by_id=organizer.id, subject="Arrival", body="See you"
    )
    db.session.add(message)
    failed_email = OutboxEmail(
        key=f"confirmation:{reference}",
        kind="confirmation",
        booking=booking,
        to_address=email,
        status=OutboxStatus.FAILED,
        attempts=8,
        last_error="SMTPRecipientsRefused: 550 mailbox full",
    )
    db.session.add(failed_email)
    record_audit("retreat.updated", actor_id=organizer.id, retreat_id=retreat.id)
    db.session.commit()
    starting = starting_questions(retreat)
    question = add_question(retreat, label="Health of A's guests")
    for asked, answer in (
        (starting["accessibility"], needs),
        (starting["hopes"], hopes),
        (starting["emergency-contact"], emergency_contact),
        (question, private_answer),
    ):
        booking.answers.append(
            Answer(
                attendee=booking.attendees[0],
                question_id=asked.id,
                label=asked.label,
                kind=asked.kind,
                privacy=asked.privacy,
                private_text=answer,
            )
        )
    db.session.commit()
    return {
        "room_type": add_room_type(retreat, name="Olive suite", rooms=3),
        "add_on": add_add_on(retreat, name="Massage", quantity_limit=6),
        "question": question,
        "second_question": add_question(
            retreat,
            label="Experience",
            kind=QuestionKind.SINGLE_CHOICE,
            privacy=Privacy.ORDINARY,
            options=["None", "Some"],
        ),
        "discount_code": create_discount_code(organizer, code, retreats=[retreat]),
        "gift_voucher": create_gift_voucher(organizer, recipient_name=voucher_recipient),
        "facilitator": create_facilitator(organizer, name="Saffron of A", retreats=[retreat]),
        "venue": create_venue(organizer, name="Casa of A", retreats=[retreat]),
        "retreat": retreat,
        "booking": booking,
        "attendee": booking.attendees[0],
        "ticket_type": couple,
        "co_host": co_host,
        "message": message,
        "email": failed_email,
        "refund": to_return,
    }


def organizer_url_values(world: dict) -> dict:
    """A's object id for each URL parameter name the organizer routes use."""
    return {
        "retreat_id": world["retreat"].id,
        "booking_id": world["booking"].id,
        "attendee_id": world["attendee"].id,
        "ticket_type_id": world["ticket_type"].id,
        "room_type_id": world["room_type"].id,
        "add_on_id": world["add_on"].id,
        "member_id": world["co_host"].id,
        "message_id": world["message"].id,
        "email_id": world["email"].id,
        "refund_id": world["refund"].id,
        "question_id": world["question"].id,
        "code_id": world["discount_code"].id,
        "voucher_id": world["gift_voucher"].id,
        "facilitator_id": world["facilitator"].id,
        "venue_id": world["venue"].id,
    }


# The tests' SMTP server: a real aiosmtpd server that keeps every message (devtools/smtp_inbox.py).
SmtpInbox = RecordingInbox


@dataclass
class SlowInbox(SmtpInbox):
    """A real SMTP server that waits `delay` seconds over each message: it shapes the load (two
    workers' deliveries overlap, a kill lands mid-batch); it hides no race."""

    delay: float = 0.005


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


def use_stripe_at(app, base_url: str) -> None:
    """Point the app's Stripe client at `base_url`: a local Stripe server, or a dead port."""
    app.config["STRIPE_API_BASE"] = base_url
    app.extensions.pop("stripe_client", None)


@contextmanager
def local_stripe_for(app, state_dir: Path, **options) -> Iterator[str]:
    """A real local Stripe server signing its webhooks with the tests' secret, and `app` pointed
    at it; its URL. `options` go to running_local_stripe (webhook_url, api_delay_ms …)."""
    with running_local_stripe(
        state_dir=state_dir, webhook_secret=TEST_WEBHOOK_SECRET, **options
    ) as stripe_url:
        use_stripe_at(app, stripe_url)
        yield stripe_url


@dataclass
class LiveSite:
    """The app served over real HTTP, talking to a real local Stripe server."""

    url: str
    stripe_url: str


@pytest.fixture
def live_site(app, app_config, tmp_path) -> Iterator[LiveSite]:
    """Serve `app` on 127.0.0.1 in a thread, with the local Stripe server sending it webhooks."""
    port = int(app_config["PUBLIC_BASE_URL"].rsplit(":", 1)[1])
    with local_stripe_for(
        app, tmp_path / "local-stripe", webhook_url=f"http://127.0.0.1:{port}/stripe/webhook"
    ) as stripe_url:
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveSite(url=f"http://127.0.0.1:{port}", stripe_url=stripe_url)
        finally:
            server.shutdown()
            thread.join(timeout=10)
