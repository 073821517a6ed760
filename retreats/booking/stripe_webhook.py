"""POST /stripe/webhook: a verified Stripe event is a trigger, and each event id is handled once.

Verified on the raw body and answered 400 when the signature fails; 5xx when an event could not
be applied, so Stripe retries.
"""

from __future__ import annotations

import logging

from flask import jsonify, request
from sqlalchemy.dialects import postgresql, sqlite

from retreats.booking.balance_collection import apply_off_session_report
from retreats.booking.blueprint import blueprint
from retreats.booking.checkout import apply_checkout_session
from retreats.database import is_postgresql, utcnow
from retreats.errors import DomainError
from retreats.extensions import csrf, db
from retreats.gift_vouchers.purchase import apply_gift_voucher_session
from retreats.payments.models import StripeEvent
from retreats.payments.stripe_gateway import (
    InvalidWebhook,
    PaymentGatewayError,
    payment_intent_from_stripe,
    session_from_stripe,
    verify_webhook,
)

log = logging.getLogger(__name__)

CHECKOUT_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.expired",
}
# What became of a balance charged to a saved card (the other PaymentIntents are Checkout's,
# told by the Checkout events).
OFF_SESSION_EVENTS = {"payment_intent.succeeded", "payment_intent.payment_failed"}


def handle_stripe_event(event: dict) -> str:
    """Apply one verified event unless it was applied before; returns what was done."""
    event_id, event_type = event["id"], event["type"]
    if db.session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    event_object = (event.get("data") or {}).get("object") or {}
    if event_type in CHECKOUT_EVENTS:
        # The event carries a snapshot; the services re-check the booking's current state, so an
        # old or out-of-order snapshot cannot undo a newer change.
        # A mismatched payment is refunded and flagged, not raised: retrying cannot fix it.
        session = session_from_stripe(event_object)
        if session.gift_voucher_id is not None:  # a gift voucher's purchase, not a booking's
            outcome = apply_gift_voucher_session(session)
        else:
            outcome = apply_checkout_session(session)
    elif event_type in OFF_SESSION_EVENTS:
        outcome = apply_off_session_report(payment_intent_from_stripe(event_object))
    else:
        outcome = "ignored"
    _record_event(event_id, event_type)
    return outcome


def _record_event(event_id: str, event_type: str) -> None:
    insert = postgresql.insert if is_postgresql() else sqlite.insert
    db.session.execute(
        insert(StripeEvent)
        .values(id=event_id, type=event_type, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    db.session.commit()


@blueprint.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    """Receive one Stripe event; 5xx when it could not be applied, so Stripe retries."""
    try:
        event = verify_webhook(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except InvalidWebhook as error:
        log.warning("Rejected webhook: %s", error)
        return jsonify(error="invalid signature"), 400
    try:
        outcome = handle_stripe_event(event)
    except (DomainError, PaymentGatewayError) as error:
        db.session.rollback()
        log.error("Could not apply event %s: %s", event["id"], error)
        return jsonify(error="could not apply the event; retry later"), 503
    return jsonify(received=True, outcome=outcome)
