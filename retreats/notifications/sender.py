"""The outbox worker: sends due emails with Flask-Mail, retrying with exponential back-off.

Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers can run. A row is
marked sent in the same transaction that claimed it, after the SMTP server accepted the message:
a worker killed in between sends that mail again (at-least-once), never loses it. A scheduled
mail whose booking or retreat was cancelled meanwhile is marked dropped instead: never sent.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Message as MailMessage
from sqlalchemy import select

from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.database import claim_one, utcnow
from retreats.extensions import db, mail
from retreats.notifications.messages import MessageNoLongerApplies, build_message

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


def backoff_after(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def send_due_emails(*, now: datetime | None = None, limit: int = 50) -> int:
    """Send up to `limit` due emails, one transaction each; returns how many were sent."""
    sent = 0
    for _ in range(limit):
        outcome = _send_next_due_email(now=now or utcnow())
        if outcome is None:
            break
        sent += outcome
    return sent


def _claim_next_due(now: datetime) -> OutboxEmail | None:
    statement = (
        select(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.send_after <= now)
        .order_by(OutboxEmail.send_after, OutboxEmail.id)
        .limit(1)
    )
    return claim_one(statement)


def _send_next_due_email(*, now: datetime) -> int | None:
    """Send one due email. None when nothing is due, else 1 if sent and 0 if failed or dropped."""
    email = _claim_next_due(now)
    if email is None:
        db.session.rollback()
        return None
    try:
        deliver(email)
    except MessageNoLongerApplies as reason:
        email.status = OutboxStatus.DROPPED
        email.last_error = f"Dropped: {reason}"
        db.session.commit()
        log.info("Dropped %s email %s: %s", email.kind, email.id, reason)
        return 0
    except Exception as error:  # SMTP down, refused, a rendering bug: record it, retry later
        db.session.rollback()
        _record_failure(email.id, error, now)
        return 0
    email.status = OutboxStatus.SENT
    email.sent_at = utcnow()
    email.attempts += 1
    email.last_error = None
    db.session.commit()
    log.info("Sent %s email %s to %s", email.kind, email.id, email.to_address)
    return 1


def deliver(email: OutboxEmail) -> None:
    """Render and hand one email to the SMTP server."""
    message = build_message(email)
    mail_message = MailMessage(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.text,
        html=message.html,
        sender=message.sender or current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    # The same Message-ID on every attempt: if a worker dies after the SMTP server took the mail
    # but before it was marked sent, the repeat is recognisably the same message.
    mail_message.msgId = stable_message_id(email)
    for attachment in message.attachments:
        mail_message.attach(attachment.filename, attachment.content_type, attachment.data)
    mail.send(mail_message)


def stable_message_id(email: OutboxEmail) -> str:
    """A Message-ID derived from the outbox row's unique key, identical on every attempt."""
    digest = hashlib.sha256(email.key.encode()).hexdigest()[:32]
    domain = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    return f"<{digest}@{domain}>"


def readable_error(error: Exception) -> str:
    """What went wrong, as an organizer can read it: an SMTP answer shows its code and text."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server answered {error.smtp_code}: {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(
            f"{address}: {code} {_text(answer)}"
            for address, (code, answer) in error.recipients.items()
        )
        return f"The mail server refused the recipient ({answers})"
    return f"{type(error).__name__}: {error}"


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer


def _record_failure(email_id: int, error: Exception, now: datetime) -> None:
    email = db.session.get(OutboxEmail, email_id)
    email.attempts += 1
    email.last_error = readable_error(error)[:2000]
    if email.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        email.status = OutboxStatus.FAILED
        log.error("Gave up on email %s after %s attempts: %s", email.id, email.attempts, error)
    else:
        email.send_after = now + backoff_after(email.attempts)
        log.warning(
            "Email %s failed (attempt %s), retrying later: %s", email.id, email.attempts, error
        )
    db.session.commit()
