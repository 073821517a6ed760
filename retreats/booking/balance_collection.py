"""The balance collects itself: what the worker does on and after a balance's due date.

On the due date of a confirmed booking that still owes its balance, the worker asks for it once
(`Booking.balance_asked_at`):
- the person agreed at checkout that the card be kept for it: the card is charged off-session,
  with an idempotency key made from the payment's id, so asking Stripe again (the worker killed
  between charging and recording, Stripe out of reach) never charges twice. Stripe out of reach
  is asked again with back-off; a card declined, or needing its owner to authenticate, gets
  them a mail with the link to pay;
- otherwise they are mailed the link to pay (the manage page's "Pay the balance").
A balance still unpaid `balance_grace_days` after it was due cancels the booking under the
retreat's rule (its deposit kept or given back), frees its places for the waitlist and tells the
person. The reminders before and after the due date are scheduled mails (email_schedule.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from retreats.base.audit import record_audit
from retreats.booking.balance import record_balance_paid
from retreats.booking.cancellation import record_cancellation
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.notices import queue_booking_email, queue_organizer_notice
from retreats.booking.waitlist import offer_freed_seats_if_possible
from retreats.database import WRITE_CONFLICTS, end_transaction, utcnow
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.payments import stripe_gateway
from retreats.payments.models import Payment, PaymentKind, PaymentStatus
from retreats.payments.refunds import send_refund
from retreats.payments.stripe_gateway import PaymentGatewayError

log = logging.getLogger(__name__)

# The person's mails (notifications/messages.py builds them).
PAY_LINK = "balance_pay_link"  # the balance is due: pay it here (no card, or the card failed)
CANCELLED_OVERDUE = "cancelled_overdue"

# Stripe out of reach: ask again after these waits; after the last, send the link to pay.
CHARGE_RETRY_WAITS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
OFF_SESSION_NOTE = "charged to the card saved with the deposit"
# The PaymentIntent's metadata key naming the ledger row it pays (webhooks find it by it).
BALANCE_PAYMENT_KEY = "balance_payment_id"
# What asking for a balance did.
CHARGED, NOT_CHARGED, LINK_SENT = "charged", "not charged", "link sent"


@dataclass(frozen=True)
class CollectionResult:
    asked: int  # bookings whose balance was asked for (charged, or sent the link)
    charged: int  # off-session charges that succeeded
    cancelled: int  # bookings cancelled for a balance unpaid after the grace period


def collect_balances(*, now: datetime | None = None) -> CollectionResult:
    """Everything due about balances at `now`: ask for the due ones, ask Stripe again where it
    could not be reached, cancel the overdue ones."""
    now = now or utcnow()
    asked = charged = 0
    for booking_id in _balances_due(now):
        outcome = ask_for_balance(booking_id, now=now)
        asked += outcome is not None
        charged += outcome == CHARGED
    for payment_id in _charges_to_ask_again(now):
        if charge_saved_card(payment_id, now=now):
            charged += 1
    cancelled = sum(cancel_if_overdue(booking_id, now=now) for booking_id in _overdue(now))
    return CollectionResult(asked=asked, charged=charged, cancelled=cancelled)


def is_overdue(booking: Booking, *, now: datetime) -> bool:
    """Confirmed, its balance due and not paid."""
    return (
        booking.status == BookingStatus.CONFIRMED
        and booking.balance_due_at is not None
        and booking.balance_due_at <= now
        and booking.owed_minor > 0
    )


def cancels_at(booking: Booking) -> datetime | None:
    """When an unpaid balance cancels the booking (None: it has no balance)."""
    if booking.balance_due_at is None:
        return None
    return booking.balance_due_at + timedelta(days=booking.retreat.balance_grace_days)


def _balances_due(now: datetime) -> list[int]:
    rows = db.session.scalars(
        select(Booking.id)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.balance_due_at <= now,
            Booking.balance_asked_at.is_(None),
        )
        .order_by(Booking.balance_due_at, Booking.id)
    ).all()
    db.session.rollback()
    return list(rows)


def ask_for_balance(booking_id: int, *, now: datetime) -> str | None:
    """Ask once for a due balance: the saved card charged (CHARGED, or NOT_CHARGED yet), or the
    link to pay sent (LINK_SENT); None when it was not due (any more)."""
    booking = _locked_booking(booking_id)
    if booking is None or booking.balance_asked_at is not None or not is_overdue(booking, now=now):
        db.session.rollback()
        return None
    booking.balance_asked_at = now
    if not booking.balance_by_saved_card:
        queue_booking_email(booking, PAY_LINK, booking.contact_email)
        db.session.commit()
        return LINK_SENT
    payment = Payment(
        booking=booking,
        kind=PaymentKind.BALANCE,
        status=PaymentStatus.OPEN,
        amount_minor=booking.owed_minor,
        currency=booking.currency,
        note=OFF_SESSION_NOTE,
        retry_after=now,
        created_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    payment_id = payment.id
    db.session.commit()
    return CHARGED if charge_saved_card(payment_id, now=now) else NOT_CHARGED


def _charges_to_ask_again(now: datetime) -> list[int]:
    rows = db.session.scalars(
        select(Payment.id)
        .where(
            Payment.status == PaymentStatus.OPEN,
            Payment.kind == PaymentKind.BALANCE,
            Payment.stripe_checkout_session_id.is_(None),
            Payment.retry_after <= now,
        )
        .order_by(Payment.id)
    ).all()
    db.session.rollback()
    return list(rows)


def charge_saved_card(payment_id: int, *, now: datetime) -> bool:
    """Charge (or ask Stripe again about) one off-session balance payment; True if it
    succeeded. Stripe's answer is final: recorded, or failed with the link to pay sent."""
    payment = db.session.get(Payment, payment_id, populate_existing=True, with_for_update=True)
    if payment is None or payment.status != PaymentStatus.OPEN:
        db.session.rollback()
        return False
    booking = payment.booking
    if payment.attempts == 0 and booking.status != BookingStatus.CONFIRMED:
        # Never sent to Stripe, and the booking was cancelled meanwhile: nothing to charge.
        payment.status = PaymentStatus.EXPIRED
        db.session.commit()
        return False
    try:
        card = _saved_card(payment)
    except PaymentGatewayError as error:
        _ask_again_later(payment, error, now)
        return False
    if card is None:
        _charge_failed(payment, code="no_saved_card", message="No card was saved.", now=now)
        return False
    payment.attempts += 1
    payment.retry_after = now + CHARGE_RETRY_WAITS[0]  # if this worker dies while asking
    reference, amount, currency = booking.reference, payment.amount_minor, payment.currency
    booking_id = booking.id
    db.session.commit()  # the attempt is counted before Stripe is asked
    end_transaction()
    try:
        charge = stripe_gateway.charge_saved_card(
            card=card,
            amount_minor=amount,
            currency=currency,
            metadata={
                "booking_id": str(booking_id),
                "booking_reference": reference,
                BALANCE_PAYMENT_KEY: str(payment_id),
            },
            idempotency_key=f"balance-charge:{reference}:{payment_id}",
        )
    except PaymentGatewayError as error:
        payment = db.session.get(Payment, payment_id, populate_existing=True)
        _ask_again_later(payment, error, now)
        return False
    if charge.succeeded:
        record_balance_paid(
            payment_id,
            payment_intent_id=charge.payment_intent_id,
            amount_minor=amount,
            currency=currency,
            now=now,
        )
        log.info("Balance of %s charged to the saved card", reference)
        return True
    payment = db.session.get(Payment, payment_id, populate_existing=True, with_for_update=True)
    if payment.status == PaymentStatus.OPEN:  # not already told by the webhook
        payment.stripe_payment_intent_id = charge.payment_intent_id
        _charge_failed(payment, code=charge.code or "declined", message=charge.message, now=now)
    db.session.rollback()
    return False


def apply_off_session_report(
    intent: stripe_gateway.PaymentIntentReport, *, now: datetime | None = None
) -> str:
    """A webhook's word on a balance charged to a saved card. The worker records Stripe's
    answer itself; this records it when the worker could not (it died after charging), or got
    there first. Either way it is recorded once. Other PaymentIntents are not balances."""
    now = now or utcnow()
    payment_id = intent.metadata.get(BALANCE_PAYMENT_KEY, "")
    payment = (
        db.session.get(Payment, int(payment_id), populate_existing=True, with_for_update=True)
        if payment_id.isdigit()
        else None
    )
    if (
        payment is None
        or payment.kind != PaymentKind.BALANCE
        or payment.stripe_checkout_session_id is not None
        or str(payment.booking_id) != intent.metadata.get("booking_id")
        or payment.stripe_payment_intent_id not in (None, intent.id)
    ):
        db.session.rollback()
        return "not a balance"
    if intent.status == "succeeded":
        payment_id = payment.id
        db.session.rollback()
        record_balance_paid(
            payment_id,
            payment_intent_id=intent.id,
            amount_minor=intent.amount_received,
            currency=intent.currency,
            now=now,
        )
        return "applied"
    if payment.status == PaymentStatus.OPEN and intent.error_code:
        payment.stripe_payment_intent_id = intent.id
        _charge_failed(payment, code=intent.error_code, message=intent.error_message, now=now)
        return "applied"
    db.session.rollback()
    return "nothing to do"


def _saved_card(payment: Payment) -> stripe_gateway.SavedCard | None:
    """The card this payment charges: noted on it, or read from the deposit that saved it."""
    if payment.stripe_customer_id and payment.stripe_payment_method_id:
        return stripe_gateway.SavedCard(
            customer_id=payment.stripe_customer_id,
            payment_method_id=payment.stripe_payment_method_id,
        )
    deposit = next(
        (
            earlier
            for earlier in payment.booking.payments
            if earlier.kind == PaymentKind.DEPOSIT
            and earlier.succeeded
            and earlier.stripe_payment_intent_id
        ),
        None,
    )
    if deposit is None:
        return None
    card = stripe_gateway.saved_card_of_payment(deposit.stripe_payment_intent_id)
    if card is not None:
        for row in (deposit, payment):
            row.stripe_customer_id = card.customer_id
            row.stripe_payment_method_id = card.payment_method_id
    return card


def _ask_again_later(payment: Payment, error: Exception, now: datetime) -> None:
    """Stripe could not be reached: ask again after a longer wait, or give up and send the
    link to pay (once: the mail's key says so)."""
    if payment.attempts >= len(CHARGE_RETRY_WAITS):
        _charge_failed(payment, code="unreachable", message=str(error), now=now)
        return
    payment.retry_after = now + CHARGE_RETRY_WAITS[payment.attempts]
    payment.note = f"{OFF_SESSION_NOTE}; Stripe not reached: {error}"[:500]
    db.session.commit()
    log.warning("Balance charge %s: Stripe not reached, asking again later: %s", payment.id, error)


def _charge_failed(payment: Payment, *, code: str, message: str | None, now: datetime) -> None:
    booking = payment.booking
    payment.status = PaymentStatus.FAILED
    payment.retry_after = None
    payment.note = f"{OFF_SESSION_NOTE}; not taken: {code}" + (f" ({message})" if message else "")
    if booking.status == BookingStatus.CONFIRMED and booking.owed_minor > 0:
        queue_booking_email(booking, PAY_LINK, booking.contact_email)
    record_audit(
        "booking.balance_charge_failed",
        actor_id=None,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=f"{format_money(payment.amount_minor, payment.currency)}: {code}",
    )
    db.session.commit()
    log.info("Balance charge of %s not taken (%s); link to pay sent", booking.reference, code)


def _overdue(now: datetime) -> list[int]:
    rows = db.session.scalars(
        select(Booking.id)
        .where(Booking.status == BookingStatus.CONFIRMED, Booking.balance_due_at <= now)
        .order_by(Booking.balance_due_at, Booking.id)
    ).all()
    db.session.rollback()
    return list(rows)


def cancel_if_overdue(booking_id: int, *, now: datetime) -> bool:
    """Cancel a booking whose balance is unpaid after the grace period, under its retreat's
    rule: the deposit kept or given back; the rest of what was paid goes back."""
    booking = _locked_booking(booking_id)
    if (
        booking is None
        or not is_overdue(booking, now=now)
        or cancels_at(booking) > now
        or charge_in_flight(booking)
    ):
        db.session.rollback()
        return False
    retreat = booking.retreat
    kept = booking.deposit_minor if retreat.overdue_keeps_deposit else 0
    refund = max(0, booking.kept_minor - (kept or 0))
    days = retreat.balance_grace_days
    try:
        refunds = record_cancellation(
            booking,
            refund_minor=refund,
            refund_reason="overdue",
            email_kind=CANCELLED_OVERDUE,
            actor_id=None,
            audit_detail=f"balance unpaid {days} day(s) after it was due; refund {{refund}}",
            now=now,
        )
        queue_organizer_notice(booking, "organizer_booking_cancelled_overdue")
        db.session.flush()
        refund_ids = [row.id for row in refunds]
        db.session.commit()
    except WRITE_CONFLICTS:
        db.session.rollback()  # paid or changed at this moment: the next round looks again
        return False
    log.info("Cancelled booking %s: balance overdue", booking.reference)
    for refund_id in refund_ids:
        send_refund(refund_id, now=now)
    offer_freed_seats_if_possible(retreat_id=retreat.id, now=now)
    return True


def charge_in_flight(booking: Booking) -> bool:
    """An off-session charge of the saved card Stripe has not answered yet: it is asked again
    whatever the due date, so the booking waits for it before being cancelled, and its due date
    cannot move under it."""
    return any(
        payment.status == PaymentStatus.OPEN and payment.stripe_checkout_session_id is None
        for payment in booking.payments
    )


def _locked_booking(booking_id: int) -> Booking | None:
    return db.session.get(Booking, booking_id, populate_existing=True, with_for_update=True)
