"""A platform admin's decisions: approve or decline a new organizer, suspend or reinstate one,
unpublish any listing, and who is a platform admin.

Each function owns its transaction: the change, its audit entry (the reason as its detail, the
organizer it is about) and the email that tells the organizer commit together, or nothing does.
A suspended organizer's retreats get `organizer_suspended`, which takes them off every public
page (listings/models.py `shown_to_public`); writing retreats bumps the public pages' version
(caching/public_pages.py), so kept pages change at once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.base.outbox import queue_email
from retreats.database import lock_row, utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.listings.models import Retreat, RetreatStatus
from retreats.organizer.accounts.models import Organizer, OrganizerStatus
from retreats.organizer.accounts.services import organizer_by_email

log = logging.getLogger(__name__)

MAX_REASON_LENGTH = 2000


class AdminError(DomainError):
    status_code = 409


def _reason(reason: str | None, *, required: bool = True) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise DomainError("Please give a reason: the organizer reads it.", field="reason")
    if len(text) > MAX_REASON_LENGTH:
        raise DomainError(
            f"Please keep the reason under {MAX_REASON_LENGTH} characters.", field="reason"
        )
    return text


def _locked_organizer(organizer_id: int) -> Organizer:
    person = lock_row(Organizer, organizer_id)
    if person is None:
        raise AdminError("That organizer does not exist any more.")
    return person


def _tell(person: Organizer, kind: str, action: str, *, admin_id: int, detail: str = "", **ids):
    """Audit the decision and queue the email that tells it, both in the caller's transaction."""
    entry = record_audit(action, actor_id=admin_id, organizer_id=person.id, detail=detail, **ids)
    db.session.flush()
    queue_email(
        kind=kind, key=f"{kind}:{entry.id}", to_address=person.email, audit_entry_id=entry.id
    )


def approve_organizer(*, organizer_id: int, admin_id: int, now: datetime | None = None) -> None:
    """Let a new (or once declined) organizer publish; they are emailed."""
    now = now or utcnow()
    with rolled_back_on_error():
        person = _locked_organizer(organizer_id)
        if person.status not in (OrganizerStatus.PENDING, OrganizerStatus.DECLINED):
            raise AdminError(f"{person.name} is {person.status.value}, not waiting for approval.")
        if person.email_verified_at is None:
            raise AdminError(f"{person.name} has not confirmed their email address yet.")
        person.status = OrganizerStatus.APPROVED
        person.decided_at, person.decided_by_id, person.decline_reason = now, admin_id, None
        _tell(person, "organizer_approved", "organizer.approved", admin_id=admin_id)
        db.session.commit()
    log.info("Organizer %s approved by admin %s", organizer_id, admin_id)


def decline_organizer(
    *, organizer_id: int, admin_id: int, reason: str, now: datetime | None = None
) -> None:
    """Refuse a new organizer, with a reason they are emailed; they keep their drafts."""
    now = now or utcnow()
    reason = _reason(reason)
    with rolled_back_on_error():
        person = _locked_organizer(organizer_id)
        if person.status != OrganizerStatus.PENDING:
            raise AdminError(f"{person.name} is {person.status.value}, not waiting for approval.")
        person.status = OrganizerStatus.DECLINED
        person.decided_at, person.decided_by_id, person.decline_reason = now, admin_id, reason
        _tell(person, "organizer_declined", "organizer.declined", admin_id=admin_id, detail=reason)
        db.session.commit()
    log.info("Organizer %s declined by admin %s", organizer_id, admin_id)


def suspend_organizer(
    *, organizer_id: int, admin_id: int, reason: str, now: datetime | None = None
) -> int:
    """Hide every retreat of an approved organizer from the public and stop their publishing;
    their bookings stay honoured. Returns how many of their retreats were hidden."""
    now = now or utcnow()
    reason = _reason(reason)
    if organizer_id == admin_id:
        raise AdminError("You cannot suspend your own account.")
    with rolled_back_on_error():
        person = _locked_organizer(organizer_id)
        if person.status != OrganizerStatus.APPROVED:
            raise AdminError(
                f"{person.name} is {person.status.value}: only approved organizers "
                "can be suspended."
            )
        person.status = OrganizerStatus.SUSPENDED
        person.suspended_at, person.suspension_reason = now, reason
        hidden = _set_retreats_suspended(person.id, True)
        _tell(
            person, "organizer_suspended", "organizer.suspended", admin_id=admin_id, detail=reason
        )
        db.session.commit()
    log.info("Organizer %s suspended by admin %s", organizer_id, admin_id)
    return hidden


def reinstate_organizer(
    *, organizer_id: int, admin_id: int, reason: str = "", now: datetime | None = None
) -> None:
    """End a suspension: the organizer's published retreats are public again."""
    reason = _reason(reason, required=False)
    with rolled_back_on_error():
        person = _locked_organizer(organizer_id)
        if person.status != OrganizerStatus.SUSPENDED:
            raise AdminError(f"{person.name} is {person.status.value}, not suspended.")
        person.status = OrganizerStatus.APPROVED
        person.suspended_at = person.suspension_reason = None
        _set_retreats_suspended(person.id, False)
        _tell(
            person, "organizer_reinstated", "organizer.reinstated", admin_id=admin_id, detail=reason
        )
        db.session.commit()
    log.info("Organizer %s reinstated by admin %s", organizer_id, admin_id)


def _set_retreats_suspended(organizer_id: int, suspended: bool) -> int:
    # An UPDATE of retreats: the public pages' version goes up with this commit.
    result = db.session.execute(
        update(Retreat)
        .where(Retreat.organizer_id == organizer_id)
        .values(organizer_suspended=suspended)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def unpublish_listing(
    *, retreat_id: int, admin_id: int, reason: str, now: datetime | None = None
) -> None:
    """Take any published listing out of the catalog (a draft again), with a reason emailed to
    its organizer; its bookings stay as they are."""
    reason = _reason(reason)
    with rolled_back_on_error():
        retreat = lock_row(Retreat, retreat_id)
        if retreat is None:
            raise AdminError("That listing does not exist any more.")
        if retreat.status != RetreatStatus.PUBLISHED:
            raise AdminError(f"“{retreat.title}” is {retreat.status.value}, not published.")
        retreat.status = RetreatStatus.DRAFT
        _tell(
            retreat.organizer,
            "listing_unpublished",
            "retreat.unpublished_by_admin",
            admin_id=admin_id,
            detail=reason,
            retreat_id=retreat.id,
        )
        db.session.commit()
    log.info("Retreat %s unpublished by admin %s", retreat_id, admin_id)


def set_platform_admin(*, email: str, admin: bool) -> Organizer:
    """Make an existing account a platform admin, or no longer one (from the command line)."""
    with rolled_back_on_error():
        person = organizer_by_email(email)
        if person is None:
            raise DomainError(f"No organizer has the email {email.strip().lower()}.")
        if person.is_platform_admin != admin:
            person.is_platform_admin = admin
            action = "platform_admin.granted" if admin else "platform_admin.revoked"
            record_audit(action, actor_id=None, organizer_id=person.id, detail="command line")
        db.session.commit()
    return person
