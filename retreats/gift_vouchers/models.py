"""A gift voucher: an amount bought for someone, for one organizer's retreats or (a setting) for
every retreat on the site, spent on bookings as ledger payments of kind `voucher`.

What is left on it is never a number kept here: it is the amount less the voucher payments that
hold or took money from it, plus the refunds that went back to it (balance.py).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retreats.database import UTCDateTime, string_enum, utcnow
from retreats.extensions import db
from retreats.gift_vouchers.codes import shown_code

# The outbox kinds of a voucher's two mails: the buyer's receipt, and the voucher itself to its
# recipient on the chosen day (dropped when the voucher is voided before then).
RECEIPT_EMAIL_KIND = "gift_voucher_receipt"
VOUCHER_EMAIL_KIND = "gift_voucher"


class GiftVoucherStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"  # its Checkout Session is open
    ACTIVE = "active"  # paid: it can be spent until it expires
    UNPAID = "unpaid"  # the Checkout Session closed unpaid: it never existed for anyone
    VOID = "void"  # the organizer voided it (audited): nothing more can be spent


class GiftVoucher(db.Model):
    __tablename__ = "gift_vouchers"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("length(code) = 16", name="code_sixteen_characters"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public reference of the purchase ("GV-7K2Q9M"), on the buyer's receipt.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # The secret that spends it: 16 random characters of codes.CODE_ALPHABET (80 bits), kept
    # without separators; shown as GV-XXXX-XXXX-XXXX-XXXX.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # None: for every retreat on the site (GIFT_VOUCHERS_SITE_WIDE).
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[GiftVoucherStatus] = mapped_column(
        string_enum(GiftVoucherStatus, "gift_voucher_status"),
        default=GiftVoucherStatus.AWAITING_PAYMENT,
    )
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_email: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The day the buyer chose, and the moment the voucher's email is sent on it.
    deliver_on: Mapped[date] = mapped_column(Date)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A neutral subject and sender name on the voucher's email, so it spoils nothing.
    discreet: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The form's one-time key: a double-submitted form finds this voucher instead of a second.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when paid: paid_at + GIFT_VOUCHER_VALID_DAYS.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(500))

    organizer: Mapped[Organizer | None] = relationship()  # noqa: F821

    @property
    def shown_code(self) -> str:
        return shown_code(self.code)

    @property
    def code_ending(self) -> str:
        """What an organizer's list shows of the code: enough to tell vouchers apart."""
        return "…" + self.code[-4:]

    def __repr__(self) -> str:
        return f"<GiftVoucher {self.reference} {self.status}>"
