"""An organizer in a real browser with a residential retreat: looks at a booking's parts, opens
the rooming list, puts guests in named rooms (two singles share a twin; an over-full room is
warned about), reveals the room-share wishes, mistypes a room's name and downloads the CSV."""

from __future__ import annotations

import csv

from playwright.sync_api import expect

from tests.e2e.organizer import name_room, sign_in
from tests.factories import (
    ADA,
    BEA,
    CY,
    add_add_on,
    add_room_type,
    attendee,
    create_retreat,
    held_booking,
    paid_booking,
)

WISH = "Dee, if she comes"


def test_an_organizer_puts_guests_in_named_rooms(page, audit, live_site, organizer, db, tmp_path):
    retreat = create_retreat(
        organizer=organizer,
        title="Sintra Stay",
        slug="sintra-stay",
        capacity=20,
        allows_no_accommodation=True,
    )
    suite = add_room_type(retreat, name="Sea-view suite", rooms=2, price_minor=64_000)
    twin = add_room_type(retreat, name="Shared twin", rooms=2, shared=True, price_minor=17_000)
    transfer = add_add_on(retreat, name="Airport transfer", price_minor=4_500)
    couple = paid_booking(retreat, ADA, BEA, room_type_id=suite.id, add_on_ids=[transfer.id])
    single = paid_booking(retreat, attendee("fay@example.org", "Fay Moss"), room_type_id=suite.id)
    cy = paid_booking(retreat, CY, room_type_id=twin.id, room_share_with=WISH)
    dee = held_booking(retreat, attendee("dee@example.org", "Dee Park"), room_type_id=twin.id)
    paid_booking(retreat, attendee("eve@example.org", "Eve Stone"))

    sign_in(page, audit)
    page.goto(f"/organizer/retreats/{retreat.id}/bookings/{couple.id}")
    parts = page.get_by_role("table", name="The parts of this booking and what each costs")
    expect(parts.locator("tbody tr")).to_have_count(3)
    expect(parts.locator("tbody tr").nth(1)).to_contain_text("Sea-view suite")
    expect(parts.locator("tbody tr").nth(1)).to_contain_text("€640.00")
    expect(parts.locator("tfoot")).to_contain_text("€1,180.00")
    audit.check("booking-parts")

    page.get_by_role("link", name="rooming list", exact=True).click()
    expect(page.get_by_role("heading", level=2, name="Rooming list")).to_be_visible()
    expect(page.get_by_text(WISH)).to_have_count(0)
    expect(page.get_by_text("Awaiting payment", exact=True)).to_be_visible()
    audit.check("rooming")

    name_room(page, cy.reference, "Fig 1")
    expect(page.get_by_role("status").first).to_contain_text(f"{cy.reference} is now in Fig 1")
    audit.check("rooming-named", screenshot=False)
    name_room(page, dee.reference, "fig 1")
    expect(page.get_by_text("Fig 1: Cy Young and Dee Park")).to_be_visible()
    audit.check("rooming-shared")

    name_room(page, couple.reference, "Olive 2")
    audit.check("rooming-named-couple", screenshot=False)
    name_room(page, single.reference, "Olive 2")
    warnings = page.locator(".rooming-warnings")
    expect(warnings).to_contain_text("Olive 2 holds 3 people, but a Sea-view suite room sleeps 2")
    audit.check("rooming-warning")

    page.get_by_role("link", name="Show private answers").click()
    expect(page.get_by_role("cell", name=WISH)).to_be_visible()
    audit.check("rooming-private")
    # A room's name over the limit, sent by a browser that ignored maxlength: shown beside it.
    field = page.get_by_label(f"Named room for {cy.reference}")
    field.evaluate("element => element.removeAttribute('maxlength')")
    name_room(page, cy.reference, "x" * 61)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Please keep the room's name to 60 characters")).to_be_visible()
    audit.check("rooming-invalid")

    page.get_by_role("link", name="Hide private answers").click()
    expect(page.get_by_role("link", name="Show private answers")).to_be_visible()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    rows = list(csv.DictReader(saved.read_bytes().decode("utf-8-sig").splitlines()))
    assert [(row["Room type"], row["Named room"], row["Names"]) for row in rows] == [
        ("Sea-view suite", "Olive 2", "Ada Lovelace; Bea Lovelace"),
        ("Sea-view suite", "Olive 2", "Fay Moss"),
        ("Shared twin", "Fig 1", "Cy Young"),
        ("Shared twin", "Fig 1", "Dee Park"),  # the room, as first named
        ("No accommodation", "", "Eve Stone"),
    ]
    assert "Room share wish" not in rows[0]
    audit.check("rooming-after-download", screenshot=False)
