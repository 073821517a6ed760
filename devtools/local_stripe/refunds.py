# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""What localstripe leaves out of refunds: the events, and refusing to refund too much.

localstripe's ``POST /v1/refunds`` sends no event and lets a charge be refunded beyond its
amount. Real Stripe sends ``charge.refunded`` (for full and partial refunds) and
``refund.created``, and refuses a refund larger than what is left on the charge.
"""

from typing import Any

from localstripe.resources import (
    Charge,
    Event,
    PaymentIntent,
    Refund,
    try_convert_to_int,
)
from localstripe.webhooks import schedule_webhook

from .params import invalid_request


def charge_being_refunded(data: dict[str, Any]) -> Charge | None:
    if isinstance(data.get("charge"), str):
        return Charge._api_retrieve(data["charge"])
    if isinstance(data.get("payment_intent"), str):
        intent = PaymentIntent._api_retrieve(data["payment_intent"])
        return intent.latest_charge
    return None


def check_refundable(data: dict[str, Any]) -> None:
    """Stripe's refusals: nothing left to refund, or more asked than is left."""
    charge = charge_being_refunded(data)
    if charge is None or charge.status != "succeeded":
        return  # localstripe's own checks answer these cases
    remaining = charge.amount - charge.amount_refunded
    if remaining <= 0:
        raise invalid_request(
            f"Charge {charge.id} has already been refunded.", code="charge_already_refunded"
        )
    amount = try_convert_to_int(data.get("amount"))
    if isinstance(amount, int) and amount > remaining:
        raise invalid_request(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining}).",
            "amount",
        )


def create_refund_with_events(cls: type[Refund], **data: Any) -> Refund:
    check_refundable(data)
    refund = cls(**data)
    schedule_webhook(Event("charge.refunded", Charge._api_retrieve(refund.charge)))
    schedule_webhook(Event("refund.created", refund))
    return refund


def install_refund_events() -> None:
    # localstripe's route calls ``Refund._api_create`` when each request comes in.
    Refund._api_create = classmethod(create_refund_with_events)
