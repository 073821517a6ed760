"""Money as an organizer types it ("249.50", "3000" yen) and back: the price fields of the
listing editor and the amount of an offline payment on the booking page."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from retreats.formatting import ZERO_DECIMAL_CURRENCIES, major_units

# Stripe takes at most eight digits of minor units in one payment.
MAX_PRICE_MINOR = 99_999_999
AMOUNT_PATTERN = re.compile(r"^\d{1,15}(?:\.\d{1,2})?$")


def amount_in_minor_units(text: str, currency: str, *, what: str = "amount") -> int:
    """ "249.50" EUR → 24950; "3000" JPY → 3000. Raises ValueError with a message to show,
    naming `what` was typed ("price", "amount")."""
    text = (text or "").strip().replace(" ", "")
    if text.startswith("-"):
        raise ValueError(f"The {what} cannot be negative.")
    zero_decimal = currency.upper() in ZERO_DECIMAL_CURRENCIES
    if not AMOUNT_PATTERN.match(text) or (zero_decimal and "." in text):
        example = "3000" if zero_decimal else "250 or 249.50"
        raise ValueError(f"Enter the {what} as a number, like {example}.")
    try:
        amount = Decimal(text) * (1 if zero_decimal else 100)
    except InvalidOperation as error:  # the pattern above should make this impossible
        raise ValueError(f"Enter the {what} as a number.") from error
    if amount > MAX_PRICE_MINOR:
        raise ValueError(f"That {what} is higher than a card payment can take.")
    return int(amount)


def price_in_minor_units(text: str, currency: str) -> int:
    """A price field's text in minor units (amount_in_minor_units, its messages about a price)."""
    return amount_in_minor_units(text, currency, what="price")


def price_as_text(price_minor: int, currency: str) -> str:
    """24950 EUR → "249.50"; 25000 EUR → "250": the price field as the organizer typed it."""
    return major_units(price_minor, currency).removesuffix(".00")
