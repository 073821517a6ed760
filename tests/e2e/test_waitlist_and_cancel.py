"""In a real browser: a sold-out retreat offers its waitlist and the visitor joins it; an attendee
opens the link in the confirmation email and cancels the booking with the confirmation tick."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from retreats.booking.capacity import seats_left
from retreats.booking.models import Booking, BookingStatus, WaitlistEntry
from retreats.booking.services import AttendeeDetails, hold_seats
from retreats.notifications.sender import send_due_emails
from tests.conftest import wait_until
from tests.factories import ADA, BEA, add_room_type, held_booking
from tests.journey import book_to_checkout, pay_and_land

MANAGE_LINK = re.compile(r"http://127\.0\.0\.1:\d+/bookings/RB-[A-Z0-9]+\?t=[\w.\-]+")


def test_a_sold_out_retreat_offers_its_waitlist(page, audit, make_retreat, db):
    retreat = make_retreat(
        title="Stillness for Two", capacity=1, tickets=[("Individual", 25_000, 1)]
    )
    hold_seats(
        retreat_id=retreat.id,
        ticket_type_id=retreat.ticket_types[0].id,
        contact_email="first@example.org",
        attendees=[AttendeeDetails("First Comer", "first@example.org")],
    )
    assert seats_left(retreat) == 0

    page.goto("/")
    card = page.get_by_role("article").filter(has_text="Stillness for Two")
    expect(card.get_by_text("Sold out")).to_be_visible()
    audit.check("catalog-sold-out")

    card.get_by_role("link", name="Stillness for Two").click()
    expect(page.get_by_text("Sold out")).to_be_visible()
    expect(page.get_by_role("link", name="Book your place")).to_have_count(0)
    audit.check("retreat-sold-out")

    page.get_by_role("link", name="Join the waitlist").click()
    expect(page.get_by_role("heading", level=1, name="Join the waitlist")).to_be_visible()
    audit.check("waitlist-form")

    page.get_by_label("Your name").fill("Dee Waiting")
    page.get_by_label("Email").fill("dee@example.org")
    page.get_by_role("radio", name="Two places, for me and my partner").check()
    page.get_by_role("button", name="Join the waitlist").click()

    expect(page.get_by_role("status")).to_contain_text("You are on the waitlist")
    audit.check("joined-waitlist")
    entry = db.session.query(WaitlistEntry).one()
    assert (entry.name, entry.email, entry.seats) == ("Dee Waiting", "dee@example.org", 2)


def test_the_waitlist_asks_which_room_where_rooms_are_sold(page, audit, make_retreat, db):
    retreat = make_retreat(title="Sea and Stillness", capacity=2, allows_no_accommodation=True)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1, description="Balcony")
    add_room_type(retreat, name="Shared twin", rooms=1, shared=True)
    held_booking(retreat, ADA, BEA, room_type_id=suite.id)
    assert seats_left(retreat) == 0

    page.goto(f"/retreats/{retreat.slug}/waitlist")
    rooms = page.get_by_role("group", name="Which room")
    expect(rooms.get_by_role("radio")).to_have_count(3)
    audit.check("waitlist-form-with-rooms")
    page.get_by_label("Your name").fill("Dee Waiting")
    page.get_by_label("Email").fill("dee@example.org")
    page.get_by_role("radio", name="Two places, for me and my partner").check()
    page.get_by_role("button", name="Join the waitlist").click()

    expect(rooms.get_by_text("Please choose a room.")).to_be_visible()
    expect(rooms.get_by_role("radio", name=re.compile("Sea-view suite"))).to_have_attribute(
        "aria-invalid", "true"
    )
    audit.check("waitlist-form-room-missing")
    rooms.get_by_role("radio", name=re.compile("Sea-view suite")).check()
    page.get_by_role("button", name="Join the waitlist").click()

    expect(page.get_by_role("status")).to_contain_text("You are on the waitlist")
    audit.check("joined-waitlist-for-a-room")
    entry = db.session.query(WaitlistEntry).one()
    assert (entry.seats, entry.room_type_id) == (2, suite.id)


def test_an_attendee_cancels_through_the_link_in_the_email(
    page, audit, live_site, make_retreat, db, smtp_inbox, browser
):
    retreat = make_retreat(title="Slow Mornings Retreat")
    landed = pay_and_land(browser, book_to_checkout(browser, live_site, retreat))
    assert landed.status_code == 200
    send_due_emails()
    confirmation = next(
        message for message in smtp_inbox.wait_for(1) if "confirmed" in message["Subject"].lower()
    )
    audit.check_email(confirmation, "confirmation")
    text = confirmation.get_body(("plain",)).get_content()
    manage_link = MANAGE_LINK.search(text).group(0)

    page.goto(manage_link)
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    audit.check("manage-confirmed")

    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Cancel my booking").click()

    expect(page.get_by_role("heading", name="This booking is cancelled")).to_be_visible()
    expect(page.get_by_text(re.compile("Your booking is cancelled"))).to_be_visible()
    audit.check("manage-cancelled")
    db.session.expire_all()
    assert db.session.query(Booking).one().status == BookingStatus.CANCELLED

    send_due_emails()
    cancellation = wait_until(
        lambda: next(
            (
                message
                for message in smtp_inbox.messages
                if "cancelled" in message["Subject"].lower() and message["To"] == "ada@example.org"
            ),
            None,
        )
    )
    audit.check_email(cancellation, "cancellation")
