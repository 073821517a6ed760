"""An organizer in a real browser: signs in, creates a retreat, adds a couple ticket, publishes
it; a visitor books it; the organizer sees the couple on the attendee list, downloads the CSV
and checks one of them in."""

from __future__ import annotations

import csv
import re

from playwright.sync_api import Page, expect

from retreats.booking.models import Attendee
from retreats.listings.models import Retreat, RetreatStatus
from tests.e2e.audit import PageAudit
from tests.e2e.conftest import ORGANIZER_EMAIL
from tests.e2e.organizer import add_couple_ticket, create_listing
from tests.factories import ORGANIZER_PASSWORD
from tests.journey import book_to_checkout, pay_and_land

TITLE = "Breath and Presence Weekend"


def sign_in(page: Page, audit: PageAudit) -> None:
    page.goto("/organizer/")
    expect(page.get_by_role("heading", level=1, name="Organizer sign in")).to_be_visible()
    audit.check("sign-in")
    page.get_by_label("Email").fill(ORGANIZER_EMAIL)
    page.get_by_label("Password").fill(ORGANIZER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Your retreats")).to_be_visible()
    audit.check("dashboard-empty")


def test_an_organizer_publishes_a_retreat_and_checks_in_its_first_couple(
    page, audit, live_site, organizer, db, browser, tmp_path
):
    sign_in(page, audit)
    create_listing(page, audit, title=TITLE)
    add_couple_ticket(page, audit)

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()
    audit.check("published")
    retreat = db.session.query(Retreat).filter_by(title=TITLE).one()
    assert retreat.status == RetreatStatus.PUBLISHED

    # A couple books it (over HTTP: the visitor's own journey is tested in the browser elsewhere).
    landed = pay_and_land(browser, book_to_checkout(browser, live_site, retreat))
    assert landed.status_code == 200 and "confirmed" in landed.text.lower()

    page.get_by_role("link", name="Your retreats").click()
    item = page.get_by_role("listitem").filter(has_text=TITLE)
    expect(item.get_by_role("img", name=re.compile("^2 confirmed"))).to_be_visible()
    audit.check("dashboard-with-booking")

    item.get_by_role("link", name="Attendees").click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_text("Ada Lovelace", exact=True)).to_be_visible()
    expect(table.get_by_text("Bea Lovelace", exact=True)).to_be_visible()
    expect(table.get_by_text("Ground-floor room")).to_have_count(0)
    audit.check("attendees")

    page.get_by_role("link", name="Show private answers").click()
    expect(page.get_by_role("table").get_by_text("Ground-floor room")).to_be_visible()
    audit.check("attendees-private")
    page.get_by_role("link", name="Hide private answers").click()
    expect(page.get_by_role("link", name="Show private answers")).to_be_visible()
    audit.check("attendees-private-hidden", screenshot=False)

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the CSV starts with a BOM, for spreadsheet programs"
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert sorted(row["Name"] for row in rows) == ["Ada Lovelace", "Bea Lovelace"]
    assert "Accessibility needs" not in rows[0], "private answers only when asked for"

    page.get_by_role("button", name="Check in Ada Lovelace").click()
    expect(page.get_by_role("status")).to_contain_text("Ada Lovelace is checked in.")
    expect(page.get_by_role("button", name="Undo check-in for Ada Lovelace")).to_be_visible()
    audit.check("checked-in")
    db.session.expire_all()
    ada = db.session.query(Attendee).filter_by(name="Ada Lovelace").one()
    assert ada.checked_in_at is not None
