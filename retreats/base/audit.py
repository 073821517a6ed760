"""The audit log: who changed a retreat or booking, or saw or exported private answers.

An entry is written inside the transaction of the change (or the viewing) it records.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from retreats.database import UTCDateTime, utcnow
from retreats.extensions import db


class AuditEntry(db.Model):
    """Who changed a retreat or booking, or saw or exported private answers, and when."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_retreat_id_created_at", "retreat_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None when the system or the attendee did it (e.g. a cancellation from the manage link).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    retreat_id: Mapped[int | None] = mapped_column(ForeignKey("retreats.id", ondelete="CASCADE"))
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    # The organizer account an action is about (approved, suspended …): a platform admin's log.
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL"), index=True
    )
    # A short verb phrase: "retreat.updated", "answers.viewed", "attendees.exported" …
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[Organizer | None] = relationship(foreign_keys=[actor_id])  # noqa: F821
    organizer: Mapped[Organizer | None] = relationship(foreign_keys=[organizer_id])  # noqa: F821
    booking: Mapped[Booking | None] = relationship()  # noqa: F821


def record_audit(
    action: str,
    *,
    actor_id: int | None,
    retreat_id: int | None = None,
    booking_id: int | None = None,
    organizer_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add one entry to the caller's transaction; it is kept only if that transaction commits."""
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        retreat_id=retreat_id,
        booking_id=booking_id,
        organizer_id=organizer_id,
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
