"""A couple books the Sintra weekend in a real browser: the sea-view suite and a transfer, the
total following each choice as they make it, paid with 4242, the parts on the booking's page and
in the confirmation email; the organizer finds them in the suite on the rooming list."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from retreats.booking.models import Booking, BookingStatus
from retreats.notifications.sender import send_due_emails
from tests.e2e.organizer import name_room, sign_in
from tests.e2e.visitor import fill_in_ada_and_bea, pay_on_hosted_page
from tests.journey import PAYING_CARD
from tests.visitor_stay import sintra_weekend


def test_a_couple_books_the_suite_with_a_transfer_and_sees_the_total_as_they_choose(
    page, audit, live_site, make_retreat, db, smtp_inbox
):
    sintra = sintra_weekend(make_retreat)
    page.goto(f"/retreats/{sintra.retreat.slug}")
    expect(page.get_by_role("heading", name="Where you stay")).to_be_visible()
    audit.check("retreat-page-with-rooms")

    page.get_by_role("link", name="Book your place").click()
    total = page.locator("#price-summary")
    expect(total).to_have_attribute("aria-live", "polite")
    expect(total).to_contain_text("Choose a ticket to see your total.")
    # With the script, the total follows the choices: no button to press.
    expect(page.get_by_role("button", name="Update total")).to_have_count(0)
    audit.check("booking-form-with-rooms")

    page.get_by_role("radio", name=re.compile("Couple")).check()
    expect(total).to_contain_text("Choose where you stay to see your total.")
    page.get_by_role("radio", name=re.compile("Single room")).check()
    expect(total).to_contain_text("is not for two people")
    page.get_by_role("radio", name=re.compile("Sea-view suite")).check()
    expect(total).to_contain_text(re.compile(r"Total\s*€1,050\.00"))
    page.get_by_role("checkbox", name=re.compile("Airport transfer")).check()
    expect(total).to_contain_text(re.compile(r"Airport transfer 2 × €40\.00\s*€80\.00"))
    expect(total).to_contain_text(re.compile(r"Total\s*€1,130\.00"))
    audit.check("booking-form-with-a-total")

    fill_in_ada_and_bea(page)
    page.get_by_role("button", name="Continue to payment").click()
    pay_on_hosted_page(page, live_site.stripe_url, PAYING_CARD)

    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    parts = page.locator(".price-lines")
    expect(parts).to_contain_text("Sea-view suite")
    expect(parts).to_contain_text("Airport transfer 2 × €40.00")
    expect(parts).to_contain_text(re.compile(r"Total\s*€1,130\.00"))
    audit.check("confirmed-stay")

    db.session.expire_all()
    booking = db.session.query(Booking).one()
    assert booking.status == BookingStatus.CONFIRMED and booking.amount_minor == 113_000
    assert booking.room_type_id == sintra.suite.id

    # The confirmation email names the same parts and total.
    send_due_emails()
    confirmation = next(
        message for message in smtp_inbox.wait_for(1) if "confirmed" in message["Subject"].lower()
    )
    audit.check_email(confirmation, "confirmation-stay")
    text = confirmation.get_body(("plain",)).get_content()
    assert "Sea-view suite" in text and "Airport transfer" in text and "€1,130.00" in text

    # The organizer finds the couple in the suite on the rooming list, and names their room.
    sign_in(page, audit, dashboard_step="dashboard-with-rooms")
    page.goto(f"/organizer/retreats/{sintra.retreat.id}/rooming")
    suite = page.get_by_role("region", name="Sea-view suite")
    expect(suite).to_contain_text("Ada Lovelace")
    expect(suite).to_contain_text("Bea Lovelace")
    expect(suite).to_contain_text("Airport transfer")
    audit.check("rooming-list-with-the-couple")
    name_room(page, booking.reference, "Suite 1")
    expect(page.get_by_role("status").first).to_contain_text(
        f"{booking.reference} is now in Suite 1"
    )
    audit.check("rooming-list-suite-named", screenshot=False)
