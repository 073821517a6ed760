# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (through .session) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""HTML of the hosted pay page: small, readable, and usable with a keyboard or screen reader."""

from html import escape

from .session import CheckoutSession

ZERO_DECIMAL_CURRENCIES = {
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
}  # fmt: skip
THREE_DECIMAL_CURRENCIES = {"bhd", "jod", "kwd", "omr", "tnd"}
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}

STYLE = """
body { font-family: system-ui, sans-serif; background: #f6f7f9; color: #1a1f36; margin: 0; }
main { max-width: 28rem; margin: 3rem auto; background: #fff; padding: 2rem;
       border-radius: 0.5rem; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.12); }
.badge { display: inline-block; font-size: 0.8rem; background: #fff4d6; color: #5c4300;
         padding: 0.15rem 0.5rem; border-radius: 1rem; margin: 0; }
h1 { font-size: 1.6rem; margin: 0.75rem 0 1rem; }
ul { list-style: none; padding: 0; margin: 0 0 1.5rem; border-top: 1px solid #e3e8ee; }
li { display: flex; justify-content: space-between; gap: 1rem; padding: 0.6rem 0;
     border-bottom: 1px solid #e3e8ee; }
.detail { color: #4f566b; font-size: 0.9rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.35rem; }
input { width: 100%; box-sizing: border-box; font-size: 1.1rem; padding: 0.6rem;
        border: 1px solid #8792a2; border-radius: 0.35rem; }
input:focus, button:focus, a:focus { outline: 3px solid #635bff; outline-offset: 2px; }
.hint { color: #4f566b; font-size: 0.85rem; margin: 0.35rem 0 0; }
.error { color: #a4001d; background: #fff0f1; border: 1px solid #f5a3ad; padding: 0.6rem;
         border-radius: 0.35rem; }
button { margin-top: 1.25rem; width: 100%; font-size: 1.1rem; padding: 0.75rem; border: 0;
         border-radius: 0.35rem; background: #4b43d6; color: #fff; cursor: pointer; }
p.back { margin-top: 1.25rem; text-align: center; }
a { color: #3d35b5; }
"""


def format_amount(amount: int, currency: str) -> str:
    """Minor units to a readable price: 12000 eur → €120.00; 5000 chf → CHF 50.00."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        decimals = 0
    elif currency in THREE_DECIMAL_CURRENCIES:
        decimals = 3
    else:
        decimals = 2
    number = f"{amount / 10**decimals:,.{decimals}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{currency.upper()} {number}"


def page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f'<body>\n<main>\n<p class="badge">Local Stripe · test mode</p>\n{body}</main>\n'
        "</body>\n</html>\n"
    )


def render_line_items(session: CheckoutSession) -> str:
    rows = []
    for item in session.line_items:
        detail = f"{item.quantity} × {format_amount(item.unit_amount, item.currency)}"
        description = (
            f'<br><span class="detail">{escape(item.description)}</span>'
            if item.description
            else ""
        )
        rows.append(
            f"<li><span>{escape(item.name)}{description}<br>"
            f'<span class="detail">{escape(detail)}</span></span>'
            f"<span>{escape(format_amount(item.amount_total, item.currency))}</span></li>"
        )
    return '<ul aria-label="What you are paying for">\n' + "\n".join(rows) + "\n</ul>\n"


def render_back_link(session: CheckoutSession) -> str:
    if not session.cancel_url:
        return ""
    return f'<p class="back"><a href="{escape(session.cancel_url)}">Cancel and go back</a></p>\n'


def render_email_field(session: CheckoutSession, *, email: str, invalid: bool) -> str:
    email_on_file = session._email_on_file()
    if email_on_file:
        return f'<p class="detail">Paying as {escape(email_on_file)}</p>\n'
    invalid_attributes = ' aria-invalid="true" aria-describedby="pay-error"' if invalid else ""
    return (
        '<label for="email">Email</label>\n'
        f'<input id="email" name="email" type="email" autocomplete="email" required '
        f'value="{escape(email)}"{invalid_attributes}>\n'
    )


def render_card_hint(session: CheckoutSession) -> str:
    """The test cards to try, and what each does on this session."""
    if session._card_saving.saves_card:
        later = (
            "4000 0000 0000 0341 is saved (a test-only exception) and declined when charged "
            "later; 4000 0027 6000 3184 is saved and asks for authentication when charged later."
        )
    else:
        later = "4000 0000 0000 0341 is declined."
    return (
        '<p class="hint" id="card-hint">Test cards: 4242 4242 4242 4242 pays; '
        "4000 0027 6000 3184 and 4000 0025 0000 3155 pay after 3-D Secure, which this page "
        f"completes for you; {later}</p>\n"
    )


def render_saving_notice(session: CheckoutSession) -> str:
    """Checkout tells the payer when their card is kept, and for what."""
    usage = session._card_saving.setup_future_usage
    if usage is None:
        return ""
    if usage == "off_session":
        purpose = "later payments, even when you are not there"
    else:
        purpose = "your next payments"
    return f'<p class="detail" id="saving-notice">Your card will be saved for {purpose}.</p>\n'


def render_pay_page(
    session: CheckoutSession,
    *,
    error: str | None = None,
    error_field: str = "card_number",
    email: str = "",
) -> str:
    """The card form. The card number is never put back into the page."""
    amount = format_amount(session.amount_total, session.currency)
    email_invalid = bool(error) and error_field == "email"
    error_html = (
        f'<p class="error" id="pay-error" role="alert">{escape(error)}</p>\n' if error else ""
    )
    card_described_by = (
        "card-hint pay-error" if error and error_field == "card_number" else "card-hint"
    )
    card_invalid = ' aria-invalid="true"' if error and error_field == "card_number" else ""
    body = (
        f"<h1>Pay {escape(amount)}</h1>\n"
        f"{render_line_items(session)}"
        f"{error_html}"
        f'<form method="post" action="/checkout/pay/{escape(session.id)}">\n'
        f"{render_email_field(session, email=email, invalid=email_invalid)}"
        '<label for="card_number">Card number</label>\n'
        '<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" '
        f'required aria-describedby="{card_described_by}"{card_invalid}>\n'
        f"{render_card_hint(session)}"
        f"{render_saving_notice(session)}"
        f'<button type="submit">Pay {escape(amount)}</button>\n'
        "</form>\n"
        f"{render_back_link(session)}"
    )
    return page(f"Pay {amount} – local Stripe checkout", body)


def render_closed_page(session: CheckoutSession) -> str:
    """What a payer sees when the session cannot be paid any more."""
    if session.status == "complete":
        message = "This checkout session has already been paid."
    else:
        message = "This checkout session has expired. Go back and start again."
    body = f"<h1>Payment not available</h1>\n<p>{escape(message)}</p>\n"
    if session.cancel_url:
        body += f'<p class="back"><a href="{escape(session.cancel_url)}">Go back</a></p>\n'
    return page("Payment not available – local Stripe checkout", body)


def render_missing_page() -> str:
    body = (
        "<h1>Checkout session not found</h1>\n"
        "<p>There is no checkout session at this address.</p>\n"
    )
    return page("Checkout session not found – local Stripe checkout", body)
