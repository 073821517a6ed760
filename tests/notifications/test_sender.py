"""The outbox worker against a real SMTP server (aiosmtpd): sent once, retried when it fails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devtools.smtp_inbox import serving
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.database import utcnow
from retreats.notifications.sender import backoff_after, send_due_emails
from tests.conftest import BOTH_DATABASES, SmtpInbox
from tests.factories import attendee, paid_booking


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """The outbox guarantees (sent once, retried, one Message-ID) hold on both databases."""
    return request.param


@pytest.fixture
def confirmed_booking(make_retreat):
    retreat = make_retreat(title="Quiet Weekend", timezone="America/New_York", currency="USD")
    return paid_booking(retreat, attendee("ada@example.org"))


def only_email(db) -> OutboxEmail:
    """The booking's confirmation (its organizer's notice and scheduled mails are rows too)."""
    db.session.expire_all()
    return db.session.query(OutboxEmail).filter_by(kind="confirmation").one()


def test_a_due_email_is_sent_once(db, confirmed_booking, smtp_inbox):
    assert send_due_emails() == 2  # the confirmation and the organizer's new-booking notice
    assert send_due_emails() == 0
    [message] = [m for m in smtp_inbox.wait_for(2) if m["To"] == "ada@example.org"]
    assert message["To"] == "ada@example.org"
    assert confirmed_booking.reference in message["Subject"]
    email = only_email(db)
    assert email.status == OutboxStatus.SENT and email.attempts == 1 and email.sent_at


def test_smtp_down_is_retried_later_with_the_error_recorded(app, db, confirmed_booking):
    now = utcnow()
    # Nothing listens on MAIL_PORT: the connection is refused.
    assert send_due_emails(now=now) == 0
    email = only_email(db)
    assert email.status == OutboxStatus.PENDING
    assert email.attempts == 1
    assert "refused" in email.last_error.lower() or "errno" in email.last_error.lower()
    assert email.send_after == now + backoff_after(1)
    # Not due again until the back-off has passed.
    assert send_due_emails(now=now + timedelta(seconds=30)) == 0
    assert only_email(db).attempts == 1


def test_it_arrives_once_the_server_is_back(app, db, confirmed_booking, app_config):
    now = utcnow()
    send_due_emails(now=now)
    with SmtpInbox(host="127.0.0.1", port=app_config["MAIL_PORT"]).running() as inbox:
        assert send_due_emails(now=now + backoff_after(1)) == 2  # with the organizer's notice
        assert len(inbox.wait_for(2)) == 2
    assert only_email(db).status == OutboxStatus.SENT


class RejectingServer:
    """An SMTP server that answers every message with a permanent failure."""

    async def handle_DATA(self, server, session, envelope):
        return "554 5.7.1 Message rejected"


def test_a_rejected_message_is_retried_then_marked_failed(app, db, confirmed_booking, app_config):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    with serving(RejectingServer(), host="127.0.0.1", port=app_config["MAIL_PORT"]):
        moment = utcnow()
        for attempt in (1, 2, 3):
            send_due_emails(now=moment)
            email = only_email(db)
            assert email.attempts == attempt
            assert "554" in email.last_error
            moment = email.send_after
    assert only_email(db).status == OutboxStatus.FAILED


def test_backoff_doubles_and_is_capped():
    assert [backoff_after(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
    ]
    assert backoff_after(30) == timedelta(hours=6)


def test_every_attempt_carries_the_same_message_id(app, db, confirmed_booking, smtp_inbox):
    from retreats.notifications.sender import stable_message_id

    email = only_email(db)
    first = stable_message_id(email)
    send_due_emails()
    [message] = [m for m in smtp_inbox.wait_for(2) if m["To"] == "ada@example.org"]
    assert message["Message-ID"] == first == stable_message_id(email)
    assert first.endswith("@127.0.0.1>")


def test_an_smtp_refusal_is_recorded_in_words_an_organizer_can_read():
    import smtplib

    from retreats.notifications.sender import readable_error

    refusal = smtplib.SMTPDataError(550, b"5.1.1 Mailbox does not exist")
    assert readable_error(refusal) == "The mail server answered 550: 5.1.1 Mailbox does not exist"
    refused = smtplib.SMTPRecipientsRefused({"cy@example.org": (550, b"No such user")})
    assert readable_error(refused) == (
        "The mail server refused the recipient (cy@example.org: 550 No such user)"
    )
    assert readable_error(ConnectionRefusedError(111, "refused")).startswith(
        "ConnectionRefusedError"
    )
