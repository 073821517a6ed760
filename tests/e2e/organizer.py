"""An organizer's steps in the browser, as the journeys share them."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from retreats.database import utcnow
from tests.e2e.audit import PageAudit
from tests.e2e.conftest import ORGANIZER_EMAIL
from tests.factories import ORGANIZER_PASSWORD


def sign_in(page: Page, audit: PageAudit, *, dashboard_step: str = "dashboard") -> None:
    """Sign in as the journeys' organizer and land on the dashboard (checked as
    `dashboard_step`)."""
    page.goto("/organizer/login")
    audit.check("sign-in", screenshot=False)
    page.get_by_label("Email").fill(ORGANIZER_EMAIL)
    page.get_by_label("Password").fill(ORGANIZER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Your retreats")).to_be_visible()
    audit.check(dashboard_step, screenshot=False)


def name_room(page: Page, reference: str, label: str) -> None:
    """On the rooming list: put the booking `reference` in the named room `label`."""
    page.get_by_label(f"Named room for {reference}").fill(label)
    page.get_by_role("button", name=f"Save the named room of {reference}").click()


def create_listing(page: Page, audit: PageAudit, *, title: str) -> None:
    """From the dashboard: a new in-person retreat in Tavira, saved as a draft."""
    page.get_by_role("link", name="New retreat").click()
    expect(page.get_by_role("heading", level=1, name="New retreat")).to_be_visible()
    audit.check("new-retreat-form")
    starts = (utcnow() + timedelta(days=45)).replace(hour=17, minute=0)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Kind").select_option("retreat")
    page.get_by_label("Focus").select_option("spiritual")
    page.get_by_label("For", exact=True).select_option("couples")
    page.get_by_label("Summary").fill("Two days of slowing down together.")
    page.get_by_label("Description").fill("We **breathe** together.")
    page.get_by_role("radio", name="In person").check()
    page.get_by_label("Venue").fill("Casa do Rio")
    page.get_by_label("City").fill("Tavira")
    page.get_by_label("Country").fill("Portugal")
    page.get_by_label("Time zone").select_option("Europe/Lisbon")
    page.get_by_label("Starts").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends").fill((starts + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Places").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.get_by_text("Draft saved")).to_be_visible()
    audit.check("draft-saved")


def add_couple_ticket(page: Page, audit: PageAudit) -> None:
    """On a listing: a couple ticket at 540.50."""
    page.get_by_role("link", name="Add a ticket type").click()
    expect(page.get_by_role("heading", name="New ticket type")).to_be_visible()
    audit.check("new-ticket-form")
    page.get_by_label("Name").fill("Couple")
    page.get_by_role("textbox", name="Price (required)").fill("540.50")
    page.get_by_role("radio", name="Two people (a couple)").check()
    page.get_by_role("button", name="Save ticket type").click()
    expect(page.get_by_role("cell", name="Couple", exact=True)).to_be_visible()
    audit.check("ticket-added")
