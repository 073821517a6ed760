# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""What Stripe's PaymentIntents show and localstripe's do not: kept on our side, exported.

localstripe's PaymentIntent has no ``setup_future_usage`` or ``amount_received`` and only a
narrow ``last_payment_error``. Both are kept here as private attributes of its objects (so they are
saved with the store, and left out of localstripe's own export) and put into every export of a
PaymentIntent once ``install_payment_intent_fields`` has run: API answers, ``expand[]`` and
webhook events alike.
"""

from typing import Any

from localstripe.resources import PaymentIntent, PaymentMethod

# Looked up on the class, so this is localstripe's StripeObject._export, before ours replaces it.
_localstripe_export = PaymentIntent._export


def set_setup_future_usage(intent: PaymentIntent, usage: str | None) -> None:
    """Remember ``setup_future_usage`` ("off_session", "on_session" or None) on the intent."""
    intent._setup_future_usage = usage


def record_payment_error(intent: PaymentIntent, error: dict[str, Any]) -> None:
    """The attempt failed: Stripe sets ``last_payment_error`` and takes the payment method off
    the intent (it stays in ``last_payment_error.payment_method``), so the status is
    ``requires_payment_method``."""
    intent._payment_error = dict(error)
    intent.payment_method = None


def mark_set_up_for_off_session(payment_method: PaymentMethod) -> None:
    """The card was saved with ``setup_future_usage=off_session`` (its customer agreed)."""
    payment_method._set_up_for_off_session = True


def is_set_up_for_off_session(payment_method: PaymentMethod) -> bool:
    return getattr(payment_method, "_set_up_for_off_session", False)


def export_payment_intent(intent: PaymentIntent, expand: Any = None) -> dict[str, Any]:
    """localstripe's export of a PaymentIntent, with the fields kept here."""
    exported = _localstripe_export(intent, expand=expand)
    exported["setup_future_usage"] = getattr(intent, "_setup_future_usage", None)
    # Stripe: what was captured, so the whole amount once the intent succeeded, else 0.
    exported["amount_received"] = intent.amount if intent.status == "succeeded" else 0
    payment_error = getattr(intent, "_payment_error", None)
    if payment_error is not None:
        exported["last_payment_error"] = dict(payment_error)
    return exported


def install_payment_intent_fields() -> None:
    PaymentIntent._export = export_payment_intent
