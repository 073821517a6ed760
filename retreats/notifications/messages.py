"""Each kind of email: what it says and to whom, rendered from templates/email/."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, render_template

from ..booking.tokens import booking_token
from ..links import manage_url
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


def confirmation_message(email: OutboxEmail) -> Message:
    booking = email.booking
    retreat = booking.retreat
    link = manage_url(booking, booking_token(booking.reference))
    context = {"booking": booking, "retreat": retreat, "manage_link": link}
    domain = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    return Message(
        subject=f"Your booking {booking.reference} is confirmed: {retreat.title}",
        recipient=email.to_address,
        text=render_template("email/confirmation.txt", **context),
        html=render_template("email/confirmation.html", **context),
        attachments=[
            Attachment(
                filename=f"{booking.reference}.ics",
                content_type="text/calendar; method=PUBLISH; charset=UTF-8",
                data=booking_calendar(
                    booking=booking, retreat=retreat, manage_link=link, domain=domain
                ),
            )
        ],
    )


MESSAGE_BUILDERS = {"confirmation": confirmation_message}


def build_message(email: OutboxEmail) -> Message:
    """The message for one outbox row, rendered from the booking as it is now."""
    try:
        builder = MESSAGE_BUILDERS[email.kind]
    except KeyError as error:
        raise ValueError(f"unknown email kind {email.kind!r}") from error
    return builder(email)
