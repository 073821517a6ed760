"""Stripe Checkout for bookings: open a session, and apply what Stripe says about it.

The webhook, the success page, the cancel link and the expiry sweep all end in
apply_checkout_session(), which calls the same idempotent booking services.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select

from retreats.base.locking import retried_after_write_conflicts
from retreats.booking import services as booking_services
from retreats.booking.balance import apply_balance_session, balance_payment_of
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.notices import queue_booking_email
from retreats.booking.payment_mismatch import handle_payment_mismatch, was_flagged
from retreats.booking.pricing import booking_quote
from retreats.booking.services import Payment, PaymentMismatch
from retreats.booking.tokens import booking_token
from retreats.database import end_transaction, utcnow
from retreats.errors import PaymentProviderError
from retreats.extensions import db
from retreats.formatting import format_date, format_money
from retreats.links import public_url
from retreats.listings.models import RetreatStatus
from retreats.payments import stripe_gateway
from retreats.payments.ledger import record_refunds
from retreats.payments.models import Payment as LedgerPayment
from retreats.payments.models import PaymentKind, PaymentStatus
from retreats.payments.refunds import send_refund
from retreats.payments.stripe_gateway import CheckoutLine, CheckoutSession, PaymentGatewayError

log = logging.getLogger(__name__)


def open_checkout_session(*, booking: Booking) -> str:
    """Start paying for a held booking; returns the Checkout URL. Releases the hold on failure."""
    booking_id, reference = booking.id, booking.reference
    amount_minor, currency = booking.card_due_at_booking_minor, booking.currency
    kind = PaymentKind.FULL if booking.deposit_minor is None else PaymentKind.DEPOSIT
    token = booking_token(reference)
    success_url = (
        public_url("booking.manage", reference=reference, t=token)
        + "&session_id={CHECKOUT_SESSION_ID}"
    )
    checkout = {
        "booking_id": booking_id,
        "booking_reference": reference,
        "lines": checkout_lines(booking),
        "currency": booking.currency,
        "customer_email": booking.contact_email,
        "success_url": success_url,
        "cancel_url": public_url("booking.abandon", reference=reference, t=token),
        "expires_at": booking.hold_expires_at,
        "idempotency_key": f"checkout:{reference}",
        "save_card_for_later": booking.balance_by_saved_card,
    }
    end_transaction()
    try:
        session = stripe_gateway.create_checkout_session(**checkout)
    except PaymentGatewayError as error:
        log.error("Could not open Checkout for %s: %s", reference, error)
        booking_services.discard_hold(booking_id=booking_id)
        raise PaymentProviderError(
            "We could not start the payment just now, so your place was released and nothing "
            "was charged. Please try again."
        ) from error
    booking_services.record_checkout_session(
        booking_id=booking_id,
        checkout_session_id=session.id,
        amount_minor=amount_minor,
        currency=currency,
        kind=kind,
    )
    return session.url


def checkout_lines(booking: Booking) -> list[CheckoutLine]:
    """What Checkout shows and charges: the booking's priced lines, the first naming the retreat
    too (with a discount code or a gift voucher: one line for what the card pays, naming every
    part); or, paying a deposit, one line saying what it is a deposit for and when the balance
    is due, less what a gift voucher pays (Checkout charges the sum of its lines)."""
    if booking.deposit_minor is not None:
        return [deposit_line(booking)]
    quote = booking_quote(booking)
    vouchers = _vouchers_named(booking)
    if vouchers or any(line.unit_amount_minor < 0 for line in quote.lines):
        # A discount's or a voucher's part: Checkout takes no negative line, so one line says it.
        parts = ", ".join([line.name for line in quote.lines] + vouchers)
        name = f"{booking.retreat.title}: {parts}"
        amount = booking.card_due_at_booking_minor
        return [CheckoutLine(name=name, unit_amount_minor=amount, quantity=1)]
    lines = [
        CheckoutLine(
            name=line.name, unit_amount_minor=line.unit_amount_minor, quantity=line.quantity
        )
        for line in quote.lines
    ]
    lines[0] = replace(lines[0], name=f"{booking.retreat.title}: {lines[0].name}")
    return lines


def deposit_line(booking: Booking) -> CheckoutLine:
    retreat = booking.retreat
    due_on = format_date(booking.balance_due_at.astimezone(retreat.zone))
    balance = format_money(booking.amount_minor - booking.deposit_minor, booking.currency)
    total = format_money(booking.amount_minor, booking.currency)
    vouchers = "".join(f", less {name}" for name in _vouchers_named(booking))
    return CheckoutLine(
        name=(
            f"{retreat.title}: deposit{vouchers} ({booking.ticket_type.name}; total {total}, "
            f"balance of {balance} due by {due_on})"
        ),
        unit_amount_minor=booking.card_due_at_booking_minor,
    )


def _vouchers_named(booking: Booking) -> list[str]:
    """Each voucher paying part of the booking, named: "Gift voucher GV-…7K2Q (−€120.00)"."""
    return [
        f"Gift voucher {name} ({format_money(-payment.amount_minor, booking.currency)})"
        for payment, name in booking.voucher_payments
    ]


def apply_checkout_session(session: CheckoutSession, *, now: datetime | None = None) -> str:
    """Bring the booking in line with its Checkout Session: paid → confirm, expired → release.

    Returns what was done: "applied", "no booking", or "payment mismatch" (not confirmed,
    refunded and flagged to the organizer).
    """
    if balance_payment_of(session) is not None:
        return apply_balance_session(session, now=now)
    booking = _booking_for_session(session)
    if booking is None:
        log.warning("Checkout Session %s matches no booking", session.id)
        return "no booking"
    if session.is_paid:
        payment = Payment(
            checkout_session_id=session.id,
            payment_intent_id=session.payment_intent_id,
            amount_minor=session.amount_total,
            currency=session.currency,
        )
        booking_id = booking.id
        if was_flagged(booking_id):
            return "payment mismatch"  # that money is refunded: nothing can confirm it now
        try:
            booking = booking_services.confirm_booking(
                booking_id=booking_id, payment=payment, now=now
            )
        except PaymentMismatch:
            handle_payment_mismatch(booking_id=booking_id, payment=payment, now=now)
            return "payment mismatch"
        if booking.paid_without_a_seat:
            refund_unseated_payment(booking=booking, payment=payment, now=now)
    elif session.status == "expired":
        booking_services.expire_booking(booking_id=booking.id, now=now)
    return "applied"


def refund_unseated_payment(*, booking: Booking, payment: Payment, now: datetime | None = None):
    """A payment arrived when no seat was left (or the retreat was cancelled meanwhile): refund
    it in full and tell the person kindly."""
    now = now or utcnow()
    if not payment.payment_intent_id:
        log.error("Cannot refund %s: the payment has no PaymentIntent", booking.reference)
        return
    # The webhook and the success page (in several tabs) may all get here at once: whoever loses
    # the race reads again and finds the refund recorded, and shows that.
    refund_ids = retried_after_write_conflicts(lambda: _record_unseated_refund(booking.id, now))
    if refund_ids is None:
        return
    log.warning("Late payment for %s found no seat: refunding in full", booking.reference)
    for refund_id in refund_ids:
        send_refund(refund_id, now=now)


def _record_unseated_refund(booking_id: int, now: datetime) -> list[int] | None:
    """The refunds of everything kept and the kind email, committed; None if refunded already."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking.kept_minor <= 0:
        db.session.rollback()
        return None
    refunds = record_refunds(
        booking, amount_minor=booking.kept_minor, reason="unseated_payment", now=now
    )
    # A retreat cancelled meanwhile gets the cancellation's mail, not "the last places were
    # taken, join the waitlist"; its key also keeps it from doubling the retreat-wide one.
    cancelled = booking.retreat.status == RetreatStatus.CANCELLED
    kind = "retreat_cancelled" if cancelled else "unseated_payment_refunded"
    queue_booking_email(booking, kind, booking.contact_email)
    db.session.flush()
    refund_ids = [refund.id for refund in refunds]
    db.session.commit()
    return refund_ids


def _booking_for_session(session: CheckoutSession) -> Booking | None:
    if session.booking_id is not None:
        booking = db.session.get(Booking, session.booking_id)
        if booking is not None and booking.reference == session.client_reference_id:
            return booking
    return db.session.execute(
        select(Booking)
        .join(LedgerPayment, LedgerPayment.booking_id == Booking.id)
        .where(LedgerPayment.stripe_checkout_session_id == session.id)
    ).scalar_one_or_none()


def abandon_checkout(*, booking: Booking) -> Booking:
    """The visitor came back from Checkout without paying: close the session, free the seats."""
    if booking.status != BookingStatus.PENDING:
        return booking
    session_id = booking.checkout_session_id
    end_transaction()
    if session_id:
        session = stripe_gateway.expire_checkout_session(session_id)
        if session.is_paid:  # paid in another tab a moment ago: keep it
            apply_checkout_session(session)
            return booking
    booking_services.cancel_unpaid_booking(booking_id=booking.id)
    return booking


def sync_from_success_page(*, booking: Booking, session_id: str) -> None:
    """The success page re-fetches the session from Stripe rather than trust the browser."""
    balance_sessions = {
        payment.stripe_checkout_session_id
        for payment in booking.payments
        if payment.kind == PaymentKind.BALANCE and payment.status == PaymentStatus.OPEN
    }
    if session_id in balance_sessions:
        end_transaction()
        apply_checkout_session(stripe_gateway.retrieve_checkout_session(session_id))
        return
    if booking.status != BookingStatus.PENDING and booking.status != BookingStatus.EXPIRED:
        return
    if session_id != booking.checkout_session_id:
        return
    end_transaction()
    apply_checkout_session(stripe_gateway.retrieve_checkout_session(session_id))


def expire_lapsed_holds(*, now: datetime | None = None) -> int:
    """Expire pending bookings whose hold ran out, closing their Checkout Sessions at Stripe."""
    now = now or utcnow()
    expired = 0
    for booking in booking_services.lapsed_pending_bookings(now=now):
        try:
            expired += close_lapsed_hold(booking, now=now)
        except PaymentGatewayError as error:
            log.error("Could not expire %s at Stripe: %s", booking.reference, error)
    return expired


def close_lapsed_hold(booking: Booking, *, now: datetime) -> bool:
    """Close a lapsed hold's Checkout Session, then expire the booking; True if it expired.

    A session paid a moment before it closed is applied instead (confirmed, or refunded when no
    seat is left). Raises PaymentGatewayError when Stripe cannot be reached: the next sweep
    tries again.
    """
    booking_id, session_id = booking.id, booking.checkout_session_id
    end_transaction()
    if session_id:
        session = stripe_gateway.expire_checkout_session(session_id)
        if session.is_paid:
            apply_checkout_session(session, now=now)
            return False
    return booking_services.expire_booking(booking_id=booking_id, now=now)
