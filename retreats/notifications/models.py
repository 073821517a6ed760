"""The outbox: emails written in the same transaction as the change they tell about."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, string_enum, utcnow
from ..extensions import db


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # A scheduled mail that no longer applies (its booking or retreat was cancelled): never sent.
    DROPPED = "dropped"


class OutboxEmail(db.Model):
    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_status_send_after", "status", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per (kind, booking, recipient), e.g. "confirmation:42:ada@example.org".
    key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    waitlist_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("waitlist_entries.id", ondelete="CASCADE"), index=True
    )
    # Set for a password-reset or co-host-invite link, or an organizer's message to attendees.
    organizer_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizer_tokens.id", ondelete="CASCADE"), index=True
    )
    attendee_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendee_messages.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    status: Mapped[OutboxStatus] = mapped_column(
        string_enum(OutboxStatus, "outbox_status"),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    booking: Mapped[Booking | None] = relationship()  # noqa: F821
    waitlist_entry: Mapped[WaitlistEntry | None] = relationship()  # noqa: F821
    organizer_token: Mapped[OrganizerToken | None] = relationship()  # noqa: F821
    attendee_message: Mapped[AttendeeMessage | None] = relationship()  # noqa: F821
