"""The Stripe gateway against the local Stripe server: what it sends stays in Stripe's limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from retreats.database import utcnow
from retreats.payments import stripe_gateway

NAME_LIMIT = 5000  # Stripe's limit on line_items[][price_data][product_data][name]


@pytest.mark.parametrize("database_backend", ["sqlite"])  # no database part in this
def test_an_item_name_longer_than_stripe_takes_is_shortened_not_refused(app, live_site):
    name = "Heart Retreat, Sintra: Couple " * 200  # 6,000 characters
    session = stripe_gateway.create_checkout_session(
        booking_id=7,
        booking_reference="RB-LONG01",
        lines=[stripe_gateway.CheckoutLine(name=name, unit_amount_minor=25_000)],
        currency="EUR",
        customer_email="ada@example.org",
        success_url=f"{live_site.url}/bookings/RB-LONG01?t=x",
        cancel_url=f"{live_site.url}/bookings/RB-LONG01/abandon?t=x",
        expires_at=utcnow() + timedelta(minutes=45),
        idempotency_key="checkout:RB-LONG01",
    )

    answer = requests.get(
        f"{live_site.stripe_url}/v1/checkout/sessions/{session.id}",
        params={"expand[]": "line_items"},
        headers={"Authorization": f"Bearer {app.config['STRIPE_SECRET_KEY']}"},
        timeout=10,
    )
    [item] = answer.json()["line_items"]["data"]
    assert len(item["description"]) == NAME_LIMIT
    assert item["description"].endswith("…")
    assert name.startswith(item["description"][:-1].rstrip())
