"""Mail that gets through a real SMTP server that fails: refused for a while, down, refusing for
good until the organizer presses retry, or a message that will not render. Each mail arrives
exactly once, and one broken mail holds up none behind it. Also the worker's clock override.

Time moves by passing `now` to the worker past each back-off: nothing here sleeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.database import utcnow
from retreats.notifications import sender
from retreats.notifications.sender import send_due_emails, stable_message_id
from tests.conftest import BOTH_DATABASES, SmtpInbox
from tests.factories import attendee, paid_booking

MAX_ATTEMPTS = 4


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """The worker claims rows differently on each (SKIP LOCKED on PostgreSQL): both are tried."""
    return request.param


@pytest.fixture
def app_config(app_config) -> dict:
    return app_config | {"OUTBOX_MAX_ATTEMPTS": MAX_ATTEMPTS}


@dataclass
class ScriptedServer(SmtpInbox):
    """An SMTP server that answers each message with the next scripted refusal, and accepts
    once the script has run out (or refuses everything while `refuse_all` is set)."""

    refusals: list[str] = field(default_factory=list)
    refuse_all: str | None = None
    attempts: int = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse_all:
            return self.refuse_all
        if self.refusals:
            return self.refusals.pop(0)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def smtp_server(app_config, **script) -> Iterator[ScriptedServer]:
    """A real SMTP server on the port the app sends to, for the length of the block."""
    with ScriptedServer(
        host="127.0.0.1", port=app_config["MAIL_PORT"], **script
    ).running() as inbox:
        yield inbox


def only_confirmations(db) -> None:
    """Keep just the confirmation emails: these tests follow one mail per booking through the
    server's answers, whatever else a confirmed booking queues (notices, scheduled mail)."""
    db.session.execute(delete(OutboxEmail).where(OutboxEmail.kind != "confirmation"))
    db.session.commit()


def confirmation_to(db, address: str) -> OutboxEmail:
    db.session.expire_all()
    return db.session.execute(
        select(OutboxEmail).where(
            OutboxEmail.to_address == address, OutboxEmail.kind == "confirmation"
        )
    ).scalar_one()


@pytest.fixture
def retreat(make_retreat):
    return make_retreat(title="Quiet Weekend")


@pytest.fixture
def ada(db, retreat):
    booking = paid_booking(retreat, attendee("ada@example.org"))
    only_confirmations(db)
    return booking


def message_ids(server: SmtpInbox) -> list[str]:
    return [message["Message-ID"] for message in server.messages]


def test_refused_twice_with_451_then_accepted_arrives_exactly_once(db, app_config, ada):
    with smtp_server(app_config, refusals=["451 4.3.0 Try again later"] * 2) as server:
        moment = utcnow()
        for attempt in (1, 2):
            assert send_due_emails(now=moment) == 0
            email = confirmation_to(db, "ada@example.org")
            assert (email.status, email.attempts) == (OutboxStatus.PENDING, attempt)
            assert "451" in email.last_error
            # Not tried again before its back-off has passed.
            assert send_due_emails(now=email.send_after - timedelta(seconds=1)) == 0
            moment = email.send_after
        assert send_due_emails(now=moment) == 1
        assert send_due_emails(now=moment + timedelta(days=1)) == 0
        [message] = server.wait_for(1)
        assert server.attempts == 3
    email = confirmation_to(db, "ada@example.org")
    assert (email.status, email.attempts, email.last_error) == (OutboxStatus.SENT, 3, None)
    assert message["To"] == "ada@example.org"
    assert message["Message-ID"] == stable_message_id(email)


def test_smtp_down_then_up_arrives_once(db, app_config, ada):
    moment = utcnow()
    assert send_due_emails(now=moment) == 0  # nothing listens on MAIL_PORT yet
    email = confirmation_to(db, "ada@example.org")
    assert (email.status, email.attempts) == (OutboxStatus.PENDING, 1)
    with smtp_server(app_config) as server:
        assert send_due_emails(now=email.send_after) == 1
        assert send_due_emails(now=email.send_after + timedelta(days=1)) == 0
        assert len(server.wait_for(1)) == 1
        assert server.attempts == 1
    assert confirmation_to(db, "ada@example.org").status == OutboxStatus.SENT


def csrf_token_in(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_refused_for_good_is_failed_then_retried_by_the_organizer_and_arrives_once(
    app, db, app_config, organizer, retreat, ada
):
    with smtp_server(app_config, refuse_all="550 5.1.1 <ada@example.org>: no such user") as server:
        moment = utcnow()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            send_due_emails(now=moment)
            email = confirmation_to(db, "ada@example.org")
            assert email.attempts == attempt
            moment = email.send_after
        assert email.status == OutboxStatus.FAILED
        # Failed for good: no later round tries it again on its own.
        assert send_due_emails(now=moment + timedelta(days=30)) == 0
        assert server.attempts == MAX_ATTEMPTS

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = organizer.get_id()
        page = client.get(f"/organizer/retreats/{retreat.id}/emails?status=failed")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "ada@example.org" in html
        assert "550" in html and "5.1.1 &lt;ada@example.org&gt;: no such user" in html
        assert "<ada@example.org>" not in html  # the server's words, shown escaped
        retry = client.post(
            f"/organizer/retreats/{retreat.id}/emails/{email.id}/retry",
            data={"csrf_token": csrf_token_in(html), "status": "failed"},
        )
        assert retry.status_code == 303

        server.refuse_all = None  # the address was fixed at the other end
        assert send_due_emails() == 1
        assert send_due_emails(now=utcnow() + timedelta(days=1)) == 0
        [message] = server.wait_for(1)
    email = confirmation_to(db, "ada@example.org")
    assert (email.status, email.attempts, email.last_error) == (OutboxStatus.SENT, 1, None)
    assert message["Message-ID"] == stable_message_id(email)


def test_a_mail_that_will_not_render_holds_up_none_queued_after_it(
    db, app_config, retreat, monkeypatch
):
    for address in ("broken@example.org", "bea@example.org", "cy@example.org"):
        paid_booking(retreat, attendee(address))
    only_confirmations(db)
    broken = confirmation_to(db, "broken@example.org")
    broken.send_after = utcnow() - timedelta(minutes=5)  # first in the queue
    db.session.commit()
    broken_id = broken.id
    build_message = sender.build_message

    def build_or_break(email):
        if email.id == broken_id:
            raise RuntimeError("the template could not be rendered")
        return build_message(email)

    monkeypatch.setattr(sender, "build_message", build_or_break)
    with smtp_server(app_config) as server:
        moment = utcnow()
        assert send_due_emails(now=moment) == 2
        assert sorted(m["To"] for m in server.wait_for(2)) == ["bea@example.org", "cy@example.org"]
        broken = confirmation_to(db, "broken@example.org")
        assert (broken.status, broken.attempts) == (OutboxStatus.PENDING, 1)
        assert "RuntimeError: the template could not be rendered" in broken.last_error

        monkeypatch.setattr(sender, "build_message", build_message)  # the bug is fixed
        assert send_due_emails(now=broken.send_after) == 1
        assert sorted(m["To"] for m in server.wait_for(3)) == [
            "bea@example.org",
            "broken@example.org",
            "cy@example.org",
        ]
    assert len(set(message_ids(server))) == 3


# The clock override: `outbox work --once --now WHEN` ----------------------------------------------


def work_once(app, *options: str):
    return app.test_cli_runner().invoke(args=["outbox", "work", "--once", *options])


def at(moment: datetime) -> str:
    """A moment as typed on the command line: ISO, naive (read as UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="minutes")


def subjects_sent_to(server: SmtpInbox, address: str) -> list[str]:
    return [m["Subject"] for m in server.messages if m["To"] == address]


def test_now_brings_the_guide_and_the_reminder_each_once(app, db, retreat, smtp_inbox):
    """As the README tells a new user to try it: book, then bring the retreat near."""
    guide_at = retreat.starts_at - timedelta(days=retreat.guide_days_before)
    reminder_at = retreat.starts_at - timedelta(days=2)
    paid_booking(retreat, attendee("ada@example.org"))
    assert work_once(app).exit_code == 0  # the confirmation (and the organizer's notice)
    sent_now = len(smtp_inbox.wait_for(1))
    for moment, expected in [
        (guide_at - timedelta(minutes=1), 0),
        (guide_at, 1),  # the preparation guide
        (guide_at + timedelta(days=1), 0),  # not twice
        (reminder_at, 1),  # the reminder
        (reminder_at + timedelta(hours=1), 0),
    ]:
        result = work_once(app, "--now", at(moment))
        assert result.exit_code == 0, result.output
        assert f"Sent {expected} email(s) due by {moment:%Y-%m-%d %H:%M} UTC." in result.output
    assert len(smtp_inbox.wait_for(sent_now + 2)) == sent_now + 2
    assert len(subjects_sent_to(smtp_inbox, "ada@example.org")) == 3  # one of each
    kinds = db.session.execute(
        select(OutboxEmail.kind, OutboxEmail.status).where(
            OutboxEmail.to_address == "ada@example.org"
        )
    ).all()
    assert sorted(kinds) == [
        ("confirmation", OutboxStatus.SENT),
        ("preparation_guide", OutboxStatus.SENT),
        ("reminder", OutboxStatus.SENT),
    ]


def test_now_takes_an_offset_or_a_z_and_means_the_same_moment(app, db, retreat, smtp_inbox):
    guide_at = retreat.starts_at - timedelta(days=retreat.guide_days_before)
    paid_booking(retreat, attendee("ada@example.org"))
    work_once(app)
    sent_now = len(smtp_inbox.wait_for(1))
    a_minute_early = (guide_at - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%MZ")
    assert "Sent 0 email(s)" in work_once(app, "--now", a_minute_early).output
    # The moment the guide is due, as a clock two hours ahead of UTC shows it.
    in_another_zone = guide_at.astimezone(timezone(timedelta(hours=2))).isoformat()
    result = work_once(app, "--now", in_another_zone)
    assert result.exit_code == 0, result.output
    assert f"Sent 1 email(s) due by {guide_at:%Y-%m-%d %H:%M} UTC." in result.output
    assert len(smtp_inbox.wait_for(sent_now + 1)) == sent_now + 1


@pytest.mark.parametrize(
    "value", ["next tuesday", "2027-13-01T09:00", "", "12/03/2027 09:00", "9999-12-31T23:30-01:00"]
)
def test_a_malformed_moment_is_refused_clearly(app, value):
    result = work_once(app, "--now", value)
    assert result.exit_code == 2
    assert "Invalid value for '--now'" in result.output
    assert "2027-03-12T09:00" in result.output  # shows how to write it


def test_now_without_once_is_refused(app):
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--now", "2027-03-12T09:00"])
    assert result.exit_code == 2
    assert "--now only works with --once" in result.output
