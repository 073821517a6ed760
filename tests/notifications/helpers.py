"""Helpers shared by the notification tests: their guests, outbox rows, received mail."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage

from icalendar import Calendar
from sqlalchemy import select

from retreats.base.outbox import OutboxEmail, OutboxStatus, queue_email
from retreats.booking.models import Booking
from retreats.booking.services import AttendeeDetails
from retreats.database import utcnow
from retreats.listings.models import Retreat
from retreats.organizer.listings.services import ListingDetails
from tests.factories import intake, paid_booking

# The guests of these tests: Bea gave no address. Ada's answers to the retreat's four starting
# questions (by library key) are the ones no email may show.
ADA = AttendeeDetails(name="Ada Lovelace", email="ada@example.org")
ADA_INTAKE = {
    "dietary-needs": "Strictly no hazelnuts",
    "accessibility": "A ground-floor room",
    "emergency-contact": "Charles, +44 20 7946 0000",
    "hopes": "To slow down together",
}
BEA = AttendeeDetails(name="Bea Lovelace", email=None)


def confirmed_booking(retreat: Retreat, *, seats: int = 1, now: datetime | None = None) -> Booking:
    """Ada (and Bea, for two seats), held and paid through the real services, with the contact
    address as Ada typed it and Ada's answers (ADA_INTAKE) to the retreat's starting questions,
    added to it if missing. No PaymentIntent, so no refund goes to Stripe."""
    people = [ADA, BEA][:seats]
    return paid_booking(
        retreat,
        *people,
        contact_email="Ada@Example.org",
        payment_intent=False,
        now=now,
        answers=intake(retreat, ADA_INTAKE),
    )


def queue_confirmation_copies(booking: Booking, count: int) -> None:
    """Queue `count` more confirmations of the booking, each its own outbox row: a load."""
    for copy in range(count):
        queue_email(
            kind="confirmation",
            key=f"confirmation:{booking.id}:load-{copy}",
            to_address=booking.contact_email,
            booking_id=booking.id,
        )


def pending_due_ids(db) -> list[int]:
    """The ids of every pending mail that is due now (the session is left without a transaction)."""
    ids = list(
        db.session.execute(
            select(OutboxEmail.id).where(
                OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.send_after <= utcnow()
            )
        ).scalars()
    )
    db.session.rollback()
    return ids


def outbox(db, **filters) -> list[OutboxEmail]:
    db.session.expire_all()
    return db.session.query(OutboxEmail).filter_by(**filters).order_by(OutboxEmail.id).all()


def only_row(db, booking: Booking, kind: str) -> OutboxEmail:
    [row] = outbox(db, booking_id=booking.id, kind=kind)
    return row


def details_of(retreat: Retreat, **changes) -> ListingDetails:
    """The retreat's own values as the listing form would hand them to update_retreat."""
    values = {name: getattr(retreat, name) for name in ListingDetails.__dataclass_fields__}
    values["starts_at"] = retreat.local_starts_at.replace(tzinfo=None)
    values["ends_at"] = retreat.local_ends_at.replace(tzinfo=None)
    return ListingDetails(**(values | changes))


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "both a text and an HTML part"
    return text.get_content(), html.get_content()


def links_in(message: EmailMessage) -> list[str]:
    """Every link of both parts: the HTML's hrefs and the URLs written out in the text."""
    text, html = text_and_html(message)
    hrefs = re.findall(r'href="([^"]*)"', html)
    written = re.findall(r"[a-z][a-z+.-]*://[^\s<>\"']+", text)
    return hrefs + written


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """File name → (content type, bytes)."""
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }


def calendar_event(message: EmailMessage):
    [(content_type, data)] = [
        value for name, value in attachments(message).items() if name.endswith(".ics")
    ]
    assert content_type == "text/calendar"
    [event] = Calendar.from_ical(data).walk("VEVENT")
    return event


def subject_of(message: EmailMessage) -> str:
    """The subject as a mail client shows it (a long one is folded onto the next line)."""
    return str(message["Subject"]).strip()


def to(inbox_messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in inbox_messages if m["To"].lower() == address.lower()]
