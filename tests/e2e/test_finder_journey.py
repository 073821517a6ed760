"""The retreat finder in a real browser: a couple answers the eight questions (missing one at
first, and the browser leads them back to it), gets a physical-intimacy retreat recommended with
its reasons, and opens it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from retreats.listings.models import Audience, Focus

ANSWERS = {
    "What would you most like more of?": "Touch, and feeling at ease in your body",
    "A perfect evening would be…": "A massage, a dance or a slow walk hand in hand",
    "When closeness feels far away, what is usually missing?": (
        "Affection, rest and being near each other"
    ),
    "Which would you happily try first?": "Breathing, massage or movement exercises",
    "Will you come as a couple or on your own?": "As a couple",
    "What would you like to spend, per person?": "Up to about €500",
    "When would you like to go?": "Within the next 3 months",
    "Online or in person?": "In person",
}
LEFT_FOR_LATER = "When would you like to go?"


def question(page, text: str):
    return page.get_by_role("group", name=re.compile(re.escape(text) + "$"))


def test_a_couple_finds_a_retreat_that_fits(page, audit, make_retreat):
    make_retreat(title="Words of the Heart", focus=Focus.EMOTIONAL)
    make_retreat(title="Touch and Trust Retreat", focus=Focus.PHYSICAL, audience=Audience.COUPLES)

    page.goto("/")
    audit.check("catalog", screenshot=False)
    page.get_by_role("link", name="Find your retreat").first.click()
    expect(page.get_by_role("heading", level=1, name="Find your retreat")).to_be_visible()
    audit.check("questions")

    for text, answer in ANSWERS.items():
        if text != LEFT_FOR_LATER:
            question(page, text).get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Show my matches").click()

    # The browser itself refuses the form and takes the visitor to the unanswered question.
    missing = question(page, LEFT_FOR_LATER).get_by_role("radio").first
    expect(missing).to_be_focused()
    assert missing.evaluate("radio => !radio.validity.valid")
    expect(page).to_have_url(re.compile(r"/find$"))
    question(page, LEFT_FOR_LATER).get_by_label(ANSWERS[LEFT_FOR_LATER], exact=True).check()
    page.get_by_role("button", name="Show my matches").click()

    expect(page.get_by_text("Your strongest wish: physical closeness")).to_be_visible()
    matches = page.get_by_role("region", name="Recommended for you").get_by_role("listitem")
    first = matches.first
    expect(first.get_by_role("heading", name="Touch and Trust Retreat")).to_be_visible()
    expect(first.get_by_role("list")).not_to_be_empty()
    audit.check("recommendations")

    first.get_by_role("link", name="See details").click()
    expect(page.get_by_role("heading", level=1, name="Touch and Trust Retreat")).to_be_visible()
    audit.check("recommended-retreat", screenshot=False)


def test_a_half_answered_finder_link_says_what_is_missing(page, audit):
    # A link kept from an earlier visit, with some answers only: the page lists the rest.
    page.goto("/find?wish=touch&company=couple")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please answer every question below: 6 are missing")
    audit.check("half-answered-link")
    summary.get_by_role("link", name="A perfect evening would be…").click()
    expect(question(page, "A perfect evening would be…").get_by_role("radio").first).to_be_focused()
