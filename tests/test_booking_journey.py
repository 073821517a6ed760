"""End to end without a browser: the real app over HTTP, the local Stripe server, real SMTP.

Book through the form (with its CSRF token), follow the redirect to the hosted pay page, pay,
land on the success page, send the outbox to aiosmtpd and read what arrived.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from icalendar import Calendar

from retreats.booking.capacity import seats_left
from retreats.booking.models import Booking, BookingStatus
from retreats.extensions import db
from retreats.notifications.sender import send_due_emails
from retreats.payments.models import StripeEvent
from tests.conftest import BOTH_DATABASES, wait_until
from tests.journey import DECLINED_CARD, book_to_checkout, pay


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param


@pytest.fixture
def couples_retreat(make_retreat):
    return make_retreat(
        title="Couples Weekend in Sintra",
        capacity=4,
        timezone="Europe/Lisbon",
        tickets=[("Couple (2 people)", 89_000, 2)],
    )


def only_booking() -> Booking:
    db.session.expire_all()
    return db.session.execute(db.select(Booking)).scalar_one()


def test_book_pay_confirm_and_receive_the_confirmation_email(
    live_site, browser, couples_retreat, smtp_inbox
):
    checkout = book_to_checkout(browser, live_site, couples_retreat)
    booking = only_booking()
    assert booking.status == BookingStatus.PENDING and booking.seats == 2
    assert seats_left(couples_retreat) == 2

    paid = pay(browser, checkout)
    assert paid.status_code == 303
    success_url = paid.headers["Location"]
    assert success_url.startswith(f"{live_site.url}/bookings/{booking.reference}?t=")
    assert f"session_id={booking.checkout_session_id}" in success_url

    landing = browser.get(success_url)
    assert landing.status_code == 200
    assert "Your booking is confirmed" in landing.text
    assert booking.reference in landing.text
    assert only_booking().status == BookingStatus.CONFIRMED
    ics_link = re.search(r'href="(/bookings/[^"]+/calendar\.ics\?t=[^"]+)"', landing.text).group(1)
    download = browser.get(live_site.url + ics_link.replace("&amp;", "&"))
    assert download.headers["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in download.content

    # The webhook arrives too; it finds the booking confirmed already and changes nothing.
    wait_until(lambda: db.session.query(StripeEvent).count() >= 1)
    assert send_due_emails() == 2  # the confirmation, and the organizer's new-booking notice
    [message] = [m for m in smtp_inbox.wait_for(2) if m["To"] == "ada@example.org"]
    assert message["Subject"] == (
        f"Your booking {booking.reference} is confirmed: Couples Weekend in Sintra"
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert booking.reference in text and booking.reference in html
    manage_link = re.search(r"http://\S+/bookings/\S+", text).group(0)
    assert "Your booking is confirmed" in browser.get(manage_link).text

    [invitation] = [
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    calendar = Calendar.from_ical(invitation.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    starts = event.decoded("DTSTART")
    assert isinstance(starts, datetime)
    assert str(starts.tzinfo) == "Europe/Lisbon"
    assert starts == couples_retreat.starts_at
    assert starts.replace(tzinfo=None) == couples_retreat.local_starts_at.replace(tzinfo=None)
    assert event.decoded("DTEND") == couples_retreat.ends_at
    assert "Couples Weekend in Sintra" in str(event["SUMMARY"])
    assert calendar.walk("VTIMEZONE"), "the time zone travels with the invitation"

    assert send_due_emails() == 0  # sent once, never twice


def test_a_declined_card_leaves_the_booking_unpaid_and_expiry_gives_the_seats_back(
    live_site, browser, couples_retreat
):
    checkout = book_to_checkout(browser, live_site, couples_retreat)
    declined = pay(browser, checkout, DECLINED_CARD)
    assert declined.status_code == 402
    assert "Your card was declined." in declined.text
    booking = only_booking()
    assert booking.status == BookingStatus.PENDING
    assert seats_left(couples_retreat) == 2

    # Stripe expires the session when its time is up and tells the app by webhook.
    lapse = browser.post(
        f"{live_site.stripe_url}/_config/checkout/sessions/{booking.checkout_session_id}/lapse"
    )
    assert lapse.status_code == 200
    wait_until(lambda: only_booking().status == BookingStatus.EXPIRED)
    assert seats_left(couples_retreat) == 4


def test_leaving_checkout_releases_the_hold_and_returns_to_the_form(
    live_site, browser, couples_retreat
):
    checkout = book_to_checkout(browser, live_site, couples_retreat)
    pay_page = browser.get(checkout)
    cancel_url = re.search(r'href="([^"]+/abandon\?t=[^"]+)"', pay_page.text).group(1)
    back = browser.get(cancel_url.replace("&amp;", "&"))
    assert back.status_code == 200
    assert back.url.endswith(f"/retreats/{couples_retreat.slug}/book")
    assert "nothing was charged" in back.text
    assert only_booking().status == BookingStatus.CANCELLED
    assert seats_left(couples_retreat) == 4
    # The session is closed at Stripe, so the abandoned booking can no longer be paid.
    closed = browser.get(checkout)
    assert closed.status_code == 409
    assert "has expired" in closed.text


def test_a_listing_with_the_longest_title_and_ticket_name_books_end_to_end(
    live_site, browser, make_retreat
):
    """The Checkout line item is "<title>: <ticket>", 263 characters here: Stripe takes it."""
    title = ("A Long Weekend of Listening, Touch and Quiet Closeness for Couples " * 3)[:200]
    ticket = ("Couple with a shared room, all meals and the evening sessions " * 2)[:60]
    retreat = make_retreat(title=title, capacity=4, tickets=[(ticket, 89_000, 2)])

    checkout = book_to_checkout(browser, live_site, retreat)
    assert html.escape(f"{title}: {ticket}") in browser.get(checkout).text
    landing = browser.get(pay(browser, checkout).headers["Location"])

    assert landing.status_code == 200
    assert "Your booking is confirmed" in landing.text
    assert only_booking().status == BookingStatus.CONFIRMED
