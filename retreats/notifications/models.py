"""An organizer's message to the attendees of one retreat, kept for the outbox to render."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retreats.database import UTCDateTime, utcnow
from retreats.extensions import db


class AttendeeMessage(db.Model):
    """An email an organizer sent to every confirmed booking of one retreat."""

    __tablename__ = "attendee_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    retreat_id: Mapped[int] = mapped_column(
        ForeignKey("retreats.id", ondelete="CASCADE"), index=True
    )
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    retreat: Mapped[Retreat] = relationship()  # noqa: F821
    sent_by: Mapped[Organizer | None] = relationship()  # noqa: F821
