"""A visitor's steps over real HTTP, shared by the end-to-end tests: open the form, book, pay."""

from __future__ import annotations

import re

import requests

from tests.conftest import csrf_token_from

PAYING_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0341"


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def answered(page_html: str, label: str, person: int, text: str) -> dict:
    """The field of the question labelled `label` asked of the `person`-th person, answered
    with `text`; nothing when the form does not ask it."""
    match = re.search(rf'<label for="(q[0-9]+-p{person})">{re.escape(label)}', page_html)
    return {match.group(1): text} if match else {}


def filled_booking_form(page_html: str, ticket, *, email: str = "ada@example.org") -> dict:
    """The form as a visitor fills it: one person, or two for a couple ticket, answering the
    starting questions (dietary needs, emergency contact, accessibility) where it asks them."""
    data = {
        "csrf_token": csrf_token_from(page_html),
        "submission_key": hidden_value(page_html, "submission_key"),
        "ticket_type": str(ticket.id),
        "attendees-0-name": "Ada Lovelace",
        "attendees-0-email": email,
        "code_of_conduct": "y",
    }
    data |= answered(page_html, "Dietary needs", 0, "Vegetarian")
    data |= answered(page_html, "Emergency contact", 0, "Charles, +44 20 7946 0000")
    if ticket.seats_per_ticket == 2:
        data |= {"attendees-1-name": "Bea Lovelace", "attendees-1-email": "bea@example.org"}
        data |= answered(page_html, "Accessibility needs", 1, "Ground-floor room")
    return data


def book(
    browser, site, retreat, ticket=None, *, email: str = "ada@example.org", ticked: tuple = ()
):
    """Open the booking form and submit it (with the checkboxes `ticked` ticked too); returns
    the POST's response (303 to Checkout)."""
    ticket = ticket or retreat.ticket_types[0]
    form_url = f"{site.url}/retreats/{retreat.slug}/book"
    page = browser.get(form_url)
    assert page.status_code == 200
    data = filled_booking_form(page.text, ticket, email=email)
    for name in ticked:
        assert f'name="{name}"' in page.text, f"no {name} on the form"
        data[name] = "y"
    return browser.post(form_url, data=data, allow_redirects=False)


def book_to_checkout(browser, site, retreat, ticket=None, **options) -> str:
    """Book and return the Checkout URL the visitor is sent to."""
    response = book(browser, site, retreat, ticket, **options)
    assert response.status_code == 303, response.text
    location = response.headers["Location"]
    assert location.startswith(f"{site.stripe_url}/checkout/pay/cs_")
    return location


def pay(browser, pay_page_url: str, card: str = PAYING_CARD) -> requests.Response:
    """Pay on the local hosted page; a paying card answers 303 to the success URL."""
    page = browser.get(pay_page_url)
    assert page.status_code == 200
    return browser.post(pay_page_url, data={"card_number": card}, allow_redirects=False)


def pay_and_land(browser, pay_page_url: str) -> requests.Response:
    """Pay with the test card that pays and follow the way back to the booking page."""
    paid = pay(browser, pay_page_url)
    assert paid.status_code == 303, paid.text
    return browser.get(paid.headers["Location"])
