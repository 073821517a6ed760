"""Helpers of the gift voucher tests: the form as a buyer fills it, and Stripe's events about a
voucher's Checkout Session, signed as Stripe signs them."""

from __future__ import annotations

from datetime import date

from retreats.extensions import db
from retreats.gift_vouchers.models import GiftVoucher
from tests.conftest import csrf_token_from
from tests.journey import hidden_value
from tests.payments.helpers import checkout_session_event


def filled_voucher_form(page_html: str, *, day: date, **changes) -> dict:
    """The form as Cleo fills it for Dora: €150, delivered on `day`; `changes` replace or add
    fields (None leaves a field out)."""
    data = {
        "csrf_token": csrf_token_from(page_html),
        "submission_key": hidden_value(page_html, "submission_key"),
        "amount": "150",
        "currency": "EUR",
        "buyer_name": "Cleo Buyer",
        "buyer_email": "cleo@example.org",
        "recipient_name": "Dora Given",
        "recipient_email": "dora@example.org",
        "message": "Happy anniversary, love.",
        "deliver_on": day.isoformat(),
    }
    data |= changes
    return {name: value for name, value in data.items() if value is not None}


def only_voucher() -> GiftVoucher:
    db.session.expire_all()
    return db.session.execute(db.select(GiftVoucher)).scalar_one()


def voucher_checkout_event(
    voucher: GiftVoucher, *, event_id: str, kind: str = "completed", **changes
) -> bytes:
    """A checkout.session.<kind> event about the voucher's own session."""
    session = {
        "id": voucher.stripe_checkout_session_id or f"cs_test_{voucher.reference}",
        "object": "checkout.session",
        "status": "complete" if kind == "completed" else "expired",
        "payment_status": "paid" if kind == "completed" else "unpaid",
        "amount_total": voucher.amount_minor,
        "currency": voucher.currency.lower(),
        "payment_intent": "pi_test_voucher" if kind == "completed" else None,
        "client_reference_id": voucher.reference,
        "metadata": {
            "gift_voucher_id": str(voucher.id),
            "gift_voucher_reference": voucher.reference,
        },
    }
    return checkout_session_event({**session, **changes}, event_id=event_id, kind=kind)
