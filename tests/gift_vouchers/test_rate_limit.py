"""The purchase form's POST is rate-limited per address: each one opens a Checkout Session."""

from __future__ import annotations

import pytest

from retreats.gift_vouchers.models import GiftVoucher


@pytest.fixture
def app_config(app_config) -> dict:
    # The limiter counts every request the view receives: no CSRF token needed here.
    return app_config | {"RATE_LIMITS_ENABLED": True, "WTF_CSRF_ENABLED": False}


def test_purchases_are_refused_after_10_a_minute_and_nothing_is_written(client, db, make_retreat):
    make_retreat(slug="sintra")
    bad = {"amount": "nothing"}  # refused by the form: nothing reaches Stripe
    for _ in range(5):
        assert client.post("/retreats/sintra/gift", data=bad).status_code == 422
    for _ in range(5):
        assert client.post("/gift", data=bad).status_code == 422
    refused = client.post("/gift", data=bad)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert db.session.query(GiftVoucher).count() == 0
    # The form itself still opens, and another address may still buy.
    assert client.get("/gift").status_code == 200
    other = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    assert client.post("/gift", data=bad, **other).status_code == 422
