"""An organizer's steps in the browser, as the journeys share them."""

from __future__ import annotations

from playwright.sync_api import Page, expect

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
