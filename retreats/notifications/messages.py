"""Each kind of email: what it says and to whom, rendered from templates/email/."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, render_template

from ..booking.policy import policy_summary
from ..booking.tokens import booking_token, waitlist_offer_token
from ..links import manage_url, public_url
from .calendar import booking_calendar
from .models import OutboxEmail


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Message:
    subject: str
    recipient: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)


def _site_domain() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def _booking_context(email: OutboxEmail) -> dict:
    booking = email.booking
    return {
        "booking": booking,
        "retreat": booking.retreat,
        "manage_link": manage_url(booking, booking_token(booking.reference)),
        "policy": policy_summary(booking.retreat),
    }


def _render(name: str, subject: str, recipient: str, context: dict) -> Message:
    return Message(
        subject=subject,
        recipient=recipient,
        text=render_template(f"email/{name}.txt", **context),
        html=render_template(f"email/{name}.html", **context),
    )


def confirmation_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    booking, retreat = context["booking"], context["retreat"]
    message = _render(
        "confirmation",
        f"Your booking {booking.reference} is confirmed: {retreat.title}",
        email.to_address,
        context,
    )
    message.attachments.append(
        Attachment(
            filename=f"{booking.reference}.ics",
            content_type="text/calendar; method=PUBLISH; charset=UTF-8",
            data=booking_calendar(
                booking=booking,
                retreat=retreat,
                manage_link=context["manage_link"],
                domain=_site_domain(),
            ),
        )
    )
    return message


def cancellation_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    refunds = [refund for refund in email.booking.refunds if refund.reason == "cancellation"]
    context["refund_minor"] = sum(refund.amount_minor for refund in refunds)
    return _render(
        "cancellation",
        f"Your booking {context['booking'].reference} is cancelled",
        email.to_address,
        context,
    )


def unseated_payment_message(email: OutboxEmail) -> Message:
    context = _booking_context(email)
    retreat = context["retreat"]
    context["waitlist_link"] = public_url("booking.join_waitlist", slug=retreat.slug)
    return _render(
        "unseated_payment_refunded",
        f"We are refunding your payment for {retreat.title}",
        email.to_address,
        context,
    )


def waitlist_offer_message(email: OutboxEmail) -> Message:
    entry = email.waitlist_entry
    retreat = entry.retreat
    context = {
        "entry": entry,
        "retreat": retreat,
        "offer_link": public_url(
            "booking.waitlist_offer", entry_id=entry.id, t=waitlist_offer_token(entry.id)
        ),
        "policy": policy_summary(retreat),
    }
    places = "A place has" if entry.seats == 1 else "Two places have"
    return _render(
        "waitlist_offer",
        f"{places} opened up for you: {retreat.title}",
        email.to_address,
        context,
    )


MESSAGE_BUILDERS = {
    "confirmation": confirmation_message,
    "cancellation": cancellation_message,
    "unseated_payment_refunded": unseated_payment_message,
    "waitlist_offer": waitlist_offer_message,
}


def build_message(email: OutboxEmail) -> Message:
    """The message for one outbox row, rendered from the booking as it is now."""
    try:
        builder = MESSAGE_BUILDERS[email.kind]
    except KeyError as error:
        raise ValueError(f"unknown email kind {email.kind!r}") from error
    return builder(email)
