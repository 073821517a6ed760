"""Stripe webhook events: a verified event is a trigger, and each event id is handled once."""

from __future__ import annotations

import logging

from sqlalchemy.dialects import postgresql, sqlite

from ..database import is_postgresql, utcnow
from ..extensions import db
from .checkout import apply_checkout_session
from .models import StripeEvent
from .stripe_gateway import session_from_stripe

log = logging.getLogger(__name__)

CHECKOUT_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.expired",
}


def handle_stripe_event(event: dict) -> str:
    """Apply one verified event unless it was applied before; returns what was done."""
    event_id, event_type = event["id"], event["type"]
    if db.session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    if event_type in CHECKOUT_EVENTS:
        session_data = (event.get("data") or {}).get("object") or {}
        # The event carries a snapshot; the services re-check the booking's current state, so an
        # old or out-of-order snapshot cannot undo a newer change.
        # A mismatched payment is refunded and flagged, not raised: retrying cannot fix it.
        outcome = apply_checkout_session(session_from_stripe(session_data))
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
