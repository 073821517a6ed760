"""The payment ledger: each booking's payments and the refunds that return money from them, and
the Stripe events already processed.

What a booking has paid, what was refunded and what it still owes are sums over these rows
(Booking.paid_minor, .refunded_minor, .owed_minor; ledger.py for the same sums in SQL), never
a number kept beside them. A payment is written when money is asked for (a Checkout Session
opened, or a saved card about to be charged off-session: `open`) and moves once: to `succeeded`
when the money arrived, to `expired` when the session closed unpaid, or to `failed` when the
saved card was declined or needed authentication. A refund always points at the payment it
returns money from.
"""

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


class PaymentKind(enum.StrEnum):
    FULL = "full"  # the whole price at once
    DEPOSIT = "deposit"
    BALANCE = "balance"
    OFFLINE = "offline"  # a bank transfer or cash, recorded by the organizer
    # Spent from a gift voucher (gift_voucher_id): open while the booking holds its places
    # unpaid, succeeded once it is confirmed; refunded, it goes back to the voucher.
    VOUCHER = "voucher"


class PaymentStatus(enum.StrEnum):
    OPEN = "open"  # asked for (a Checkout Session is open), not paid yet
    SUCCEEDED = "succeeded"  # the money arrived
    EXPIRED = "expired"  # the session closed unpaid: nothing was taken
    FAILED = "failed"  # the saved card was declined or needed its owner: nothing was taken


class Payment(db.Model):
    """Money a booking asked for and, once succeeded, received."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_payments_booking_id_status", "booking_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    kind: Mapped[PaymentKind] = mapped_column(string_enum(PaymentKind, "payment_kind"))
    status: Mapped[PaymentStatus] = mapped_column(
        string_enum(PaymentStatus, "payment_status"), default=PaymentStatus.OPEN
    )
    # What was asked for; once succeeded, what arrived (a mismatched payment is kept as it came).
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # The gift voucher a payment of kind `voucher` was spent from (gift_vouchers/balance.py).
    gift_voucher_id: Mapped[int | None] = mapped_column(ForeignKey("gift_vouchers.id"), index=True)
    # A balance charged off-session to the card saved with the deposit: whose card it was.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(255))
    # An off-session charge Stripe could not be asked for (down, timed out) is asked again,
    # with the same idempotency key, after `retry_after`; `attempts` counts the asking.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    booking: Mapped[Booking] = relationship(back_populates="payments")  # noqa: F821
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def succeeded(self) -> bool:
        return self.status == PaymentStatus.SUCCEEDED

    @property
    def from_voucher(self) -> bool:
        return self.kind == PaymentKind.VOUCHER

    @property
    def refunded_minor(self) -> int:
        return sum(refund.amount_minor for refund in self.refunds)

    @property
    def refundable_minor(self) -> int:
        """What of this payment has not been refunded (nor is being)."""
        return self.amount_minor - self.refunded_minor if self.succeeded else 0


class RefundStatus(enum.StrEnum):
    PENDING = "pending"  # to be sent to Stripe (again, after a failure)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # gave up after the last attempt: an organizer must look at it
    # Money paid outside Stripe (an offline payment): the organizer returns it by hand, the way
    # it came, and marks it done (then `succeeded`). Never sent to Stripe.
    BY_ORGANIZER = "by_organizer"


class Refund(db.Model):
    """Money going back to a payer. Written first, then sent to Stripe with its own key; or,
    from an offline payment, returned by the organizer by hand (no PaymentIntent)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_refunds_status_retry_after", "status", "retry_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(40))  # cancellation, unseated_payment …
    # Sent as Stripe's Idempotency-Key, so a retried refund is never paid out twice.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    # The payment's, as sent; None for money paid offline, which the organizer returns.
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[RefundStatus] = mapped_column(
        string_enum(RefundStatus, "refund_status"), default=RefundStatus.PENDING
    )
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How the organizer returned money paid offline ("bank transfer 3 Dec").
    note: Mapped[str | None] = mapped_column(String(500))

    booking: Mapped[Booking] = relationship(back_populates="refunds")  # noqa: F821
    payment: Mapped[Payment] = relationship(back_populates="refunds")

    @property
    def returned_by_hand(self) -> bool:
        """Returned (or to be) by the organizer outside Stripe: not to the card, nor onto the
        gift voucher it was paid with (that goes back at once, with no one's hand)."""
        return self.payment_intent_id is None and not self.payment.from_voucher
