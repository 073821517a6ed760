# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""The Checkout Session object, kept in localstripe's store so it persists with it."""

import time
from typing import Any

from localstripe.errors import UserError
from localstripe.resources import Customer, Event, PaymentIntent, StripeObject, random_id, store
from localstripe.webhooks import schedule_webhook

from .card_saving import NO_CARD_SAVING, CardSaving
from .params import LineItem, SessionParams, invalid_request, parse_expand

# Where the hosted pay page is served; set once at start-up (see server.configure_app).
pay_page_base_url = "http://127.0.0.1:8420"

EXPANDABLE = {"payment_intent", "line_items", "customer"}


class CheckoutSession(StripeObject):
    """A Checkout Session in ``payment`` mode, shaped like Stripe's."""

    object = "checkout.session"
    _id_prefix = "cs_test_"
    # Sessions saved by an earlier version of the stand-in have none of their own.
    _card_saving: CardSaving = NO_CARD_SAVING

    def __init__(self, params: SessionParams, card_saving: CardSaving = NO_CARD_SAVING):
        super().__init__(id=self._id_prefix + random_id(58))
        self._line_items: tuple[LineItem, ...] = params.line_items
        self._card_saving = card_saving
        self._payment_intent_metadata = dict(params.payment_intent_metadata)
        self.mode = "payment"
        self.status = "open"
        self.payment_status = "unpaid"
        self.amount_subtotal = params.amount_total
        self.amount_total = params.amount_total
        self.currency = params.currency
        self.client_reference_id = params.client_reference_id
        self.customer = card_saving.customer
        self.customer_email = params.customer_email
        self.customer_details: dict[str, Any] | None = None
        self.metadata = dict(params.metadata)
        self.payment_intent: str | None = None
        self.payment_method_types = ["card"]
        self.success_url = params.success_url
        self.cancel_url = params.cancel_url
        self.expires_at = params.expires_at

    @property
    def line_items(self) -> tuple[LineItem, ...]:
        return self._line_items

    @property
    def url(self) -> str | None:
        # Stripe only gives a URL while the session can still be paid.
        if self.status != "open":
            return None
        return f"{pay_page_base_url}/checkout/pay/{self.id}"

    def _is_past_expiry(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at

    def _expire(self) -> None:
        """Close an open session and tell the webhook, as Stripe does."""
        if self.status != "open":
            raise invalid_request("Only Checkout Sessions with a status in [open] can be expired")
        self.status = "expired"
        schedule_webhook(Event("checkout.session.expired", self))

    def _email_on_file(self) -> str | None:
        """The payer's email known before the pay page: ``customer_email`` or the customer's."""
        if self.customer_email or not self.customer:
            return self.customer_email
        customer = store.get(f"{Customer.object}:{self.customer}")
        return customer.email if isinstance(customer, Customer) else None

    def _complete(
        self, *, payment_intent_id: str, email: str | None, customer: str | None = None
    ) -> None:
        """Record a successful payment (and the Customer it was made for) and tell the webhook."""
        self.status = "complete"
        self.payment_status = "paid"
        self.payment_intent = payment_intent_id
        if customer is not None:
            self.customer = customer
        self.customer_details = {
            "address": None,
            "email": email,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        schedule_webhook(Event("checkout.session.completed", self))

    def _payment_intent_metadata_for_payment(self) -> dict[str, str]:
        return {**self.metadata, **self._payment_intent_metadata, "checkout_session": self.id}

    def _export_line_items(self) -> dict[str, Any]:
        data = [
            {
                "id": f"li_{self.id[len(self._id_prefix) :][:20]}{index}",
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": item.amount_total,
                "amount_tax": 0,
                "amount_total": item.amount_total,
                "currency": item.currency,
                "description": item.name,
                "quantity": item.quantity,
                "price": {
                    "object": "price",
                    "currency": item.currency,
                    "unit_amount": item.unit_amount,
                    "type": "one_time",
                },
            }
            for index, item in enumerate(self._line_items)
        ]
        return {
            "object": "list",
            "data": data,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{self.id}/line_items",
        }

    def _export(self, expand: Any = None) -> dict[str, Any]:
        paths = expandable_paths(expand)
        obj = {
            "id": self.id,
            "object": self.object,
            "amount_subtotal": self.amount_subtotal,
            "amount_total": self.amount_total,
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "customer_creation": self._card_saving.customer_creation_shown,
            "customer_details": self.customer_details,
            "customer_email": self.customer_email,
            "expires_at": self.expires_at,
            "livemode": self.livemode,
            "metadata": dict(self.metadata),
            "mode": self.mode,
            "payment_intent": self.payment_intent,
            "payment_method_types": list(self.payment_method_types),
            "payment_status": self.payment_status,
            "status": self.status,
            "success_url": self.success_url,
            "url": self.url,
        }
        for path in paths:
            field, _, rest = path.partition(".")
            if field == "line_items":
                obj["line_items"] = self._export_line_items()
            elif field == "payment_intent" and self.payment_intent:
                intent = PaymentIntent._api_retrieve(self.payment_intent)
                obj["payment_intent"] = intent._export(expand=[rest] if rest else None)
            elif field == "customer" and self.customer:
                customer = Customer._api_retrieve(self.customer)
                obj["customer"] = customer._export(expand=[rest] if rest else None)
        return obj


def expandable_paths(expand: Any) -> list[str]:
    """The ``expand[]`` paths, refused as Stripe does when a field cannot be expanded."""
    paths = parse_expand(expand)
    for path in paths:
        field = path.partition(".")[0]
        if field not in EXPANDABLE:
            raise invalid_request(f"This property cannot be expanded ({field}).", "expand")
    return paths


def find_session(session_id: str) -> CheckoutSession:
    """The session with this id, or Stripe's ``resource_missing`` 404."""
    session = store.get(f"{CheckoutSession.object}:{session_id}")
    if not isinstance(session, CheckoutSession):
        raise UserError(
            404,
            f"No such checkout.session: '{session_id}'",
            {"code": "resource_missing", "param": "session"},
        )
    return session


def all_sessions() -> list[CheckoutSession]:
    return [value for value in list(store.values()) if isinstance(value, CheckoutSession)]


def expire_lapsed_sessions(now: float | None = None) -> int:
    """Expire every open session whose ``expires_at`` has passed; how many were expired."""
    lapsed = [
        session
        for session in all_sessions()
        if session.status == "open" and session._is_past_expiry(now)
    ]
    for session in lapsed:
        session._expire()
    if lapsed:
        store.dump_to_disk()
    return len(lapsed)
