"""POST /stripe/webhook: verified on the raw body, answered 400 when the signature fails."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from ..errors import DomainError
from ..extensions import csrf, db
from .stripe_gateway import InvalidWebhook, PaymentGatewayError, verify_webhook
from .webhook import handle_stripe_event

log = logging.getLogger(__name__)

blueprint = Blueprint("payments", __name__)


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
