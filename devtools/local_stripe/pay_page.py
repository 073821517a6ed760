# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""The hosted pay page of a Checkout Session: a card number, a Pay button, a way back.

Card numbers are handed to localstripe's PaymentMethod (which keeps them, as localstripe
always does) and are never logged, echoed back into the page or stored anywhere else.
"""

import datetime
import re
from contextlib import nullcontext

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent, PaymentMethod

from .card_saving import (
    charged_as_not_declined,
    customer_for_payment,
    pays_despite_decline,
    save_card,
)
from .intent_fields import set_setup_future_usage
from .params import EMAIL_PATTERN
from .pay_page_html import render_closed_page, render_missing_page, render_pay_page
from .session import CheckoutSession, find_session

INVALID_CARD_MESSAGE = "Your card number is invalid."


class PaymentDeclined(Exception):
    """The card was refused; the message is safe to show to the payer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalise_card_number(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw)


def passes_luhn(number: str) -> bool:
    total = 0
    for position, digit in enumerate(int(char) for char in reversed(number)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_valid_card_number(number: str) -> bool:
    # localstripe models 16-digit cards only, like the test cards it knows.
    return number.isdigit() and len(number) == 16 and passes_luhn(number)


def card_payment_method(card_number: str) -> PaymentMethod:
    return PaymentMethod(
        type="card",
        card={
            "number": card_number,
            "exp_month": "12",
            "exp_year": str(datetime.date.today().year + 5),
            "cvc": "123",
        },
    )


def pay_by_card(session: CheckoutSession, *, card_number: str, email: str) -> None:
    """Charge the session's total to the card through localstripe; complete the session.

    With ``customer``/``customer_creation`` the payment is made for a Customer, and with
    ``setup_future_usage`` the card is then attached to it (see card_saving).
    """
    payment_method = card_payment_method(card_number)
    # localstripe declines these test cards only when attaching them to a customer;
    # real Stripe declines them when charging, so do that here.
    if payment_method._attaching_is_declined():
        raise PaymentDeclined("Your card was declined.")
    saving = session._card_saving
    despite_decline = pays_despite_decline(saving, payment_method)
    # No Customer is made for a payment that is going to be declined.
    declined_ahead = payment_method._charging_is_declined() and not despite_decline
    customer_id = None if declined_ahead else customer_for_payment(saving, email=email)
    intent = PaymentIntent._api_create(
        amount=session.amount_total,
        currency=session.currency,
        customer=customer_id,
        payment_method=payment_method.id,
        metadata=session._payment_intent_metadata_for_payment(),
    )
    set_setup_future_usage(intent, saving.setup_future_usage)
    with charged_as_not_declined(payment_method) if despite_decline else nullcontext():
        confirm_with_payer_present(intent)
    if intent.status != "succeeded":
        raise PaymentDeclined("The payment could not be completed.")
    if customer_id is not None and saving.saves_card:
        save_card(saving, payment_method, customer_id=customer_id)
    session._complete(payment_intent_id=intent.id, email=email, customer=customer_id)


def confirm_with_payer_present(intent: PaymentIntent) -> None:
    """Confirm the intent; a card that asks for 3-D Secure is authenticated on the spot.

    The payer is on the pay page, so the challenge is passed for them, as clicking "Complete
    authentication" in Stripe's test modal does. A refusal becomes ``PaymentDeclined``.
    """
    try:
        PaymentIntent._api_confirm(intent.id)
        if intent.status == "requires_action":
            PaymentIntent._api_authenticate(
                intent.id, client_secret=intent.client_secret, success=True
            )
    except UserError as error:
        if error.code != 402:
            raise
        message = error.body["error"].get("message") or "Your card was declined."
        raise PaymentDeclined(message) from None


def html_response(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def load_open_session(session_id: str) -> tuple[CheckoutSession | None, web.Response | None]:
    """The session if it can still be paid; otherwise the page that says why not."""
    try:
        session = find_session(session_id)
    except UserError:
        return None, html_response(render_missing_page(), status=404)
    if session.status == "open" and session._is_past_expiry():
        session._expire()
    if session.status != "open":
        return None, html_response(render_closed_page(session), status=409)
    return session, None


async def show_pay_page(request: web.Request) -> web.Response:
    """GET /checkout/pay/{id}: the card form, or why the session cannot be paid."""
    session, refusal = load_open_session(request.match_info["id"])
    if session is None:
        assert refusal is not None
        return refusal
    return html_response(render_pay_page(session))


async def submit_payment(request: web.Request) -> web.Response:
    """POST /checkout/pay/{id}: pay with ``card_number``, then 303 to the success URL."""
    session, refusal = load_open_session(request.match_info["id"])
    if session is None:
        assert refusal is not None
        return refusal
    form = await request.post()
    email = session._email_on_file() or str(form.get("email", "")).strip()
    if not EMAIL_PATTERN.match(email):
        page = render_pay_page(
            session, error="Enter a valid email address.", error_field="email", email=email
        )
        return html_response(page, status=400)
    card_number = normalise_card_number(str(form.get("card_number", "")))
    if not is_valid_card_number(card_number):
        page = render_pay_page(session, error=INVALID_CARD_MESSAGE, email=email)
        return html_response(page, status=400)
    try:
        pay_by_card(session, card_number=card_number, email=email)
    except PaymentDeclined as declined:
        page = render_pay_page(session, error=declined.message, email=email)
        return html_response(page, status=402)
    raise web.HTTPSeeOther(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id))


def add_pay_page_routes(app: web.Application) -> None:
    app.router.add_get("/checkout/pay/{id}", show_pay_page)
    app.router.add_post("/checkout/pay/{id}", submit_payment)
