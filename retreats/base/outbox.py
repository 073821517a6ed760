"""The outbox core: the email rows, and queueing one under its unique key.

Rows are written in the same transaction as the change they tell about and never send anything
themselves: the worker (retreats/notifications/sender.py) sends them after commit.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retreats.database import UTCDateTime, is_postgresql, string_enum, utcnow
from retreats.extensions import db


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
    # Set for a receipt of one payment (an offline payment recorded by the organizer).
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    # Set for a gift voucher's mails (the buyer's receipt, the voucher to its recipient).
    gift_voucher_id: Mapped[int | None] = mapped_column(
        ForeignKey("gift_vouchers.id", ondelete="CASCADE"), index=True
    )
    # Set for a mail that tells about one audited decision (an organizer approved, declined,
    # suspended; a listing unpublished): it says what the entry recorded, the reason included.
    audit_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_entries.id", ondelete="CASCADE"), index=True
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
    payment: Mapped[Payment | None] = relationship()  # noqa: F821
    audit_entry: Mapped[AuditEntry | None] = relationship()  # noqa: F821


# RFC 2606: no address at or under the `invalid` domain can exist.
NEVER_DELIVERED = ("@invalid", ".invalid")


def booking_email_key(kind: str, booking_id: int, to_address: str) -> str:
    """The one key of a booking's mail of one kind to one recipient: it is never doubled."""
    return f"{kind}:{booking_id}:{to_address.lower()}"


def queue_mail_about_booking(
    kind: str, booking_id: int, to_address: str, *, send_after: datetime | None = None
) -> None:
    """Queue a booking's mail of `kind` to `to_address` under its one key: never doubled."""
    queue_email(
        kind=kind,
        key=booking_email_key(kind, booking_id, to_address),
        booking_id=booking_id,
        to_address=to_address,
        send_after=send_after,
    )


def queue_email(
    *,
    kind: str,
    key: str,
    to_address: str,
    booking_id: int | None = None,
    waitlist_entry_id: int | None = None,
    organizer_token_id: int | None = None,
    attendee_message_id: int | None = None,
    payment_id: int | None = None,
    gift_voucher_id: int | None = None,
    audit_entry_id: int | None = None,
    send_after: datetime | None = None,
) -> None:
    """Add an email to the outbox unless one with the same key is already there.

    Addresses under the reserved `.invalid` domain are the placeholders of deleted personal
    data (retreats/privacy/data_rights.py): nothing is ever queued to them.
    """
    if to_address.lower().endswith(NEVER_DELIVERED):
        return
    insert = postgresql.insert if is_postgresql() else sqlite.insert
    now = utcnow()
    statement = (
        insert(OutboxEmail)
        .values(
            key=key,
            kind=kind,
            booking_id=booking_id,
            waitlist_entry_id=waitlist_entry_id,
            organizer_token_id=organizer_token_id,
            attendee_message_id=attendee_message_id,
            payment_id=payment_id,
            gift_voucher_id=gift_voucher_id,
            audit_entry_id=audit_entry_id,
            to_address=to_address,
            status=OutboxStatus.PENDING,
            attempts=0,
            send_after=send_after or now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    db.session.execute(statement)
