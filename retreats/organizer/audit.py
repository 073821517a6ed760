"""The audit log: written inside the transaction of the change (or the viewing) it records."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from .models import AuditEntry


def record_audit(
    action: str,
    *,
    actor_id: int | None,
    retreat_id: int | None = None,
    booking_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add one entry to the caller's transaction; it is kept only if that transaction commits."""
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        retreat_id=retreat_id,
        booking_id=booking_id,
        detail=detail[:2000],
    )
    db.session.add(entry)
    return entry


def audit_trail(retreat_id: int, *, limit: int = 200) -> list[AuditEntry]:
    """The latest entries for one retreat, newest first."""
    return list(
        db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.retreat_id == retreat_id)
            .options(selectinload(AuditEntry.actor), selectinload(AuditEntry.booking))
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
        ).scalars()
    )
