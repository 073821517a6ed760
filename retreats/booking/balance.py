"""Paying the balance of a booking that paid a deposit: a Checkout Session for exactly what is
owed, opened from the manage page, and what Stripe says about it applied once.

Pressing the button twice (or in two tabs) while a balance session is open reuses that session.
Money that arrives for a balance is recorded on the ledger once, however often Stripe or the
success page reports it; whatever of it is more than was owed (paid twice, in two sessions) or
arrives after the booking was cancelled goes back at once, with the organizer's audit trail.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from retreats.base.audit import record_audit
from retreats.base.locking import retried_after_write_conflicts
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.notices import queue_booking_email
from retreats.booking.tokens import booking_token
from retreats.database import end_transaction, utcnow
from retreats.errors import DomainError, PaymentProviderError
from retreats.extensions import db
from retreats.formatting import format_date, format_money
from retreats.links import public_url
from retreats.payments import stripe_gateway
from retreats.payments.ledger import (
    record_checkout_payment,
    record_payment_refund,
)
from retreats.payments.models import Payment, PaymentKind, PaymentStatus
from retreats.payments.refunds import send_refund
from retreats.payments.stripe_gateway import CheckoutLine, CheckoutSession, PaymentGatewayError

log = logging.getLogger(__name__)

# Stripe lets a Checkout Session live between 30 minutes and a day; a balance session an hour.
BALANCE_SESSION_LIFETIME = timedelta(hours=1)
NOTHING_OWED = "Nothing is owed on this booking: its balance is paid."
# The person's mails about their balance (notifications/messages.py builds them).
BALANCE_RECEIVED = "balance_received"  # a receipt
LATE_BALANCE_REFUNDED = "late_balance_refunded"  # it came after the booking was cancelled


def open_balance_checkout(booking: Booking, *, now: datetime | None = None) -> str:
    """The Checkout URL that pays exactly what a confirmed booking owes; DomainError when it
    owes nothing (or is not confirmed), PaymentProviderError when Stripe cannot be reached."""
    now = now or utcnow()
    owed = booking.owed_minor
    if booking.status != BookingStatus.CONFIRMED or owed <= 0:
        raise DomainError(NOTHING_OWED)
    reference, booking_id, currency = booking.reference, booking.id, booking.currency
    open_session_id = _open_balance_session(booking, owed)
    attempt = _balance_payments_asked(booking_id) + 1
    token = booking_token(reference)
    checkout = {
        "booking_id": booking_id,
        "booking_reference": reference,
        "lines": [_balance_line(booking, owed)],
        "currency": currency,
        "customer_email": booking.contact_email,
        "success_url": public_url("booking.manage", reference=reference, t=token)
        + "&session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": public_url("booking.manage", reference=reference, t=token),
        "expires_at": now + BALANCE_SESSION_LIFETIME,
        "idempotency_key": f"balance:{reference}:{attempt}",
    }
    end_transaction()  # nothing held while Stripe is asked
    try:
        if open_session_id is not None:
            session = stripe_gateway.retrieve_checkout_session(open_session_id)
            if session.status == "open" and session.url:
                return session.url
            apply_balance_session(session, now=now)  # paid or closed meanwhile
            raise DomainError("That payment has just finished. Please look at your booking again.")
        session = stripe_gateway.create_checkout_session(**checkout)
    except PaymentGatewayError as error:
        log.error("Could not open the balance Checkout for %s: %s", reference, error)
        raise PaymentProviderError(
            "We could not start the payment just now. Nothing was charged; please try again."
        ) from error
    record_checkout_payment(
        booking_id=booking_id,
        checkout_session_id=session.id,
        kind=PaymentKind.BALANCE,
        amount_minor=owed,
        currency=currency,
        now=now,
    )
    return session.url


def _open_balance_session(booking: Booking, owed: int) -> str | None:
    """The session of a balance payment still open for exactly what is owed, if any."""
    for payment in reversed(booking.payments):
        if (
            payment.kind == PaymentKind.BALANCE
            and payment.status == PaymentStatus.OPEN
            and payment.amount_minor == owed
        ):
            return payment.stripe_checkout_session_id
    return None


def _balance_payments_asked(booking_id: int) -> int:
    return db.session.scalar(
        select(func.count(Payment.id)).where(
            Payment.booking_id == booking_id, Payment.kind == PaymentKind.BALANCE
        )
    )


def _balance_line(booking: Booking, owed: int) -> CheckoutLine:
    retreat = booking.retreat
    due_on = format_date(booking.balance_due_at.astimezone(retreat.zone))
    return CheckoutLine(
        name=f"{retreat.title}: balance of booking {booking.reference} (due by {due_on})",
        unit_amount_minor=owed,
    )


def balance_payment_of(session: CheckoutSession) -> Payment | None:
    """The ledger's balance payment a Checkout Session was opened for (None: not a balance)."""
    return db.session.execute(
        select(Payment).where(
            Payment.stripe_checkout_session_id == session.id,
            Payment.kind == PaymentKind.BALANCE,
        )
    ).scalar_one_or_none()


def apply_balance_session(session: CheckoutSession, *, now: datetime | None = None) -> str:
    """Bring a balance payment in line with its Checkout Session: paid → recorded (and what is
    more than was owed refunded), closed unpaid → expired. Repeats change nothing."""
    now = now or utcnow()
    payment = balance_payment_of(session)
    if payment is None:
        return "no booking"
    payment_id = payment.id
    if session.is_paid:
        record_balance_paid(
            payment_id,
            payment_intent_id=session.payment_intent_id,
            amount_minor=session.amount_total or 0,
            currency=session.currency,
            now=now,
        )
    elif session.status == "expired" and payment.status == PaymentStatus.OPEN:
        payment.status = PaymentStatus.EXPIRED
        db.session.commit()
    return "applied"


def record_balance_paid(
    payment_id: int,
    *,
    payment_intent_id: str | None,
    amount_minor: int,
    currency: str | None,
    now: datetime,
) -> None:
    """A balance payment's money arrived (through Checkout or charged to the saved card):
    recorded once, what is not owed sent back, and the person sent a receipt."""
    refund_ids = retried_after_write_conflicts(
        lambda: _record_balance_paid(payment_id, payment_intent_id, amount_minor, currency, now)
    )
    for refund_id in refund_ids:
        send_refund(refund_id, now=now)  # a failure stays pending and the worker retries it


def _record_balance_paid(
    payment_id: int,
    payment_intent_id: str | None,
    amount_minor: int,
    currency: str | None,
    now: datetime,
) -> list[int]:
    payment = db.session.get(Payment, payment_id, populate_existing=True)
    if payment.status == PaymentStatus.SUCCEEDED:
        db.session.rollback()
        return []
    booking = db.session.get(Booking, payment.booking_id, populate_existing=True)
    owed_before = booking.owed_minor
    # A write to the booking's own row (its version): two balances recorded at the same moment
    # conflict, and the one that loses reads again what is owed after the other.
    booking.updated_at = now
    flag_modified(booking, "updated_at")  # written even when `now` equals what it holds
    payment.status = PaymentStatus.SUCCEEDED
    payment.amount_minor = amount_minor
    payment.currency = (currency or booking.currency).upper()[:3]
    payment.stripe_payment_intent_id = payment_intent_id
    payment.succeeded_at = now
    received = payment
    # Money the booking cannot use goes straight back: all of it after a cancellation or in
    # another currency, and what is more than was owed (the balance paid twice).
    usable = owed_before if received.currency == booking.currency else 0
    if booking.status != BookingStatus.CONFIRMED:
        usable = 0
    extra = received.amount_minor - usable
    refunds = []
    if extra > 0 and received.stripe_payment_intent_id:
        refunds.append(
            record_payment_refund(received, amount_minor=extra, reason="balance_not_owed", now=now)
        )
    if usable > 0:
        queue_booking_email(booking, BALANCE_RECEIVED, booking.contact_email)
    elif booking.status != BookingStatus.CONFIRMED and extra > 0:
        queue_booking_email(booking, LATE_BALANCE_REFUNDED, booking.contact_email)
    record_audit(
        "booking.balance_paid",
        actor_id=None,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=(
            f"paid {format_money(received.amount_minor, received.currency)}"
            + (f", {format_money(extra, received.currency)} not owed: refunded" if extra else "")
        ),
    )
    db.session.flush()
    refund_ids = [refund.id for refund in refunds]
    db.session.commit()
    log.info("Balance payment for %s recorded", booking.reference)
    return refund_ids
