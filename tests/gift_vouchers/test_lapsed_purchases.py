"""A voucher's Checkout that ended without word from Stripe (its webhook lost, its buyer gone
before coming back): the worker's upkeep asks Stripe and settles it. Paid after all: active, the
buyer's receipt and the voucher's email queued. Not paid: unpaid. Stripe out of reach: as it
was, for the next run. The real local Stripe server, its webhooks sent where nothing listens."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from devtools.local_stripe.runner import free_port
from retreats.base.outbox import OutboxEmail
from retreats.booking.upkeep import run_periodic_upkeep
from retreats.database import utcnow
from retreats.extensions import db
from retreats.gift_vouchers.models import GiftVoucherStatus
from retreats.gift_vouchers.purchase import (
    VoucherOrder,
    buy_gift_voucher,
    close_lapsed_purchases,
)
from tests.conftest import local_stripe_for, use_stripe_at
from tests.gift_vouchers.helpers import only_voucher
from tests.journey import pay


@pytest.fixture
def stripe_that_loses_its_webhooks(app, tmp_path):
    """The local Stripe server, its webhooks sent to a port where nothing listens."""
    nowhere = f"http://127.0.0.1:{free_port()}/stripe/webhook"
    with local_stripe_for(app, tmp_path / "local-stripe", webhook_url=nowhere) as stripe_url:
        yield stripe_url


@pytest.fixture
def checkout(app, make_retreat, stripe_that_loses_its_webhooks) -> str:
    """Cleo's voucher for Dora, awaiting payment; the URL of its Checkout."""
    retreat = make_retreat()
    order = VoucherOrder(
        organizer_id=retreat.organizer_id,
        amount_minor=15_000,
        currency="EUR",
        buyer_name="Cleo Buyer",
        buyer_email="cleo@example.org",
        recipient_name="Dora Given",
        recipient_email="dora@example.org",
        message="Happy anniversary.",
        deliver_on=(utcnow() + timedelta(days=7)).date(),
        discreet=False,
    )
    url = buy_gift_voucher(order=order)
    assert url.startswith(f"{stripe_that_loses_its_webhooks}/checkout/pay/cs_")
    return url


def after_checkout_ended(app):
    return utcnow() + timedelta(minutes=app.config["BOOKING_HOLD_MINUTES"], seconds=1)


def queued_emails() -> list[tuple[str, str]]:
    return sorted(db.session.execute(db.select(OutboxEmail.kind, OutboxEmail.to_address)).all())


def test_paid_with_its_webhook_lost_the_voucher_is_made_active_by_the_upkeep(app, checkout):
    assert pay(requests.Session(), checkout).status_code == 303  # the buyer never comes back
    assert only_voucher().status == GiftVoucherStatus.AWAITING_PAYMENT

    run_periodic_upkeep(now=after_checkout_ended(app))

    voucher = only_voucher()
    assert voucher.status == GiftVoucherStatus.ACTIVE
    assert voucher.stripe_payment_intent_id
    assert queued_emails() == [
        ("gift_voucher", "dora@example.org"),
        ("gift_voucher_receipt", "cleo@example.org"),
    ]
    assert close_lapsed_purchases(now=after_checkout_ended(app)) == 0  # settled once


def test_never_paid_it_is_unpaid_and_its_checkout_closed(app, checkout):
    assert close_lapsed_purchases(now=utcnow()) == 0  # its Checkout is still open
    assert only_voucher().status == GiftVoucherStatus.AWAITING_PAYMENT

    assert close_lapsed_purchases(now=after_checkout_ended(app)) == 1

    assert only_voucher().status == GiftVoucherStatus.UNPAID
    assert queued_emails() == []
    # Closed at Stripe: its payment page no longer takes a card.
    assert requests.get(checkout, timeout=10).status_code == 409


def test_with_stripe_out_of_reach_it_stays_for_the_next_run(app, checkout):
    use_stripe_at(app, f"http://127.0.0.1:{free_port()}")

    assert close_lapsed_purchases(now=after_checkout_ended(app)) == 0

    assert only_voucher().status == GiftVoucherStatus.AWAITING_PAYMENT
