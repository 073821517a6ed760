"""Issue 19 end to end in a real browser: a newcomer signs up and confirms the email from the mail
sink, creates a listing and is refused publishing; the platform admin approves them; they
publish, and the listing is in the catalog, in its search, in the sitemap and in their widget on
a plain page of another site (another port). Every page on the way goes through axe and the
validator."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from retreats.listings.models import Retreat, RetreatStatus
from retreats.organizer.accounts.models import Organizer
from tests.e2e.newcomer import (
    NEWCOMER_EMAIL,
    NEWCOMER_PASSWORD,
    confirm_email,
    sign_in,
    sign_out,
    sign_up,
)
from tests.e2e.organizer import add_couple_ticket, create_listing
from tests.factories import ORGANIZER_PASSWORD, create_organizer

TITLE = "Tidal Closeness Weekend"


def test_a_newcomers_listing_is_found_once_the_admin_approves_them(
    page, audit, live_site, app, db, smtp_inbox, other_site
):
    admin = create_organizer(
        email="admin@example.org", name="Pat Admin", password=ORGANIZER_PASSWORD
    )
    admin.is_platform_admin = True
    db.session.commit()

    sign_up(page, audit)
    confirm_email(page, audit, app, smtp_inbox, live_site)
    sign_in(page, audit, NEWCOMER_EMAIL, NEWCOMER_PASSWORD, "newcomer")
    create_listing(page, audit, title=TITLE)
    add_couple_ticket(page, audit)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert")).to_contain_text("waiting for approval")
    audit.check("publish-refused")
    sign_out(page, audit)
    draft = db.session.scalar(select(Retreat).where(Retreat.title == TITLE))
    assert f"/retreats/{draft.slug}<" not in page.request.get("/sitemap.xml").text()

    sign_in(page, audit, admin.email, ORGANIZER_PASSWORD, "admin")
    page.get_by_role("link", name="Platform admin").click()
    audit.check("admin-overview", screenshot=False)
    page.get_by_role("link", name="Review Mira Sol").click()
    audit.check("admin-organizer-pending", screenshot=False)
    page.get_by_role("button", name="Approve Mira Sol").click()
    expect(page.get_by_text("Mira Sol is approved; we have emailed them.")).to_be_visible()
    audit.check("admin-approved")
    sign_out(page, audit)

    sign_in(page, audit, NEWCOMER_EMAIL, NEWCOMER_PASSWORD, "approved")
    page.get_by_role("link", name=TITLE).first.click()
    audit.check("listing-to-publish", screenshot=False)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()
    audit.check("published")
    sign_out(page, audit)
    db.session.expire_all()  # the draft read before was published by the site meanwhile
    retreat = db.session.scalar(select(Retreat).where(Retreat.title == TITLE))
    assert retreat.status == RetreatStatus.PUBLISHED
    newcomer = db.session.scalar(select(Organizer).where(Organizer.email == NEWCOMER_EMAIL))

    page.goto("/")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    audit.check("catalog-with-the-listing")
    page.get_by_role("searchbox", name="Search").fill("tidal tavira")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    audit.check("search-finds-it")

    sitemap = page.request.get("/sitemap.xml").text()
    assert f"/retreats/{retreat.slug}</loc>" in sitemap
    assert f"/o/{newcomer.slug}</loc>" in sitemap

    site_url, folder = other_site
    (folder / "retreats.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Mira Sol</title>"
        "</head><body><h1>Mira Sol's retreats</h1>"
        f"<iframe id='widget' src='{live_site.url}/o/{newcomer.slug}/widget' "
        "title='Upcoming retreats' width='600' height='600'></iframe></body></html>",
        encoding="utf-8",
    )
    page.goto(f"{site_url}/retreats.html")
    widget = page.frame_locator("#widget")
    expect(widget.get_by_role("heading", name=TITLE)).to_be_visible()
    with page.context.expect_page() as new_tab:
        widget.get_by_role("link", name=re.compile(f"^Book {TITLE}")).click()
    booking = new_tab.value
    booking.wait_for_load_state("load")
    assert booking.url == f"{live_site.url}/retreats/{retreat.slug}/book"
    assert page.url == f"{site_url}/retreats.html"
    booking.close()
