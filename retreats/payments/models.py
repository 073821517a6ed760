"""Payment records: Stripe events already processed, and refunds on their way to Stripe."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retreats.database import UTCDateTime, string_enum, utcnow
from retreats.extensions import db


class StripeEvent(db.Model):
    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RefundStatus(enum.StrEnum):
    PENDING = "pending"  # to be sent to Stripe (again, after a failure)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # gave up after the last attempt: an organizer must look at it


class Refund(db.Model):
    """Money going back to a payer. Written first, then sent to Stripe with its own key."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_refunds_status_retry_after", "status", "retry_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(40))  # cancellation, unseated_payment
    # Sent as Stripe's Idempotency-Key, so a retried refund is never paid out twice.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    payment_intent_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[RefundStatus] = mapped_column(
        string_enum(RefundStatus, "refund_status"), default=RefundStatus.PENDING
    )
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    booking: Mapped[Booking] = relationship()  # noqa: F821
