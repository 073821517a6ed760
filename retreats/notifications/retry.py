"""A retreat's outbox as its organizers see it: which mails went out, which failed, and putting
failed ones back in the queue.

An email belongs to a retreat through its booking, its waitlist entry or its attendee message.
Mail carrying an organizer's own link (a password reset, a co-host invite) belongs to no retreat
and never shows here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, or_, select, update

from retreats.base.audit import record_audit
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.models import Booking, WaitlistEntry
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.notifications.models import AttendeeMessage

LISTED_EMAILS_MAX = 300  # the page shows the newest this many; a filter narrows it down

NOT_FAILED = {
    OutboxStatus.PENDING: "This email is already waiting to be sent.",
    OutboxStatus.SENT: "This email was sent, so there is nothing to retry.",
    OutboxStatus.DROPPED: "This email no longer applies (its booking or retreat was cancelled).",
}


@dataclass(frozen=True)
class ListedEmail:
    email: OutboxEmail
    booking_reference: str | None


def _with_owner_joins(statement: Select) -> Select:
    """Join what an outbox row can belong to; leave out mail carrying an organizer's own link."""
    return (
        statement.select_from(OutboxEmail)
        .outerjoin(Booking, Booking.id == OutboxEmail.booking_id)
        .outerjoin(WaitlistEntry, WaitlistEntry.id == OutboxEmail.waitlist_entry_id)
        .outerjoin(AttendeeMessage, AttendeeMessage.id == OutboxEmail.attendee_message_id)
        .where(OutboxEmail.organizer_token_id.is_(None))
    )


def _with_retreat_joins(statement: Select, retreat_id: int) -> Select:
    """Narrow a SELECT over outbox rows to the ones that belong to one retreat."""
    return _with_owner_joins(statement).where(
        or_(
            Booking.retreat_id == retreat_id,
            WaitlistEntry.retreat_id == retreat_id,
            AttendeeMessage.retreat_id == retreat_id,
        )
    )


def _retreat_email_ids(retreat_id: int) -> Select:
    return _with_retreat_joins(select(OutboxEmail.id), retreat_id)


def retreat_emails(retreat_id: int, *, status: OutboxStatus | None = None) -> list[ListedEmail]:
    """The retreat's emails, failed ones first, then newest first; one query."""
    statement = _with_retreat_joins(select(OutboxEmail, Booking.reference), retreat_id)
    if status is not None:
        statement = statement.where(OutboxEmail.status == status)
    failed_first = case((OutboxEmail.status == OutboxStatus.FAILED, 0), else_=1)
    statement = statement.order_by(
        failed_first, OutboxEmail.created_at.desc(), OutboxEmail.id.desc()
    ).limit(LISTED_EMAILS_MAX)
    return [ListedEmail(email, reference) for email, reference in db.session.execute(statement)]


def email_counts(retreat_id: int) -> Counter[OutboxStatus]:
    """How many of the retreat's emails are pending, sent and failed; one query."""
    statement = _with_retreat_joins(
        select(OutboxEmail.status, func.count(OutboxEmail.id)), retreat_id
    ).group_by(OutboxEmail.status)
    return Counter(dict(db.session.execute(statement).all()))


def retreat_email(retreat_id: int, email_id: int) -> OutboxEmail | None:
    """One email if it belongs to the retreat, else None."""
    statement = _with_retreat_joins(select(OutboxEmail), retreat_id).where(
        OutboxEmail.id == email_id
    )
    return db.session.execute(statement).scalar_one_or_none()


def _requeue_failed(ids: Select | list[int], now: datetime) -> int:
    """Put failed rows among `ids` back in the queue, due now; returns how many.

    The status test is in the UPDATE itself, so two organizers pressing retry at once, or a
    worker that already picked the row up again, cannot make a row be queued twice. The last
    error stays on the row until the next attempt replaces or clears it, so the page still says
    what went wrong while the retry waits.
    """
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(ids), OutboxEmail.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, send_after=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def retry_failed_email(
    *, email_id: int, retreat_id: int, actor_id: int, now: datetime | None = None
) -> OutboxEmail:
    """Queue one failed email of the retreat again, due at once, with a fresh set of attempts."""
    email = retreat_email(retreat_id, email_id)
    if email is None:
        db.session.rollback()
        raise DomainError("That email is not one of this retreat's.")
    if not _requeue_failed([email.id], now or utcnow()):
        db.session.rollback()
        db.session.refresh(email)
        raise DomainError(NOT_FAILED.get(email.status, "Only a failed email can be retried."))
    record_audit(
        "email.retried",
        actor_id=actor_id,
        retreat_id=retreat_id,
        booking_id=email.booking_id,
        detail=f"{email.kind.replace('_', ' ')} to {email.to_address}",
    )
    db.session.commit()
    return email


def retry_failed_emails(*, retreat_id: int, actor_id: int, now: datetime | None = None) -> int:
    """Queue every failed email of the retreat again; returns how many."""
    requeued = _requeue_failed(_retreat_email_ids(retreat_id), now or utcnow())
    if not requeued:
        db.session.rollback()
        raise DomainError("There are no failed emails to retry.")
    record_audit(
        "email.retried",
        actor_id=actor_id,
        retreat_id=retreat_id,
        detail=f"every failed email: {requeued} queued again",
    )
    db.session.commit()
    return requeued


def failed_emails_per_retreat():
    """A subquery of (retreat_id, failed): how many failed emails each retreat has."""
    owner = func.coalesce(Booking.retreat_id, WaitlistEntry.retreat_id, AttendeeMessage.retreat_id)
    statement = select(owner.label("retreat_id"), func.count(OutboxEmail.id).label("failed"))
    return (
        _with_owner_joins(statement)
        .where(OutboxEmail.status == OutboxStatus.FAILED)
        .group_by(owner)
        .subquery()
    )
