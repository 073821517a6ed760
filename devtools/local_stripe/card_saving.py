# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""Checkout Sessions that save the card for later payments, as Stripe's do.

``customer`` (an existing ``cus_…``) or ``customer_creation`` ("always", "if_required"), and
``payment_intent_data[setup_future_usage]`` ("off_session", "on_session"). When such a session
is paid, the Customer is created (or the given one used), the PaymentIntent names it and the
card, and with ``setup_future_usage`` the card is attached to the Customer.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from localstripe.resources import Customer, PaymentMethod, store

from .intent_fields import mark_set_up_for_off_session
from .params import (
    SETUP_FUTURE_USAGE_VALUES,
    invalid_request,
    parse_choice,
    parse_dict,
    parse_optional_string,
)

CUSTOMER_CREATION_VALUES = ("always", "if_required")

# Stripe's test card 4000 0000 0000 0341: "Attaching this card to a Customer object succeeds,
# but attempts to charge the customer fail", so paying a real Checkout Session with it fails.
SAVED_THEN_DECLINED_CARD = "4000000000000341"


@dataclass(frozen=True)
class CardSaving:
    """Whose card this is and whether it is kept: a session's ``customer``,
    ``customer_creation`` and ``payment_intent_data[setup_future_usage]``, validated."""

    customer: str | None = None
    customer_creation: str | None = None
    setup_future_usage: str | None = None

    @property
    def saves_card(self) -> bool:
        return self.setup_future_usage is not None

    @property
    def creates_customer(self) -> bool:
        # "if_required" (Stripe's default in payment mode) is taken here to require a Customer
        # exactly when the card is to be kept: a saved card belongs to a Customer.
        if self.customer is not None:
            return False
        return self.customer_creation == "always" or self.saves_card

    @property
    def customer_creation_shown(self) -> str | None:
        """``customer_creation`` as the session shows it: Stripe's default when not given."""
        if self.customer is not None:
            return None
        return self.customer_creation or "if_required"


NO_CARD_SAVING = CardSaving()


def find_customer(customer_id: str, param: str) -> Customer:
    """The customer, or Stripe's answer for an id in a parameter that names none (a 400)."""
    customer = store.get(f"{Customer.object}:{customer_id}")
    if not isinstance(customer, Customer):
        raise invalid_request(f"No such customer: '{customer_id}'", param, "resource_missing")
    return customer


def parse_card_saving(data: dict[str, Any]) -> CardSaving:
    """Validate a session's ``customer``, ``customer_creation`` and ``setup_future_usage``."""
    customer = parse_optional_string(data.get("customer"), "customer", max_length=5000)
    creation = parse_choice(
        data.get("customer_creation"), "customer_creation", CUSTOMER_CREATION_VALUES
    )
    payment_intent_data = parse_dict(data.get("payment_intent_data"), "payment_intent_data")
    usage = parse_choice(
        payment_intent_data.get("setup_future_usage"),
        "payment_intent_data[setup_future_usage]",
        SETUP_FUTURE_USAGE_VALUES,
    )
    if customer is not None:
        for other in ("customer_creation", "customer_email"):
            if data.get(other) not in (None, ""):
                raise invalid_request(
                    f"You may only specify one of these parameters: customer, {other}.", other
                )
        find_customer(customer, "customer")
    return CardSaving(customer=customer, customer_creation=creation, setup_future_usage=usage)


def customer_for_payment(saving: CardSaving, *, email: str) -> str | None:
    """The Customer a payment is made for: the session's, a new one, or none."""
    if saving.customer is not None:
        return saving.customer
    if saving.creates_customer:
        return Customer(email=email).id
    return None


def save_card(saving: CardSaving, payment_method: PaymentMethod, *, customer_id: str) -> None:
    """Attach the paid card to the Customer, as Checkout does with ``setup_future_usage``."""
    PaymentMethod._api_attach(payment_method.id, customer=customer_id)
    if saving.setup_future_usage == "off_session":
        mark_set_up_for_off_session(payment_method)


def pays_despite_decline(saving: CardSaving, payment_method: PaymentMethod) -> bool:
    """Whether this payment is the stand-in's test-only exception for 0341 (see below)."""
    return saving.saves_card and payment_method._card_number == SAVED_THEN_DECLINED_CARD


@contextmanager
def charged_as_not_declined(payment_method: PaymentMethod) -> Iterator[None]:
    """Let this one on-session payment with 0341 succeed, so that the card is saved.

    Test-only, on purpose: with real Stripe, paying a Checkout Session with 0341 fails. What
    this stands for is saving a good card (4242) and the card going bad before the later
    off-session charge, which a stand-in cannot do to a saved card. Letting the payment that
    saves 0341 through is how tests and ``make run`` reach the "declined later, off-session"
    path; every later charge of the saved card is declined as Stripe declines it.
    """
    # localstripe asks the card at each charge; an attribute on the object hides the method.
    payment_method._charging_is_declined = _never_declined
    try:
        yield
    finally:
        del payment_method._charging_is_declined


def _never_declined() -> bool:
    return False
