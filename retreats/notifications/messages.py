"""Each kind of email: what it says and to whom, rendered from templates/email/."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, render_template

from ..booking.policy import policy_summary
from ..booking.tokens import booking_token, waitlist_offer_token
from ..links import manage_url, public_url
from ..organizer.tokens import link_token
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


def _cancelled_with_refund(email: OutboxEmail, template: str, subject: str) -> Message:
    """A booking someone else cancelled; it tells what went back (booking.refunded_minor)."""
    context = _booking_context(email)
    context["refund_minor"] = context["booking"].refunded_minor
    return _render(template, subject.format(**context), email.to_address, context)


def cancelled_by_organizer_message(email: OutboxEmail) -> Message:
    return _cancelled_with_refund(
        email, "cancelled_by_organizer", "Your booking {booking.reference} has been cancelled"
    )


def retreat_cancelled_message(email: OutboxEmail) -> Message:
    return _cancelled_with_refund(
        email, "retreat_cancelled", "{retreat.title} is cancelled: your full refund"
    )


def organizer_message(email: OutboxEmail) -> Message:
    """An organizer's own words to a confirmed booking, with the booking's details below."""
    context = _booking_context(email)
    context["message"] = email.attendee_message
    return _render("organizer_message", email.attendee_message.subject, email.to_address, context)


def password_reset_message(email: OutboxEmail) -> Message:
    token = email.organizer_token
    context = {
        "organizer": token.organizer,
        "reset_link": public_url("organizer.reset_password", token=link_token(token)),
        "expires_at": token.expires_at,
    }
    return _render("password_reset", "Reset your organizer password", email.to_address, context)


def co_host_invite_message(email: OutboxEmail) -> Message:
    token = email.organizer_token
    context = {
        "organizer": token.organizer,
        "invited_by": token.invited_by,
        "accept_link": public_url("organizer.accept_invite", token=link_token(token)),
        "expires_at": token.expires_at,
    }
    inviter = token.invited_by.name if token.invited_by else "An organizer"
    return _render("co_host_invite", f"{inviter} invited you to co-host", email.to_address, context)


MESSAGE_BUILDERS = {
    "confirmation": confirmation_message,
    "cancellation": cancellation_message,
    "cancelled_by_organizer": cancelled_by_organizer_message,
    "retreat_cancelled": retreat_cancelled_message,
    "organizer_message": organizer_message,
    "password_reset": password_reset_message,
    "co_host_invite": co_host_invite_message,
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
