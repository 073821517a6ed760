"""Refunds: recorded in the booking's transaction, then sent to Stripe, retried until they land.

A Refund row is written (ledger.py) in the same transaction as the cancellation (or the
unseated payment), so money owed is never forgotten. Sending it carries the row's idempotency
key, so a retry after a timeout, or two workers racing, still pays out once. Only a refund to a
card is ever sent: one of money paid offline is the organizer's to return, and one of money
paid with a gift voucher is back on the voucher the moment it is written (ledger.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from retreats.database import claim_one, utcnow
from retreats.extensions import db
from retreats.payments.models import Refund, RefundStatus
from retreats.payments.stripe_gateway import PaymentGatewayError, refund_payment

log = logging.getLogger(__name__)


# How long a refund being sent is left to the process sending it: longer than the Stripe client
# can take (its timeouts and retries), after which a process that died mid-call is taken over.
SEND_LEASE = timedelta(minutes=10)

# Waiting for Stripe, and to a card: a refund with no PaymentIntent has nothing to send to.
_TO_SEND = (Refund.status == RefundStatus.PENDING, Refund.payment_intent_id.is_not(None))


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=1))


def send_refund(refund_id: int, *, now: datetime | None = None) -> bool:
    """Ask Stripe for one pending refund; True once Stripe has it. Failures are kept for retry."""
    now = now or utcnow()
    refund = _claimed(
        select(Refund).where(
            Refund.id == refund_id,
            *_TO_SEND,
            Refund.retry_after <= now,
        ),
        now,
    )
    return refund is not None and _send(refund, now)


def send_due_refunds(*, now: datetime | None = None, limit: int = 50) -> int:
    """Send pending refunds whose retry time has come; returns how many Stripe accepted."""
    now = now or utcnow()
    sent = 0
    for _ in range(limit):
        refund = _claimed(
            select(Refund)
            .where(*_TO_SEND, Refund.retry_after <= now)
            .order_by(Refund.retry_after, Refund.id)
            .limit(1),
            now,
        )
        if refund is None:
            break
        sent += _send(refund, now)
    return sent


@dataclass(frozen=True)
class ClaimedRefund:
    id: int
    payment_intent_id: str
    amount_minor: int
    idempotency_key: str


def _claimed(statement, now: datetime) -> ClaimedRefund | None:
    """Take one due refund for this process: its retry time moves past SEND_LEASE, so no one
    else takes it meanwhile, and the claim is committed at once: nothing stays locked while
    Stripe is asked (DESIGN rule 12). A process that dies mid-call leaves it to be tried again
    once the lease has run out, with the same idempotency key."""
    refund = claim_one(statement)
    if refund is None:
        db.session.rollback()
        return None
    refund.retry_after = now + SEND_LEASE
    claimed = ClaimedRefund(
        refund.id, refund.payment_intent_id, refund.amount_minor, refund.idempotency_key
    )
    db.session.commit()
    return claimed


def _send(claimed: ClaimedRefund, now: datetime) -> bool:
    try:
        stripe_refund_id = refund_payment(
            payment_intent_id=claimed.payment_intent_id,
            amount_minor=claimed.amount_minor,
            idempotency_key=claimed.idempotency_key,
        )
    except PaymentGatewayError as error:
        _record_failure(claimed.id, error, now)
        return False
    refund = _pending(claimed.id)
    if refund is None:
        return False
    refund.stripe_refund_id = stripe_refund_id
    refund.attempts += 1
    refund.status = RefundStatus.SUCCEEDED
    refund.succeeded_at = now
    refund.last_error = None
    db.session.commit()
    log.info(
        "Refunded %s %s for booking %s", refund.amount_minor, refund.currency, refund.booking_id
    )
    return True


def _record_failure(refund_id: int, error: PaymentGatewayError, now: datetime) -> None:
    refund = _pending(refund_id)
    if refund is None:
        return
    refund.attempts += 1
    refund.last_error = str(error)[:2000]
    if refund.attempts >= current_app.config["REFUND_MAX_ATTEMPTS"]:
        refund.status = RefundStatus.FAILED
        log.error("Refund %s failed for good: %s", refund.id, error)
    else:
        refund.retry_after = now + retry_delay(refund.attempts)
        log.warning("Refund %s failed (attempt %s): %s", refund.id, refund.attempts, error)
    db.session.commit()


def _pending(refund_id: int) -> Refund | None:
    """The refund as it is now, if it still waits for Stripe's answer (else None)."""
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    if refund is None or refund.status != RefundStatus.PENDING:
        db.session.rollback()
        return None
    return refund
