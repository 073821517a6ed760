"""A visitor searches the catalog in a real browser: words and a country, Enter to search, a
search that finds nothing and the link that clears it; every page checked by axe at 360 and 1280
px and kept for the HTML validator."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_visitor_searches_by_words_and_country(page, audit, make_retreat):
    make_retreat(title="Tantra by the Sea", city="Lisbon", country="Portugal")
    make_retreat(title="Tantra in the City", city="Berlin", country="Germany")
    make_retreat(title="Evenings Together", is_online=True, venue=None, city=None, country=None)

    page.goto("/")
    audit.check("catalog", screenshot=False)

    search = page.get_by_role("searchbox", name="Search")
    search.fill("tantra")
    page.get_by_label("Country").select_option(label="Portugal")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"country=portugal.*q=tantra|q=tantra.*country=portugal"))
    expect(page.get_by_role("link", name="Tantra by the Sea")).to_be_visible()
    expect(page.get_by_role("link", name="Tantra in the City")).to_have_count(0)
    expect(search).to_have_value("tantra")
    audit.check("search-and-country")

    # Straight to a search that finds nothing (its own kind of page for the validator).
    page.goto("/?q=yodelling+weekend&kind=retreat")
    expect(page.get_by_text("No upcoming listing matches “yodelling weekend”")).to_be_visible()
    audit.check("search-finds-nothing")

    page.get_by_role("link", name="Clear the search").click()
    expect(page).to_have_url(re.compile(r"/\?kind=retreat$"))  # the other filters stay
    expect(page.get_by_role("link", name="Evenings Together")).to_be_visible()
    expect(search).to_have_value("")
    audit.check("search-cleared")

    search.fill("TANTRA berlin")
    search.press("Enter")  # the box submits the whole form, filters and all
    expect(page.get_by_role("link", name="Tantra in the City")).to_be_visible()
    expect(page.get_by_role("link", name="Tantra by the Sea")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"kind=retreat"))
    audit.check("search-by-enter", screenshot=False)
