# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""Validation of Checkout Session parameters, with the messages real Stripe gives."""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from localstripe.errors import UserError

MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 60 * 60

# Stripe's documented limits, enforced here so that what this stand-in takes, Stripe takes, and
# what Stripe refuses is refused here too:
# - product_data name at most 5000 characters, description 40000, up to 8 images; at most 100
#   line_items in payment mode; client_reference_id at most 200 characters. Source: Stripe's
#   OpenAPI spec (github.com/stripe/openapi), the "Max length" of each parameter of
#   POST /v1/checkout/sessions (docs.stripe.com/api/checkout/sessions/create), as carried into
#   the SDKs generated from it (e.g. hexdocs.pm/tiger_stripe, Stripe.Params.Checkout.
#   SessionCreateParams and its LineItems.PriceData.ProductData).
# - metadata: up to 50 keys, keys up to 40 characters, values up to 500 characters.
#   Source: docs.stripe.com/api/metadata and docs.stripe.com/metadata.
# The wording of the refusals follows Stripe's answers as quoted in public bug reports:
# "Invalid string: <first 10>...<last 10>; must be at most 40 characters" (polarsource/polar
# #5429) and "Invalid key: <key> must be a string under 40 characters" with param `metadata`
# (stripe/stripe-php#246).
PRODUCT_NAME_MAX_LENGTH = 5000
PRODUCT_DESCRIPTION_MAX_LENGTH = 40000
PRODUCT_IMAGES_MAX = 8
LINE_ITEMS_MAX = 100
CLIENT_REFERENCE_ID_MAX_LENGTH = 200
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 40
METADATA_VALUE_MAX_LENGTH = 500

# Stripe's minimum charge amounts (minor units) for common currencies.
MINIMUM_AMOUNTS = {
    "usd": 50, "eur": 50, "gbp": 30, "chf": 50, "cad": 50, "aud": 50, "nzd": 50, "sgd": 50,
    "jpy": 50, "dkk": 250, "nok": 300, "sek": 300, "pln": 200, "czk": 1500, "huf": 17500,
    "hkd": 400, "mxn": 1000, "brl": 50, "inr": 50,
}  # fmt: skip

CREATE_PARAMS = {
    "mode", "line_items", "success_url", "cancel_url", "expires_at", "metadata",
    "client_reference_id", "customer_email", "payment_intent_data", "payment_method_types",
    "expand", "customer", "customer_creation",
}  # fmt: skip
LINE_ITEM_PARAMS = {"quantity", "price_data"}
PRICE_DATA_PARAMS = {"currency", "unit_amount", "product_data"}
PRODUCT_DATA_PARAMS = {"name", "description", "metadata", "images"}
PAYMENT_INTENT_DATA_PARAMS = {"metadata", "setup_future_usage"}
SETUP_FUTURE_USAGE_VALUES = ("off_session", "on_session")

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class LineItem:
    """One validated line item: a named product at a unit price."""

    name: str
    description: str | None
    currency: str
    unit_amount: int
    quantity: int

    @property
    def amount_total(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(frozen=True)
class SessionParams:
    """Everything a Checkout Session is created from, validated."""

    line_items: tuple[LineItem, ...]
    currency: str
    success_url: str
    cancel_url: str | None
    expires_at: int
    metadata: dict[str, str]
    client_reference_id: str | None
    customer_email: str | None
    payment_intent_metadata: dict[str, str]

    @property
    def amount_total(self) -> int:
        return sum(item.amount_total for item in self.line_items)


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> UserError:
    """A 400 in Stripe's error shape (localstripe's UserError adds the type)."""
    contents: dict[str, Any] = {}
    if param is not None:
        contents["param"] = param
    if code is not None:
        contents["code"] = code
    return UserError(400, message, contents)


def reject_unknown(data: dict, allowed: set[str], prefix: str = "") -> None:
    """Refuse parameters Stripe would not know, naming them as Stripe does."""
    for key in data:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise invalid_request(f"Received unknown parameter: {name}", name)


def parse_integer(value: Any, param: str) -> int:
    """Form values arrive as strings; JSON bodies may carry real integers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise invalid_request(f"Invalid integer: {value}", param)


def parse_string(value: Any, param: str, *, max_length: int | None = None) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise invalid_request(f"Invalid string: {value!r}", param)
    if max_length is not None and len(value) > max_length:
        raise invalid_request(
            f"Invalid string: {value[:10]}...{value[-10:]}; must be at most {max_length} "
            "characters",
            param,
        )
    return value


def check_at_most(items: list, maximum: int, param: str) -> None:
    """Stripe's cap on an array's length (the wording is ours, the limit Stripe's)."""
    if len(items) > maximum:
        raise invalid_request(f"Invalid array: {param} must have at most {maximum} elements", param)


def parse_choice(value: Any, param: str, choices: tuple[str, ...]) -> str | None:
    """One of ``choices`` or nothing; anything else refused in Stripe's words for an enum."""
    if value in (None, ""):
        return None
    if value not in choices:
        *others, last = choices
        listed = f"{', '.join(others)}{',' if len(others) > 1 else ''} or {last}"
        raise invalid_request(f"Invalid {param}: must be one of {listed}", param)
    return value


def parse_dict(value: Any, param: str) -> dict:
    if value in (None, ""):
        return {}
    if isinstance(value, list):  # form keys that are all digits unflatten into a list
        return {str(index): item for index, item in enumerate(value)}
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid object: {param} must be an object", param)
    return value


def parse_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe's limits: 50 keys, keys up to 40 characters, values up to 500."""
    metadata = parse_dict(value, param)
    if len(metadata) > METADATA_MAX_KEYS:
        raise invalid_request(
            f"Invalid metadata: metadata can have at most {METADATA_MAX_KEYS} keys.", param
        )
    parsed = {}
    for key, item in metadata.items():
        if len(key) > METADATA_KEY_MAX_LENGTH:
            raise invalid_request(
                f"Invalid key: {key} must be a string under {METADATA_KEY_MAX_LENGTH} characters",
                param,
            )
        parsed[key] = parse_string(item, f"{param}[{key}]", max_length=METADATA_VALUE_MAX_LENGTH)
    return parsed


def parse_absolute_url(value: Any, param: str) -> str:
    url = parse_string(value, param, max_length=5000)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_request("Not a valid URL", param)
    return url


def parse_currency(value: Any, param: str) -> str:
    currency = parse_string(value, param).lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise invalid_request(f"Invalid currency: {currency}.", param)
    return currency


def require(data: dict, key: str, prefix: str = "") -> Any:
    """``data[key]``, or Stripe's "Missing required param" naming it in full."""
    name = f"{prefix}[{key}]" if prefix else key
    if data.get(key) in (None, ""):
        raise invalid_request(f"Missing required param: {name}.", name)
    return data[key]


def parse_at_least(value: Any, minimum: int, param: str) -> int:
    number = parse_integer(value, param)
    if number < minimum:
        raise invalid_request(f"This value must be greater than or equal to {minimum}.", param)
    return number


def parse_product_data(value: Any, prefix: str) -> tuple[str, str | None]:
    """``price_data[product_data]``: the product's name and optional description."""
    product_data = parse_dict(value, prefix)
    reject_unknown(product_data, PRODUCT_DATA_PARAMS, prefix)
    name = parse_string(
        require(product_data, "name", prefix),
        f"{prefix}[name]",
        max_length=PRODUCT_NAME_MAX_LENGTH,
    )
    description = product_data.get("description") or None
    if description is not None:
        description = parse_string(
            description, f"{prefix}[description]", max_length=PRODUCT_DESCRIPTION_MAX_LENGTH
        )
    parse_images(product_data.get("images"), f"{prefix}[images]")
    parse_metadata(product_data.get("metadata"), f"{prefix}[metadata]")
    return name, description


def parse_images(value: Any, param: str) -> list[str]:
    """``product_data[images]``: up to 8 absolute URLs."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise invalid_request("Invalid array", param)
    check_at_most(value, PRODUCT_IMAGES_MAX, param)
    return [parse_absolute_url(url, f"{param}[{index}]") for index, url in enumerate(value)]


def parse_line_item(data: Any, index: int) -> LineItem:
    prefix = f"line_items[{index}]"
    if not isinstance(data, dict):
        raise invalid_request(f"Invalid object: {prefix} must be an object", prefix)
    if "price" in data:
        raise invalid_request(
            f"This local Stripe has no Prices: use {prefix}[price_data], not {prefix}[price].",
            f"{prefix}[price]",
        )
    reject_unknown(data, LINE_ITEM_PARAMS, prefix)
    quantity = parse_at_least(require(data, "quantity", prefix), 1, f"{prefix}[quantity]")
    price_prefix = f"{prefix}[price_data]"
    price_data = parse_dict(require(data, "price_data", prefix), price_prefix)
    reject_unknown(price_data, PRICE_DATA_PARAMS, price_prefix)
    currency = parse_currency(
        require(price_data, "currency", price_prefix), f"{price_prefix}[currency]"
    )
    unit_amount = parse_at_least(
        require(price_data, "unit_amount", price_prefix), 0, f"{price_prefix}[unit_amount]"
    )
    name, description = parse_product_data(
        require(price_data, "product_data", price_prefix), f"{price_prefix}[product_data]"
    )
    return LineItem(
        name=name,
        description=description,
        currency=currency,
        unit_amount=unit_amount,
        quantity=quantity,
    )


def parse_line_items(value: Any) -> tuple[LineItem, ...]:
    if value in (None, "", [], {}):
        raise invalid_request("Missing required param: line_items.", "line_items")
    if not isinstance(value, list):
        raise invalid_request("Invalid array", "line_items")
    check_at_most(value, LINE_ITEMS_MAX, "line_items")
    items = tuple(parse_line_item(item, index) for index, item in enumerate(value))
    for index, item in enumerate(items):
        if item.currency != items[0].currency:
            raise invalid_request(
                "All line items of a Checkout Session must use the same currency.",
                f"line_items[{index}][price_data][currency]",
            )
    return items


def parse_expires_at(value: Any, *, now: int) -> int:
    if value in (None, ""):
        return now + MAX_EXPIRY_SECONDS
    expires_at = parse_integer(value, "expires_at")
    if expires_at < now + MIN_EXPIRY_SECONDS:
        raise invalid_request(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            "expires_at",
        )
    if expires_at > now + MAX_EXPIRY_SECONDS:
        raise invalid_request(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            "expires_at",
        )
    return expires_at


def check_minimum_amount(amount: int, currency: str) -> None:
    minimum = MINIMUM_AMOUNTS.get(currency, 1)
    if amount < minimum:
        raise invalid_request(
            f"The Checkout Session's total amount due must add up to at least {minimum} "
            f"(in the smallest unit of {currency}).",
            "line_items",
        )


def check_mode(data: dict) -> None:
    mode = require(data, "mode")
    if mode != "payment":
        raise invalid_request(
            f"Invalid mode: {mode}. This local Stripe supports only `payment`.", "mode"
        )
    if data.get("payment_method_types") not in (None, "", ["card"]):
        raise invalid_request(
            "This local Stripe supports only payment_method_types[0]=card.",
            "payment_method_types",
        )


def parse_optional_string(value: Any, param: str, *, max_length: int) -> str | None:
    if value in (None, ""):
        return None
    return parse_string(value, param, max_length=max_length)


def parse_customer_email(value: Any) -> str | None:
    email = parse_optional_string(value, "customer_email", max_length=800)
    if email is not None and not EMAIL_PATTERN.match(email):
        raise invalid_request(f"Invalid email address: {email}", "customer_email")
    return email


def parse_create_params(data: dict, *, now: int) -> SessionParams:
    """Validate ``POST /v1/checkout/sessions`` as real Stripe does for the fields we support."""
    reject_unknown(data, CREATE_PARAMS)
    check_mode(data)
    line_items = parse_line_items(data.get("line_items"))
    currency = line_items[0].currency
    check_minimum_amount(sum(item.amount_total for item in line_items), currency)
    success_url = parse_absolute_url(require(data, "success_url"), "success_url")
    cancel_url = data.get("cancel_url") or None
    payment_intent_data = parse_dict(data.get("payment_intent_data"), "payment_intent_data")
    reject_unknown(payment_intent_data, PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data")
    return SessionParams(
        line_items=line_items,
        currency=currency,
        success_url=success_url,
        cancel_url=cancel_url and parse_absolute_url(cancel_url, "cancel_url"),
        expires_at=parse_expires_at(data.get("expires_at"), now=now),
        metadata=parse_metadata(data.get("metadata")),
        client_reference_id=parse_optional_string(
            data.get("client_reference_id"),
            "client_reference_id",
            max_length=CLIENT_REFERENCE_ID_MAX_LENGTH,
        ),
        customer_email=parse_customer_email(data.get("customer_email")),
        payment_intent_metadata=parse_metadata(
            payment_intent_data.get("metadata"), "payment_intent_data[metadata]"
        ),
    )


def parse_expand(value: Any) -> list[str]:
    """``expand[]`` as a list of dotted paths."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(path, str) for path in value):
        return value
    raise invalid_request("Invalid array", "expand")
