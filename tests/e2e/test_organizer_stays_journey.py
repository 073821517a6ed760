"""An organizer in a real browser sells a retreat as a stay: adds a room type (after a mistake
the form points out), an add-on that comes only with that room, hides a room type, and sees
how full each room type is on the dashboard."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from retreats.listings.models import PricePer
from tests.e2e.audit import PageAudit
from tests.e2e.organizer import sign_in
from tests.factories import (
    add_room_type,
    attendee,
    create_retreat,
    held_booking,
)

TITLE = "Sintra Slow Weekend"


def add_suite(page: Page, audit: PageAudit) -> None:
    page.get_by_role("link", name="Add a room type").click()
    expect(page.get_by_role("heading", name="New room type")).to_be_visible()
    audit.check("new-room-type-form")
    page.get_by_label("Name").fill("Sea-view suite")
    page.get_by_label("How many rooms").fill("3")
    page.get_by_label("Sleeps (people in one room)").fill("2")
    page.get_by_role("radio", name=re.compile("^Shared")).check()
    page.get_by_role("textbox", name="Price (required)").fill("1090")
    page.get_by_role("radio", name="Per room").check()
    page.get_by_role("button", name="Save room type").click()
    expect(page.get_by_text("its price is per person")).to_be_visible()
    audit.check("room-type-form-with-an-error")
    page.get_by_role("radio", name=re.compile("^Private")).check()
    page.get_by_role("button", name="Save room type").click()
    expect(page.get_by_text("Room type “Sea-view suite” added.")).to_be_visible()
    expect(page.get_by_role("cell", name="0 of 3 rooms")).to_be_visible()
    audit.check("room-type-added")


def add_transfer(page: Page, audit: PageAudit) -> None:
    page.get_by_role("link", name="Add an add-on").click()
    expect(page.get_by_role("heading", name="New add-on")).to_be_visible()
    audit.check("new-add-on-form")
    page.get_by_label("Name").fill("Airport transfer")
    page.get_by_role("textbox", name="Price (required)").fill("40")
    page.get_by_role("radio", name=re.compile("^Per person")).check()
    page.get_by_label("At most this many").fill("12")
    page.get_by_role("group", name="Only with these rooms").get_by_label("Sea-view suite").check()
    page.get_by_role("button", name="Save add-on").click()
    expect(page.get_by_text("Add-on “Airport transfer” added.")).to_be_visible()
    expect(page.get_by_role("cell", name="0 of 12")).to_be_visible()
    audit.check("add-on-added")


def test_an_organizer_sells_rooms_and_add_ons(page, audit, live_site, organizer, db):
    retreat = create_retreat(organizer=organizer, title=TITLE, slug="sintra-slow-weekend")
    twin = add_room_type(
        retreat, name="Shared twin", rooms=4, sleeps=2, shared=True, price_per=PricePer.PERSON
    )
    retreat.allows_no_accommodation = True
    db.session.commit()
    held_booking(retreat, attendee("ana@example.org", "Ana"), room_type_id=twin.id)

    sign_in(page, audit, dashboard_step="dashboard-before")
    page.get_by_role("link", name="Edit listing").click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(page.get_by_label(re.compile("^Guests may book without a room"))).to_be_checked()
    expect(page.get_by_role("cell", name="1 of 8 beds")).to_be_visible()
    audit.check("listing-with-rooms")

    add_suite(page, audit)
    add_transfer(page, audit)

    page.get_by_role("button", name="Hide Shared twin").click()
    expect(page.get_by_text("“Shared twin” is hidden")).to_be_visible()
    expect(page.get_by_role("button", name="Offer again Shared twin")).to_be_visible()
    audit.check("room-type-hidden")

    page.get_by_role("link", name="Your retreats").click()
    rooms = page.get_by_role("list", name=re.compile("^Rooms taken or held"))
    expect(rooms.get_by_role("listitem")).to_have_text(
        ["Shared twin 1 of 8 beds Hidden", "Sea-view suite 0 of 3 rooms"]
    )
    audit.check("dashboard-with-rooms")
