"""Helpers of the payment tests: Stripe's webhook events, signed as Stripe signs them, and a
visitor who books, pays and cancels from the manage page."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

from retreats.booking.models import Booking
from tests.conftest import TEST_WEBHOOK_SECRET, csrf_token_from
from tests.journey import book_to_checkout, pay_and_land


def sign(payload: bytes, *, secret: str = TEST_WEBHOOK_SECRET, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def checkout_event(booking: Booking, *, event_id: str, kind: str = "completed", **changes) -> bytes:
    session = {
        "id": f"cs_test_{booking.reference}",
        "object": "checkout.session",
        "status": "complete" if kind == "completed" else "expired",
        "payment_status": "paid" if kind == "completed" else "unpaid",
        "amount_total": booking.amount_minor,
        "currency": booking.currency.lower(),
        "payment_intent": "pi_test_1" if kind == "completed" else None,
        "client_reference_id": booking.reference,
        "metadata": {"booking_id": str(booking.id), "booking_reference": booking.reference},
    }
    return checkout_session_event({**session, **changes}, event_id=event_id, kind=kind)


def checkout_session_event(session: dict, *, event_id: str, kind: str) -> bytes:
    """The body of a checkout.session.<kind> event about `session`, as Stripe sends it."""
    event = {
        "id": event_id,
        "object": "event",
        "type": f"checkout.session.{kind}",
        "data": {"object": session},
    }
    return json.dumps(event).encode()


def post(client, payload: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/stripe/webhook", data=payload, headers=headers)


def confirmed_booking_page(browser, site, retreat):
    """Book a couple ticket, pay, and return the manage page the visitor lands on."""
    landing = pay_and_land(browser, book_to_checkout(browser, site, retreat))
    assert "Your booking is confirmed" in landing.text
    return landing


def cancel_from_page(browser, page):
    action = re.search(r'<form method="post" action="([^"]+/cancel[^"]*)"', page.text).group(1)
    return browser.post(
        page.url.split("/bookings/")[0] + action.replace("&amp;", "&"),
        data={"csrf_token": csrf_token_from(page.text), "confirm": "y"},
    )
