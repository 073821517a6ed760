"""What the platform admin area lists: organizers waiting, recent sign-ups, recent listings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from retreats.base.audit import AuditEntry
from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.organizer.accounts.models import Organizer, OrganizerStatus

RECENT = 50


def pending_organizers() -> list[Organizer]:
    """Organizers who confirmed their email and wait for a decision, the longest waiting first."""
    return list(
        db.session.scalars(
            select(Organizer)
            .where(
                Organizer.status == OrganizerStatus.PENDING,
                Organizer.email_verified_at.is_not(None),
            )
            .order_by(Organizer.email_verified_at, Organizer.id)
        )
    )


def recent_sign_ups(limit: int = RECENT) -> list[Organizer]:
    """The newest accounts made through the sign-up, whatever became of them."""
    return list(
        db.session.scalars(
            select(Organizer)
            .where(Organizer.offering.is_not(None))
            .order_by(Organizer.created_at.desc(), Organizer.id.desc())
            .limit(limit)
        )
    )


def recent_listings(limit: int = RECENT) -> list[Retreat]:
    """The newest retreats of every organizer, drafts included, with their organizer."""
    return list(
        db.session.scalars(
            select(Retreat)
            .options(joinedload(Retreat.organizer))
            .order_by(Retreat.created_at.desc(), Retreat.id.desc())
            .limit(limit)
        )
    )


def retreats_of(organizer: Organizer) -> list[Retreat]:
    """Every retreat an organizer owns, the soonest first."""
    return list(
        db.session.scalars(
            select(Retreat).where(Retreat.organizer_id == organizer.id).order_by(Retreat.starts_at)
        )
    )


def decisions_about(*, organizer_id: int | None = None, retreat_id: int | None = None):
    """The audit entries about one organizer or one retreat, newest first."""
    statement = select(AuditEntry).options(joinedload(AuditEntry.actor))
    if organizer_id is not None:
        statement = statement.where(AuditEntry.organizer_id == organizer_id)
    if retreat_id is not None:
        statement = statement.where(AuditEntry.retreat_id == retreat_id)
    order = (AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return list(db.session.scalars(statement.order_by(*order).limit(RECENT)))
