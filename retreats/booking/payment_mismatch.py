"""A paid Checkout Session whose amount or currency is not the booking's: never a seat.

No seat is confirmed, so keeping the money would be keeping it for nothing: it is refunded in
full (what was received, in the currency it was received in), the hold is released, and the
organizer is told (audit log, the booking's page, an email) so they can look at it in Stripe.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from retreats.base.audit import record_audit
from retreats.base.locking import retried_after_write_conflicts
from retreats.booking import services as booking_services
from retreats.booking.models import Booking
from retreats.booking.notices import queue_organizer_notice
from retreats.booking.services import Payment
from retreats.database import utcnow
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.payments.ledger import record_payment_received, record_payment_refund
from retreats.payments.models import Refund
from retreats.payments.refunds import send_refund

log = logging.getLogger(__name__)

REFUND_REASON = "payment_mismatch"
ORGANIZER_EMAIL_KIND = "organizer_payment_mismatch"
AUDIT_ACTION = "booking.payment_mismatch"


def _received(payment: Payment) -> str:
    if payment.amount_minor is None or not payment.currency:
        return f"{payment.amount_minor} {payment.currency}"
    return format_money(payment.amount_minor, payment.currency.upper())


def was_flagged(booking_id: int) -> bool:
    """A mismatched payment was refunded for this booking: it is never confirmed afterwards.

    The refund row is the state (the organizer's booking page and email read it too); the audit
    entry only reports it.
    """
    return (
        db.session.scalar(
            select(Refund.id)
            .where(Refund.booking_id == booking_id, Refund.reason == REFUND_REASON)
            .limit(1)
        )
        is not None
    )


def handle_payment_mismatch(
    *, booking_id: int, payment: Payment, now: datetime | None = None
) -> None:
    """Refund a mismatched payment in full, flag it to the organizer, release the seats."""
    now = now or utcnow()
    # The webhook, its redelivery and the success page may all get here at once: whoever loses
    # the race reads again, finds it flagged, and answers as if it had been first.
    refund_id = retried_after_write_conflicts(
        lambda: _flag_once(booking_id=booking_id, payment=payment, now=now)
    )
    if refund_id is not None:
        send_refund(refund_id, now=now)  # kept for the retry sweep if Stripe fails now
    booking_services.expire_booking(booking_id=booking_id, now=now)


def _flag_once(*, booking_id: int, payment: Payment, now: datetime) -> int | None:
    """Refund row, audit entry and organizer email in one transaction; the refund's id (None
    when there is nothing to refund by, or it was flagged already)."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or was_flagged(booking_id):
        db.session.rollback()
        return None
    expected = format_money(booking.card_due_at_booking_minor, booking.currency)
    refundable = bool(payment.payment_intent_id) and (payment.amount_minor or 0) > 0
    refund = None
    if refundable:
        # The money that came is on the ledger as it came, and goes back from there.
        received = record_payment_received(
            booking,
            checkout_session_id=payment.checkout_session_id,
            payment_intent_id=payment.payment_intent_id,
            amount_minor=payment.amount_minor,
            currency=(payment.currency or booking.currency).upper()[:3],
            now=now,
        )
        refund = record_payment_refund(
            received, amount_minor=payment.amount_minor, reason=REFUND_REASON, now=now
        )
    outcome = "refunded in full" if refundable else "not refunded (nothing to refund by)"
    record_audit(
        AUDIT_ACTION,
        actor_id=None,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=(
            f"payment amount did not match: received {_received(payment)}, expected {expected}; "
            f"not confirmed, {outcome}; check in Stripe ({payment.checkout_session_id})"
        ),
    )
    queue_organizer_notice(booking, ORGANIZER_EMAIL_KIND)
    db.session.flush()
    refund_id = refund.id if refund is not None else None
    db.session.commit()
    log.error(
        "Payment for %s did not match (received %s, expected %s): %s",
        booking.reference,
        _received(payment),
        expected,
        outcome,
    )
    return refund_id
