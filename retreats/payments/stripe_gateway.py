"""The only module that imports stripe. Everything else gets plain data from here.

It talks to real Stripe (test mode) when STRIPE_SECRET_KEY is set and to the local stand-in
(devtools/local_stripe) otherwise; the only differences are the API base URL and the webhook secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
import stripe
from flask import current_app

# Stripe's own default: an event signed longer ago than this is a replay and is refused.
SIGNATURE_TOLERANCE_SECONDS = 300

# Stripe refuses a Checkout line item whose product_data[name] is longer than this (its API
# reference, docs.stripe.com/api/checkout/sessions/create); a longer name is shortened instead.
# The other strings sent (a booking reference, ids, an email address) are far within theirs.
PRODUCT_NAME_MAX_LENGTH = 5000
CONNECT_TIMEOUT_SECONDS = 5


class PaymentGatewayError(Exception):
    """Stripe could not be reached or refused the request."""


class InvalidWebhook(Exception):
    """The webhook's signature is missing, wrong or too old."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str  # open, complete or expired
    payment_status: str  # unpaid, paid or no_payment_required
    amount_total: int | None
    currency: str | None
    payment_intent_id: str | None
    booking_id: int | None
    client_reference_id: str | None
    # Set on the session that pays for a gift voucher (not a booking).
    gift_voucher_id: int | None = None

    @property
    def is_paid(self) -> bool:
        return self.status == "complete" and self.payment_status == "paid"


@dataclass(frozen=True)
class CheckoutLine:
    """One line of what Checkout shows and charges: `quantity` × `unit_amount_minor`."""

    name: str
    unit_amount_minor: int
    quantity: int = 1


def _client() -> stripe.StripeClient:
    """One StripeClient per app, built from its settings."""
    client = current_app.extensions.get("stripe_client")
    if client is None:
        api_base = current_app.config.get("STRIPE_API_BASE")
        client = stripe.StripeClient(
            current_app.config["STRIPE_SECRET_KEY"],
            base_addresses={"api": api_base} if api_base else None,
            # Safe to retry: every POST carries an idempotency key.
            max_network_retries=current_app.config["STRIPE_MAX_NETWORK_RETRIES"],
            http_client=_http_client(
                api_base or stripe.DEFAULT_API_BASE,
                timeout_seconds=current_app.config["STRIPE_TIMEOUT_SECONDS"],
            ),
        )
        current_app.extensions["stripe_client"] = client
    return client


def _http_client(api_base: str, *, timeout_seconds: float) -> stripe.RequestsClient:
    """Keep-alive connections to Stripe, with the proxy settings read once.

    By default requests reads the proxy variables (HTTPS_PROXY, NO_PROXY …) of the environment
    again on every call, which costs a booking more CPU than anything else in the call; they are
    read here, once per process. The session is shared by the process's threads (its connection
    pool is thread-safe, and Stripe's calls keep no cookies).
    """
    session = requests.Session()
    session.trust_env = False
    proxies = requests.utils.get_environ_proxies(api_base)
    return stripe.RequestsClient(
        timeout=(CONNECT_TIMEOUT_SECONDS, timeout_seconds), session=session, proxy=proxies or None
    )


def session_from_stripe(data: dict) -> CheckoutSession:
    """A Checkout Session as Stripe sends it (API or webhook) → CheckoutSession."""
    payment_intent = data.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    metadata = data.get("metadata") or {}
    return CheckoutSession(
        id=data["id"],
        url=data.get("url"),
        status=data.get("status") or "open",
        payment_status=data.get("payment_status") or "unpaid",
        amount_total=data.get("amount_total"),
        currency=(data.get("currency") or "").upper() or None,
        payment_intent_id=payment_intent,
        booking_id=_metadata_id(metadata.get("booking_id")),
        client_reference_id=data.get("client_reference_id"),
        gift_voucher_id=_metadata_id(metadata.get("gift_voucher_id")),
    )


def _metadata_id(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@dataclass(frozen=True)
class PaymentIntentReport:
    """A PaymentIntent as a webhook event reports it: what became of a charge."""

    id: str
    status: str
    amount_received: int
    currency: str | None
    metadata: dict[str, str]
    error_code: str | None
    error_message: str | None


def payment_intent_from_stripe(data: dict) -> PaymentIntentReport:
    """A PaymentIntent as Stripe sends it in an event → PaymentIntentReport."""
    error = data.get("last_payment_error") or {}
    return PaymentIntentReport(
        id=data["id"],
        status=data.get("status") or "",
        amount_received=int(data.get("amount_received") or 0),
        currency=(data.get("currency") or "").upper() or None,
        metadata={str(key): str(value) for key, value in (data.get("metadata") or {}).items()},
        error_code=error.get("code"),
        error_message=error.get("message"),
    )


def _as_dict(stripe_object) -> dict:
    return stripe_object.to_dict() if hasattr(stripe_object, "to_dict") else dict(stripe_object)


def create_checkout_session(
    *,
    booking_id: int,
    booking_reference: str,
    lines: list[CheckoutLine],
    currency: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
    idempotency_key: str,
    save_card_for_later: bool = False,
) -> CheckoutSession:
    """Open a Checkout Session in payment mode for one booking, one line item per part. With
    `save_card_for_later` (the payer agreed), Stripe keeps the card on a new Customer so that
    a later amount can be charged off-session (charge_saved_card)."""
    params = {
        "mode": "payment",
        "line_items": _line_items(lines, currency),
        "client_reference_id": booking_reference,
        "customer_email": customer_email,
        "metadata": {"booking_id": str(booking_id), "booking_reference": booking_reference},
        "payment_intent_data": {"metadata": {"booking_id": str(booking_id)}},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.astimezone(UTC).timestamp()),
    }
    if save_card_for_later:
        params["customer_creation"] = "always"
        params["payment_intent_data"]["setup_future_usage"] = "off_session"
    return _open_session(params, idempotency_key)


def create_gift_voucher_checkout_session(
    *,
    gift_voucher_id: int,
    reference: str,
    line: CheckoutLine,
    currency: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime,
    idempotency_key: str,
) -> CheckoutSession:
    """Open a Checkout Session in payment mode for one gift voucher; its metadata names the
    voucher, so the webhook tells it from a booking's."""
    params = {
        "mode": "payment",
        "line_items": _line_items([line], currency),
        "client_reference_id": reference,
        "customer_email": customer_email,
        "metadata": {"gift_voucher_id": str(gift_voucher_id), "gift_voucher_reference": reference},
        "payment_intent_data": {"metadata": {"gift_voucher_id": str(gift_voucher_id)}},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.astimezone(UTC).timestamp()),
    }
    return _open_session(params, idempotency_key)


def _line_items(lines: list[CheckoutLine], currency: str) -> list[dict]:
    return [
        {
            "quantity": line.quantity,
            "price_data": {
                "currency": currency.lower(),
                "unit_amount": line.unit_amount_minor,
                "product_data": {"name": _product_name(line.name)},
            },
        }
        for line in lines
    ]


def _open_session(params: dict, idempotency_key: str) -> CheckoutSession:
    try:
        session = _client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.StripeError as error:
        raise PaymentGatewayError(str(error.user_message or error)) from error
    return session_from_stripe(_as_dict(session))


def _product_name(name: str) -> str:
    """The line item's name as Stripe takes it: cut to its limit, with an ellipsis if cut."""
    if len(name) <= PRODUCT_NAME_MAX_LENGTH:
        return name
    return name[: PRODUCT_NAME_MAX_LENGTH - 1] + "…"


def retrieve_checkout_session(session_id: str) -> CheckoutSession:
    """Fetch a Checkout Session afresh from Stripe (the truth about whether it is paid)."""
    try:
        session = _client().v1.checkout.sessions.retrieve(
            session_id, params={"expand": ["payment_intent"]}
        )
    except stripe.StripeError as error:
        raise PaymentGatewayError(str(error.user_message or error)) from error
    return session_from_stripe(_as_dict(session))


def expire_checkout_session(session_id: str) -> CheckoutSession:
    """Close an open Checkout Session so it can no longer be paid; returns its current state."""
    client = _client()
    try:
        session = client.v1.checkout.sessions.expire(
            session_id, options={"idempotency_key": f"expire:{session_id}"}
        )
    except stripe.InvalidRequestError:
        # Already complete or expired: Stripe refuses, so report what it is now.
        return retrieve_checkout_session(session_id)
    except stripe.StripeError as error:
        raise PaymentGatewayError(str(error.user_message or error)) from error
    return session_from_stripe(_as_dict(session))


def refund_payment(
    *, payment_intent_id: str, amount_minor: int | None, idempotency_key: str
) -> str:
    """Refund all (amount_minor None) or part of a payment; returns the refund id."""
    params: dict = {"payment_intent": payment_intent_id}
    if amount_minor is not None:
        params["amount"] = amount_minor
    try:
        refund = _client().v1.refunds.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.StripeError as error:
        raise PaymentGatewayError(str(error.user_message or error)) from error
    return refund.id


@dataclass(frozen=True)
class SavedCard:
    """A card Stripe keeps on a Customer for charges made while its owner is away."""

    customer_id: str
    payment_method_id: str


def saved_card_of_payment(payment_intent_id: str) -> SavedCard | None:
    """The card a payment saved for later (None: it saved none)."""
    try:
        intent = _as_dict(_client().v1.payment_intents.retrieve(payment_intent_id))
    except stripe.StripeError as error:
        raise PaymentGatewayError(str(error.user_message or error)) from error
    customer, method = intent.get("customer"), intent.get("payment_method")
    customer = customer.get("id") if isinstance(customer, dict) else customer
    method = method.get("id") if isinstance(method, dict) else method
    if intent.get("setup_future_usage") != "off_session" or not customer or not method:
        return None
    return SavedCard(customer_id=customer, payment_method_id=method)


@dataclass(frozen=True)
class OffSessionCharge:
    """What became of charging a saved card: `succeeded`, or refused with Stripe's code
    (`card_declined`, `authentication_required` …) and a message fit for its owner."""

    payment_intent_id: str | None
    succeeded: bool
    code: str | None = None
    message: str | None = None


def charge_saved_card(
    *,
    card: SavedCard,
    amount_minor: int,
    currency: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> OffSessionCharge:
    """Charge a saved card with its owner away. A refusal of the card is an answer
    (OffSessionCharge); Stripe out of reach is PaymentGatewayError, to be asked again with the
    same key, which never charges twice."""
    params = {
        "amount": amount_minor,
        "currency": currency.lower(),
        "customer": card.customer_id,
        "payment_method": card.payment_method_id,
        "off_session": True,
        "confirm": True,
        "metadata": metadata,
    }
    try:
        intent = _client().v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.CardError as error:
        refused = error.error.payment_intent if error.error else None
        return OffSessionCharge(
            payment_intent_id=refused.id if refused else None,
            succeeded=False,
            code=error.code,
            message=str(error.user_message or "The card was declined."),
        )
    except stripe.StripeError as error:
        raise PaymentGatewayError(str(error.user_message or error)) from error
    if intent.status != "succeeded":
        return OffSessionCharge(
            payment_intent_id=intent.id, succeeded=False, code=intent.status, message=None
        )
    return OffSessionCharge(payment_intent_id=intent.id, succeeded=True)


def verify_webhook(payload: bytes, signature_header: str | None) -> dict:
    """Check the Stripe-Signature of a raw webhook body; returns the event as a plain dict."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not signature_header or not secret:
        raise InvalidWebhook("missing signature")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature_header, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as error:
        raise InvalidWebhook(str(error)) from error
    if not isinstance(event, dict) or "id" not in event or "type" not in event:
        raise InvalidWebhook("not an event")
    return event
