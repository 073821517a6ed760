"""A visitor's steps in the browser, by clicking and typing the way a person does."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.audit import PageAudit


def open_retreat_from_catalog(page: Page, audit: PageAudit, title: str) -> None:
    """From the catalog, follow the card's title link to the retreat's page."""
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    audit.check("retreat-page")


def fill_person(page: Page, legend: str, *, name: str, email: str, **answers: str) -> None:
    person = page.get_by_role("group", name=legend, exact=True)
    person.get_by_label("Full name").fill(name)
    person.get_by_label("Email").fill(email)
    labels = {
        "dietary_needs": "Dietary needs",
        "accessibility_needs": "Accessibility needs",
        "emergency_contact": "Emergency contact",
    }
    for key, value in answers.items():
        person.get_by_label(labels[key]).fill(value)


def book_couple_ticket(page: Page, audit: PageAudit, *, forget_consent_first: bool = False) -> None:
    """From a retreat's page: the booking form, the couple ticket, both people, the consent
    (first forgotten, if asked, to see the form come back with its errors and answers kept)."""
    page.get_by_role("link", name="Book your place").click()
    expect(page.get_by_role("heading", level=1, name="Book your place")).to_be_visible()
    audit.check("booking-form")
    page.get_by_role("radio", name=re.compile("Couple")).check()
    fill_person(
        page,
        "About you",
        name="Ada Lovelace",
        email="ada@example.org",
        dietary_needs="Vegetarian",
        emergency_contact="Charles, +44 20 7946 0000",
    )
    fill_person(
        page,
        "About your partner (couple tickets only)",
        name="Bea Lovelace",
        email="bea@example.org",
        accessibility_needs="Ground-floor room",
    )
    consent = page.get_by_role("checkbox", name=re.compile("code of conduct"))
    if forget_consent_first:
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("alert")).to_have_text("Please check the fields marked below.")
        expect(consent).to_have_attribute("aria-invalid", "true")
        about_you = page.get_by_role("group", name="About you", exact=True)
        expect(about_you.get_by_label("Full name")).to_have_value("Ada Lovelace")
        expect(page.get_by_role("radio", name=re.compile("Couple"))).to_be_checked()
        audit.check("booking-form-with-errors")
    consent.check()
    page.get_by_role("button", name="Continue to payment").click()


def fill_in_ada_and_bea(page: Page) -> None:
    """The two people of a couple booking, and the code of conduct ticked."""
    fill_person(page, "About you", name="Ada Lovelace", email="ada@example.org")
    fill_person(
        page,
        "About your partner (couple tickets only)",
        name="Bea Lovelace",
        email="bea@example.org",
    )
    page.get_by_role("checkbox", name=re.compile("code of conduct")).check()


def pay_on_hosted_page(page: Page, stripe_url: str, card: str) -> None:
    """On the local Stripe page: type the card number and press Pay."""
    page.wait_for_url(f"{stripe_url}/checkout/pay/cs_*")
    page.get_by_label(re.compile("Card number")).fill(card)
    page.get_by_role("button", name=re.compile("^Pay")).click()
