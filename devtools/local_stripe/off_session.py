# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""Off-session PaymentIntents: charging a saved card with nobody there, answered as Stripe does.

``POST /v1/payment_intents`` with ``off_session=true&confirm=true``, a ``customer`` and its
saved ``payment_method``. A good card is charged (200, ``succeeded``). A declined card (0341)
or a card that asks for authentication (3184; 3155 unless it was saved for off-session use) is
a 402 ``card_error`` carrying the PaymentIntent, left in ``requires_payment_method`` with its
``last_payment_error``; ``payment_intent.payment_failed`` is sent. Nobody can authenticate
off-session, so nothing is left in ``requires_action``.

localstripe's route calls ``PaymentIntent._api_create`` for each request;
``install_off_session_payments`` puts ``create_payment_intent`` in its place (it also takes
``setup_future_usage``, which localstripe's does not know).
"""

from dataclasses import dataclass
from typing import Any, NoReturn

from localstripe.errors import UserError
from localstripe.resources import (
    Charge,
    Event,
    PaymentIntent,
    PaymentMethod,
    store,
    try_convert_to_bool,
)
from localstripe.webhooks import schedule_webhook

from .card_saving import find_customer
from .intent_fields import is_set_up_for_off_session, record_payment_error, set_setup_future_usage
from .params import SETUP_FUTURE_USAGE_VALUES, invalid_request, parse_choice, parse_metadata

# Stripe's test card that asks for authentication on-session only, once it has been set up for
# off-session payments (docs.stripe.com/testing, "Authentication and setup").
SET_UP_ONCE_CARD = "4000002500003155"
# Stripe's legacy values for off_session, which it still takes as true.
OFF_SESSION_WORDS = {"one_off", "recurring"}


@dataclass(frozen=True)
class Decline:
    """How Stripe words one kind of refused off-session payment."""

    code: str
    decline_code: str
    message: str
    doc_url: str


CARD_DECLINED = Decline(
    code="card_declined",
    decline_code="generic_decline",
    message="Your card was declined.",
    doc_url="https://stripe.com/docs/error-codes/card-declined",
)
AUTHENTICATION_REQUIRED = Decline(
    code="authentication_required",
    decline_code="authentication_required",
    message="Your card was declined. This transaction requires authentication.",
    doc_url="https://stripe.com/docs/error-codes/authentication-required",
)


class CardDeclined(UserError):
    """A 402 in Stripe's ``card_error`` shape, carrying the PaymentIntent as it now is."""

    def __init__(self, error: dict[str, Any], intent: PaymentIntent):
        contents = {key: value for key, value in error.items() if key != "message"}
        contents["payment_intent"] = intent._export()
        super().__init__(402, error["message"], contents)
        self.body["error"]["type"] = "card_error"  # UserError says invalid_request_error


def parse_flag(value: Any, param: str) -> bool:
    if value is None:
        return False
    flag = try_convert_to_bool(value)
    if not isinstance(flag, bool):
        raise invalid_request(f"Invalid boolean: {value}", param)
    return flag


def parse_off_session(value: Any) -> bool:
    if value in OFF_SESSION_WORDS:
        return True
    return parse_flag(value, "off_session")


def find_payment_method(payment_method_id: str) -> PaymentMethod:
    try:
        return PaymentMethod._api_retrieve(payment_method_id)
    except UserError as error:
        if error.code != 404:
            raise
        raise invalid_request(
            f"No such PaymentMethod: '{payment_method_id}'", "payment_method", "resource_missing"
        ) from None


def was_charged(payment_method: PaymentMethod) -> bool:
    return any(
        isinstance(value, Charge) and value.payment_method == payment_method.id
        for value in list(store.values())
    )


def check_payment_method_owner(customer_id: str | None, payment_method_id: str) -> None:
    """Refuse, in Stripe's words, a card that is someone else's or was used up unsaved."""
    if customer_id is not None:
        find_customer(customer_id, "customer")
    payment_method = find_payment_method(payment_method_id)
    owner = payment_method.customer
    if owner is not None and customer_id is None:
        raise invalid_request(
            f"The payment method supplied ({payment_method.id}) belongs to the Customer "
            f"{owner}. Please include the Customer in the `customer` parameter on the "
            "PaymentIntent.",
            "payment_method",
        )
    if owner is not None and owner != customer_id:
        raise invalid_request(
            f"The PaymentMethod {payment_method.id} does not belong to the Customer you "
            f"supplied {customer_id}. Please use this PaymentMethod with the Customer that it "
            "belongs to instead.",
            "payment_method",
        )
    if owner is None and was_charged(payment_method):
        raise invalid_request(
            "The provided PaymentMethod was previously used with a PaymentIntent without "
            "Customer attachment, shared with a connected account without Customer attachment, "
            "or was detached from a Customer. It may not be used again. To use a PaymentMethod "
            "multiple times, you must attach it to a Customer first."
        )


def needs_authentication_off_session(payment_method: PaymentMethod) -> bool:
    if not payment_method._requires_authentication():
        return False
    set_up_once = payment_method._card_number == SET_UP_ONCE_CARD
    return not (set_up_once and is_set_up_for_off_session(payment_method))


def refuse_payment(
    intent: PaymentIntent,
    payment_method: PaymentMethod,
    decline: Decline,
    charge_id: str | None = None,
) -> NoReturn:
    """Record the failed attempt on the intent, tell the webhook, answer Stripe's 402."""
    error: dict[str, Any] = {
        "type": "card_error",
        "code": decline.code,
        "decline_code": decline.decline_code,
        "message": decline.message,
        "doc_url": decline.doc_url,
        "payment_method": payment_method._export(),
    }
    if charge_id is not None:
        error["charge"] = charge_id
    record_payment_error(intent, error)
    schedule_webhook(Event("payment_intent.payment_failed", intent))
    raise CardDeclined(error, intent)


def charge_off_session(intent: PaymentIntent) -> None:
    """Charge the saved card now, nobody present: it succeeds or is refused, never waits."""
    payment_method = PaymentMethod._api_retrieve(intent.payment_method)
    if needs_authentication_off_session(payment_method):
        refuse_payment(intent, payment_method, AUTHENTICATION_REQUIRED)
    # Straight to the charge: localstripe's _confirm would ask for 3-D Secure (3155 set up).
    intent._create_charge(on_failure_now=_failure_answered_below)
    charge = intent.latest_charge
    if charge is not None and charge.status == "failed":
        refuse_payment(intent, payment_method, CARD_DECLINED, charge_id=charge.id)


def _failure_answered_below() -> None:
    pass


def create_payment_intent(
    cls: type[PaymentIntent],
    confirm: Any = None,
    off_session: Any = None,
    setup_future_usage: Any = None,
    **data: Any,
) -> PaymentIntent:
    """``POST /v1/payment_intents``: localstripe's, plus off-session charges and
    ``setup_future_usage``."""
    confirm = parse_flag(confirm, "confirm")
    off_session = parse_off_session(off_session)
    usage = parse_choice(setup_future_usage, "setup_future_usage", SETUP_FUTURE_USAGE_VALUES)
    if off_session and not confirm:
        raise invalid_request(
            "`off_session` can only be used when `confirm` is true.", "off_session"
        )
    if off_session and data.get("payment_method") in (None, ""):
        raise invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "Specify a payment method attached to the customer along with the customer ID.",
            "payment_method",
        )
    if data.get("metadata") not in (None, ""):
        data["metadata"] = parse_metadata(data["metadata"])
    if isinstance(data.get("payment_method"), str):
        check_payment_method_owner(data.get("customer"), data["payment_method"])
    intent = cls(**data)
    set_setup_future_usage(intent, usage)
    if off_session:
        charge_off_session(intent)
    elif confirm:
        intent._confirm(on_failure_now=intent._report_failure)
    return intent


def install_off_session_payments() -> None:
    PaymentIntent._api_create = classmethod(create_payment_intent)
