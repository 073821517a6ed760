# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""The hosted pay page of a Checkout Session: a card number, a Pay button, a way back.

Card numbers are handed to localstripe's PaymentMethod (which keeps them, as localstripe
always does) and are never logged, echoed back into the page or stored anywhere else.
"""

import datetime
import re

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent, PaymentMethod

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


def pay_by_card(session: CheckoutSession, *, card_number: str, email: str | None) -> None:
    """Charge the session's total to the card through localstripe; complete the session."""
    payment_method = PaymentMethod(
        type="card",
        card={
            "number": card_number,
            "exp_month": "12",
            "exp_year": str(datetime.date.today().year + 5),
            "cvc": "123",
        },
    )
    if payment_method._requires_authentication():
        raise PaymentDeclined(
            "This test card asks for 3-D Secure authentication, which the local pay page "
            "does not offer. Use 4242 4242 4242 4242."
        )
    # localstripe declines these test cards only when attaching them to a customer;
    # real Stripe declines them when charging, so do that here.
    if payment_method._attaching_is_declined():
        raise PaymentDeclined("Your card was declined.")
    intent = PaymentIntent._api_create(
        amount=session.amount_total,
        currency=session.currency,
        payment_method=payment_method.id,
        metadata=session._payment_intent_metadata_for_payment(),
    )
    try:
        PaymentIntent._api_confirm(intent.id)
    except UserError as error:
        if error.code != 402:
            raise
        message = error.body["error"].get("message") or "Your card was declined."
        raise PaymentDeclined(message) from None
    if intent.status != "succeeded":
        raise PaymentDeclined("The payment could not be completed.")
    session._complete(payment_intent_id=intent.id, email=email)


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
    email = session.customer_email or str(form.get("email", "")).strip()
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
