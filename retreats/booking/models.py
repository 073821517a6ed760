"""Bookings (seats held or paid for) and the attendees who fill those seats."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from retreats.base.encryption import EncryptedText
from retreats.database import UTCDateTime, string_enum, utcnow
from retreats.extensions import db
from retreats.gift_vouchers.balance import voucher_left_minor
from retreats.gift_vouchers.codes import CODE_PREFIX
from retreats.gift_vouchers.models import GiftVoucher
from retreats.listings.questions import Privacy, QuestionKind, shown_answer
from retreats.payments.models import PaymentStatus


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


def owed(*, status: BookingStatus, amount_minor: int, paid_minor: int) -> int:
    """The one rule for what a booking still owes: a confirmed booking's price less what it
    paid; nothing for any other. Booking.owed_minor, and lists that read the sums in SQL."""
    if status != BookingStatus.CONFIRMED:
        return 0
    return max(amount_minor - paid_minor, 0)


def voucher_name(voucher: GiftVoucher) -> str:
    """How a gift voucher is named on the form's total, Checkout, the booking's page and its
    emails: enough of its code to recognise it ("GV-…7K2Q"), never enough to spend it."""
    return f"{CODE_PREFIX}-{voucher.code_ending}"


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("seats > 0", name="seats_positive"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_bookings_retreat_id_status", "retreat_id", "status"),
        # The attendee list pages through a retreat's bookings oldest first.
        Index("ix_bookings_retreat_id_created_at", "retreat_id", "created_at", "id"),
        Index("ix_bookings_status_hold_expires_at", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped on every change: two processes changing one booking at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Public, short and readable ("RB-7K2Q9M"); never enough on its own to open a booking.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # SHA-256 of the secret token in the manage link; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64))
    retreat_id: Mapped[int] = mapped_column(ForeignKey("retreats.id"))
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"))
    # The room type it stays in (None: no accommodation), and whether it takes a whole room or
    # one bed of a shared room (see listings.models.RoomType); counted in booking/inventory.py.
    room_type_id: Mapped[int | None] = mapped_column(ForeignKey("room_types.id"), index=True)
    takes_whole_room: Mapped[bool] = mapped_column(default=True, server_default="1")
    # A single guest's wish about whom to share a room with: private, like the answers to private
    # questions.
    # None when there is no wish (an empty answer would still be encrypted).
    room_share_with: Mapped[str | None] = mapped_column(EncryptedText)
    # The named room the organizer put this booking in ("Olive 2"), for the rooming list.
    room_label: Mapped[str] = mapped_column(String(60), default="", server_default="")
    status: Mapped[BookingStatus] = mapped_column(
        string_enum(BookingStatus, "booking_status"),
        default=BookingStatus.PENDING,
    )
    seats: Mapped[int] = mapped_column(Integer)
    # The total of its lines (booking/pricing.py wrote both, when the seats were held).
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # Paid as a deposit now and the balance by `balance_due_at` (the retreat's rule when it was
    # booked); both None: paid in full at once.
    deposit_minor: Mapped[int | None] = mapped_column(Integer)
    balance_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person agreed at checkout that the card paying the deposit is charged the balance on
    # its due date (booking/balance_collection.py); without it they get a link to pay.
    balance_by_saved_card: Mapped[bool] = mapped_column(default=False, server_default="0")
    # When the worker asked for the balance (charged the card, or sent the link to pay); None
    # until the due date, and again after the organizer moved the due date.
    balance_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    hold_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The form's one-time key: a double-submitted form finds this booking instead of a second one.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when the seats came from a waitlist offer.
    waitlist_entry_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist_entries.id"))
    # The discount code used (its line is among `lines`); its use counts while the booking
    # holds its seats.
    discount_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("discount_codes.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}

    retreat: Mapped[Retreat] = relationship()  # noqa: F821
    ticket_type: Mapped[TicketType] = relationship()  # noqa: F821
    room_type: Mapped[RoomType | None] = relationship()  # noqa: F821
    # Answers to the retreat's own questions, the booking's and each attendee's, in the order
    # they were given (declared before `attendees`, so saving a new booking cascades to its
    # answers first, in that order, rather than to each attendee's answers first).
    answers: Mapped[list[Answer]] = relationship(
        back_populates="booking", order_by="Answer.id", cascade="all, delete-orphan"
    )
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="booking", order_by="Attendee.position", cascade="all, delete-orphan"
    )
    lines: Mapped[list[BookingLine]] = relationship(
        back_populates="booking", order_by="BookingLine.position", cascade="all, delete-orphan"
    )
    # The ledger (payments/models.py): what was asked for and paid, and what went back.
    payments: Mapped[list[Payment]] = relationship(  # noqa: F821
        back_populates="booking", order_by="Payment.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[Refund]] = relationship(  # noqa: F821
        back_populates="booking", order_by="Refund.id"
    )

    # The same sums read in a list's own statement (ledger.paid_sum, refunded_sum), so that a
    # page of many bookings does not load each one's rows (organizer/attendees/queries.py).
    paid_in_statement: Mapped[int | None] = query_expression()
    refunded_in_statement: Mapped[int | None] = query_expression()

    @property
    def paid_minor(self) -> int:
        """Every payment that arrived, refunded or not."""
        if self.paid_in_statement is not None:
            return self.paid_in_statement
        return sum(payment.amount_minor for payment in self.payments if payment.succeeded)

    @property
    def refunded_minor(self) -> int:
        """Every refund recorded, sent to Stripe or on its way."""
        if self.refunded_in_statement is not None:
            return self.refunded_in_statement
        return sum(refund.amount_minor for refund in self.refunds)

    @property
    def kept_minor(self) -> int:
        """What was paid and not given back."""
        return self.paid_minor - self.refunded_minor

    @property
    def due_at_booking_minor(self) -> int:
        """What the first payment asks for: the deposit, or everything."""
        return self.amount_minor if self.deposit_minor is None else self.deposit_minor

    @property
    def voucher_minor(self) -> int:
        """What gift vouchers pay of it: their payments that hold money (open) or took it."""
        return sum(payment.amount_minor for payment in self.payments if _holds_voucher(payment))

    @property
    def card_due_at_booking_minor(self) -> int:
        """What the card pays at booking (Checkout asks exactly this): the deposit or the
        whole price, less what gift vouchers pay; nothing when they cover it."""
        return max(self.due_at_booking_minor - self.voucher_minor, 0)

    @property
    def paid_at_booking_minor(self) -> int:
        """What booking it paid, vouchers and card together: the deposit, or more when vouchers
        pay more than it (they pay what they can of the whole price)."""
        return self.card_due_at_booking_minor + self.voucher_minor

    @property
    def voucher_given_back(self) -> bool:
        """A gift voucher's part was given back to it unspent (the hold lapsed, or was given
        up): it is not taken again, so the card alone cannot confirm the booking."""
        return any(p.from_voucher and p.status == PaymentStatus.EXPIRED for p in self.payments)

    @property
    def voucher_payments(self) -> list[tuple[Payment, str]]:  # noqa: F821
        """Its gift voucher payments that hold or took money, each with its voucher's name
        (voucher_name), for Checkout, the manage page and the confirmation email."""
        return [
            (payment, voucher_name(db.session.get(GiftVoucher, payment.gift_voucher_id)))
            for payment in self.payments
            if _holds_voucher(payment)
        ]

    @property
    def vouchers_left(self) -> list[tuple[str, int]]:
        """Each gift voucher it spent, by name, with what stays on it now (the manage page)."""
        vouchers = {p.gift_voucher_id for p in self.payments if p.from_voucher}
        found = [db.session.get(GiftVoucher, voucher_id) for voucher_id in sorted(vouchers)]
        return [(voucher_name(voucher), voucher_left_minor(voucher)) for voucher in found]

    @property
    def owed_minor(self) -> int:
        """What a confirmed booking still has to pay (its balance); nothing once cancelled."""
        return owed(status=self.status, amount_minor=self.amount_minor, paid_minor=self.paid_minor)

    @property
    def checkout_session_id(self) -> str | None:
        """The Checkout Session of the latest payment asked for through Checkout."""
        sessions = [p.stripe_checkout_session_id for p in self.payments]
        return next((s for s in reversed(sessions) if s), None)

    @property
    def payment_intent_id(self) -> str | None:
        """Stripe's PaymentIntent of the latest payment that arrived."""
        intents = [p.stripe_payment_intent_id for p in self.payments if p.succeeded]
        return next((i for i in reversed(intents) if i), None)

    def refunded_for(self, reason: str) -> int:
        return sum(r.amount_minor for r in self.refunds if r.reason == reason)

    @property
    def paid_without_a_seat(self) -> bool:
        """Stripe took the money but the booking was never confirmed: it has to go back."""
        return self.confirmed_at is None and self.paid_minor > 0

    def __repr__(self) -> str:
        return f"<Booking {self.reference} {self.status}>"


def _holds_voucher(payment) -> bool:
    return payment.from_voucher and payment.status in (PaymentStatus.OPEN, PaymentStatus.SUCCEEDED)


class LineKind(enum.StrEnum):
    TICKET = "ticket"
    ROOM = "room"
    ADD_ON = "add_on"
    DISCOUNT = "discount"  # a discount code's line: its unit amount is negative


class BookingLine(db.Model):
    """One part of what a booking costs, as priced when its seats were held: the ticket, the
    room, each add-on. Later price changes do not change it; limited add-ons are counted here.
    """

    __tablename__ = "booking_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "unit_amount_minor >= 0 OR kind = 'discount'", name="unit_amount_not_negative"
        ),
        Index("ix_booking_lines_add_on_id", "add_on_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[LineKind] = mapped_column(string_enum(LineKind, "line_kind"))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_amount_minor: Mapped[int] = mapped_column(Integer)
    add_on_id: Mapped[int | None] = mapped_column(ForeignKey("add_ons.id"))

    booking: Mapped[Booking] = relationship(back_populates="lines")

    @property
    def amount_minor(self) -> int:
        return self.quantity * self.unit_amount_minor


class Attendee(db.Model):
    """One person in one seat. What they answered is in `answers` (the retreat's questions)."""

    __tablename__ = "attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    code_of_conduct_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    booking: Mapped[Booking] = relationship(back_populates="attendees")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="attendee", order_by="Answer.id", cascade="all, delete-orphan"
    )


class Answer(db.Model):
    """One answer to one of the retreat's own questions (listings/questions.py): of the booking,
    or of one attendee when the question is asked of each person.

    It keeps the label, kind and privacy the question had when it was answered, and for a
    consent the exact text accepted, so a question edited or removed later changes nothing of
    what was answered. An ordinary answer is in `text`; a private one only in `private_text`,
    encrypted at rest (base/encryption.py). The retention purge empties both, consents apart.
    """

    __tablename__ = "answers"
    __table_args__ = (
        CheckConstraint(
            "(privacy = 'private' AND text IS NULL)"
            " OR (privacy = 'ordinary' AND private_text IS NULL)",
            name="private_answers_only_encrypted",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    # The person who answered a question asked of each person (None: asked of the booking).
    attendee_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[QuestionKind] = mapped_column(string_enum(QuestionKind, "question_kind"))
    privacy: Mapped[Privacy] = mapped_column(string_enum(Privacy, "question_privacy"))
    text: Mapped[str | None] = mapped_column(Text)
    private_text: Mapped[str | None] = mapped_column(EncryptedText)
    # A consent's text as the person read and accepted it.
    consent_text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="answers")
    attendee: Mapped[Attendee | None] = relationship(back_populates="answers")

    @property
    def is_private(self) -> bool:
        return self.privacy == Privacy.PRIVATE

    @property
    def stored_text(self) -> str:
        """The answer as stored (decrypted when private; "" once purged)."""
        return (self.private_text if self.is_private else self.text) or ""

    @property
    def shown(self) -> str:
        """The answer as a person reads it (several choices joined, yes/no in words)."""
        return shown_answer(self.kind, self.stored_text)


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # seats held for them until offer_expires_at
    BOOKED = "booked"  # the offer became a booking
    LAPSED = "lapsed"  # the offer was not used in time
    LEFT = "left"


class WaitlistEntry(db.Model):
    """Someone waiting for a sold-out retreat; an offer holds freed seats for them for a while."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("seats IN (1, 2)", name="one_or_two_seats"),
        Index("ix_waitlist_entries_retreat_id_status", "retreat_id", "status", "created_at"),
        Index("ix_waitlist_entries_status_offer_expires_at", "status", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    retreat_id: Mapped[int] = mapped_column(ForeignKey("retreats.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    seats: Mapped[int] = mapped_column(Integer)
    # The room type they wait for (None: none, or a retreat without rooms): an offer is made only
    # when one of its rooms (or beds) is free too, and holds it (booking/inventory.py). Deleting
    # the room type leaves them waiting for places alone.
    room_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("room_types.id", ondelete="SET NULL")
    )
    status: Mapped[WaitlistStatus] = mapped_column(
        string_enum(WaitlistStatus, "waitlist_status"), default=WaitlistStatus.WAITING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __mapper_args__ = {"version_id_col": version}

    retreat: Mapped[Retreat] = relationship()  # noqa: F821
    room_type: Mapped[RoomType | None] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<WaitlistEntry {self.id} {self.status}>"
