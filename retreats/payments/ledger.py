"""Writing the payment ledger (models.py), and its sums in SQL for lists of many bookings.

Every write here joins the caller's transaction; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlalchemy.exc import IntegrityError

from retreats.extensions import db
from retreats.payments.models import Payment, PaymentKind, PaymentStatus, Refund, RefundStatus

_OPEN_PAYMENT = insert(Payment.__table__)


def record_checkout_payment(
    *,
    booking_id: int,
    checkout_session_id: str,
    kind: PaymentKind,
    amount_minor: int,
    currency: str,
    now: datetime,
) -> None:
    """The payment a Checkout Session asks for, open until it is paid or closes; committed.
    Recording the same session twice (a double click, the webhook first) keeps one row: the
    second insert breaks the session id's unique constraint and is let go."""
    # A plain INSERT, not a new object for the unit of work: it runs on every booking, and that
    # bookkeeping cost more CPU than the statement itself. The statement is built once and its
    # values passed apart, so SQLAlchemy need not build and key a new statement each time.
    row = {
        "booking_id": booking_id,
        "kind": kind,
        "status": PaymentStatus.OPEN,
        "amount_minor": amount_minor,
        "currency": currency,
        "stripe_checkout_session_id": checkout_session_id,
        "created_at": now,
    }
    try:
        db.session.execute(_OPEN_PAYMENT, row)
        db.session.commit()
    except IntegrityError:  # recorded by someone else a moment ago
        db.session.rollback()


def record_payment_received(
    booking,
    *,
    checkout_session_id: str,
    payment_intent_id: str | None,
    amount_minor: int,
    currency: str,
    now: datetime,
) -> Payment:
    """The money of a Checkout Session arrived: its payment succeeded, with what came (the
    amount and currency Stripe reports, even when they are not what was asked). Repeats change
    nothing. A session paid before its payment row was written gets one here."""
    payment = _payment_of_session(checkout_session_id, booking_id=booking.id)
    if payment is None:
        payment = Payment(
            booking=booking,
            kind=PaymentKind.FULL,
            stripe_checkout_session_id=checkout_session_id,
            created_at=now,
        )
        db.session.add(payment)
    elif payment.status == PaymentStatus.SUCCEEDED:
        return payment
    payment.status = PaymentStatus.SUCCEEDED
    payment.amount_minor = amount_minor
    payment.currency = currency
    payment.stripe_payment_intent_id = payment_intent_id
    payment.succeeded_at = now
    return payment


def expire_open_payments(booking) -> None:
    """The booking will not be paid through its open sessions any more (expired, given up)."""
    for payment in booking.payments:
        if payment.status == PaymentStatus.OPEN:
            payment.status = PaymentStatus.EXPIRED


def record_refunds(booking, *, amount_minor: int, reason: str, now: datetime) -> list[Refund]:
    """Refunds of `amount_minor` over the booking's payments that arrived, each from its own
    payment and with its own idempotency key (nothing for a zero amount); never more than a
    payment has left to give back. Money paid offline is owed back too: the organizer returns
    it by hand (a refund `by_organizer`); money paid with a gift voucher goes back onto the
    voucher at once; a Stripe payment without a PaymentIntent has nothing to refund to and is
    passed over."""
    refunds = []
    left = amount_minor
    for payment in _refund_order(booking.payments):
        if left <= 0:
            break
        amount = min(left, payment.refundable_minor)
        refundable_to = payment.stripe_payment_intent_id or _paid_offline(payment)
        if amount <= 0 or not (refundable_to or payment.from_voucher):
            continue
        refunds.append(record_payment_refund(payment, amount_minor=amount, reason=reason, now=now))
        left -= amount
    return refunds


def _refund_order(payments) -> list[Payment]:
    """Money paid by card or offline first, the most recent first; money from gift vouchers
    last. A partial refund gives back real money before the gift: the voucher's money was only
    ever for retreats (and runs out with the voucher), the card's the person can spend as they
    like, so a refund that cannot return everything returns the money of most use first."""
    latest_first = sorted(payments, key=lambda payment: payment.id, reverse=True)
    return sorted(latest_first, key=lambda payment: payment.from_voucher)


def record_payment_refund(
    payment: Payment, *, amount_minor: int, reason: str, now: datetime
) -> Refund:
    """A refund of part or all of one payment, in its currency: pending, for Stripe; for money
    paid offline, for the organizer to return by hand; for money from a gift voucher, back on
    the voucher at once (succeeded: what is left on it counts it). Only the first is ever sent
    to Stripe. One per payment and reason: its idempotency key says so."""
    booking = payment.booking
    if payment.id is None:
        db.session.flush()  # its id is in the refund's key
    by_hand = _paid_offline(payment)
    to_voucher = payment.from_voucher
    refund = Refund(
        booking=booking,
        payment=payment,
        amount_minor=amount_minor,
        currency=payment.currency,
        reason=reason,
        idempotency_key=f"refund:{reason}:{booking.reference}:{payment.id}",
        payment_intent_id=None if by_hand or to_voucher else payment.stripe_payment_intent_id,
        status=_new_refund_status(by_hand=by_hand, to_voucher=to_voucher),
        retry_after=now,
        created_at=now,
        succeeded_at=now if to_voucher else None,
    )
    db.session.add(refund)
    return refund


def _new_refund_status(*, by_hand: bool, to_voucher: bool) -> RefundStatus:
    if to_voucher:
        return RefundStatus.SUCCEEDED  # nothing to send: the voucher's balance is a sum of rows
    return RefundStatus.BY_ORGANIZER if by_hand else RefundStatus.PENDING


def record_refund_returned(refund: Refund, *, note: str, now: datetime) -> None:
    """The organizer has returned a refund of money paid offline, as `note` says: done."""
    refund.status = RefundStatus.SUCCEEDED
    refund.succeeded_at = now
    refund.note = note


def record_offline_payment(booking, *, amount_minor: int, note: str, now: datetime) -> Payment:
    """Money the organizer received outside Stripe (a bank transfer, cash): a payment that
    arrived, in the booking's currency. With no Stripe payment behind it, what is refunded of
    it is returned by the organizer (record_payment_refund), never sent to Stripe."""
    payment = Payment(
        booking=booking,
        kind=PaymentKind.OFFLINE,
        status=PaymentStatus.SUCCEEDED,
        amount_minor=amount_minor,
        currency=booking.currency,
        note=note,
        created_at=now,
        succeeded_at=now,
    )
    db.session.add(payment)
    return payment


def record_voucher_payment(
    booking, *, gift_voucher_id: int, amount_minor: int, now: datetime
) -> Payment:
    """Part or all of a booking paid from a gift voucher, in the booking's currency: open while
    the booking holds its places unpaid (what is left on the voucher counts it already),
    succeeded when it is confirmed (settle_voucher_payments), expired if it never is."""
    payment = Payment(
        kind=PaymentKind.VOUCHER,
        status=PaymentStatus.OPEN,
        amount_minor=amount_minor,
        currency=booking.currency,
        gift_voucher_id=gift_voucher_id,
        created_at=now,
    )
    booking.payments.append(payment)
    return payment


def settle_voucher_payments(booking, *, now: datetime) -> None:
    """The booking is confirmed: the money its open voucher payments held is spent."""
    for payment in booking.payments:
        if payment.from_voucher and payment.status == PaymentStatus.OPEN:
            payment.status = PaymentStatus.SUCCEEDED
            payment.succeeded_at = now


def _paid_offline(payment: Payment) -> bool:
    return payment.kind == PaymentKind.OFFLINE and not payment.stripe_payment_intent_id


def _payment_of_session(checkout_session_id: str, *, booking_id: int) -> Payment | None:
    return db.session.execute(
        select(Payment).where(
            Payment.stripe_checkout_session_id == checkout_session_id,
            Payment.booking_id == booking_id,
        )
    ).scalar_one_or_none()


# The same sums in SQL, one value per booking row, for lists and totals over many bookings.


def paid_sum(booking_id_column):
    """What a booking has paid (payments that arrived)."""
    return (
        select(func.coalesce(func.sum(Payment.amount_minor), 0))
        .where(
            Payment.booking_id == booking_id_column,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
        .scalar_subquery()
    )


def refunded_sum(booking_id_column):
    """What was refunded to a booking, or is being."""
    return (
        select(func.coalesce(func.sum(Refund.amount_minor), 0))
        .where(Refund.booking_id == booking_id_column)
        .scalar_subquery()
    )


def unpaid_sum(booking_id_column, amount_minor_column):
    """What of a booking's price its payments have not covered (never below nothing). The
    caller keeps it to confirmed bookings: that is what they owe (booking.models.owed)."""
    unpaid = amount_minor_column - paid_sum(booking_id_column)
    return case((unpaid > 0, unpaid), else_=0)
