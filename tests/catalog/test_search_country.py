"""The catalog's country filter: one choice per country however it is typed, "Online", and
combined with the other filters, the search and the pages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from retreats.catalog.countries import countries_from
from retreats.catalog.queries import PAGE_SIZE
from retreats.listings.models import RetreatKind, RetreatStatus
from tests.catalog.test_search import titles
from tests.catalog.test_statement_counts import (
    MOST_FOR_A_PUBLIC_PAGE,
    make_catalog,
    statements_for,
)
from tests.conftest import on_both_databases

COUNTRY_SELECT = re.compile(r'<select name="country">(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]*)"\s*(selected)?>([^<]*)</option>')


def country_options(client, **query) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of each choice of the country filter."""
    page = client.get("/", query_string=query).get_data(as_text=True)
    options = OPTION.findall(COUNTRY_SELECT.search(page).group(1))
    return [(value, html.unescape(label), bool(selected)) for value, selected, label in options]


@pytest.fixture
def places(make_retreat):
    make_retreat(title="Sintra Days", country="Portugal", starts_in=timedelta(days=10))
    make_retreat(title="Porto Nights", country="  portugal ", starts_in=timedelta(days=20))
    make_retreat(title="Algarve Light", country="PORTUGAL", starts_in=timedelta(days=30))
    make_retreat(
        title="Berlin Workshop",
        country="Germany",
        kind=RetreatKind.WORKSHOP,
        starts_in=timedelta(days=40),
    )
    make_retreat(
        title="Evenings Online",
        is_online=True,
        venue=None,
        city=None,
        country="Portugal",  # where the organizer is: nobody travels to an online retreat
        starts_in=timedelta(days=50),
    )
    make_retreat(title="Draft in Spain", country="Spain", status=RetreatStatus.DRAFT)
    make_retreat(title="Past in Italy", country="Italy", starts_in=timedelta(days=-5))


@on_both_databases
def test_each_country_of_an_upcoming_listing_is_one_choice_however_it_is_typed(client, places):
    assert country_options(client) == [
        ("", "Anywhere", False),
        ("germany", "Germany", False),
        ("portugal", "Portugal", False),
        ("online", "Online", False),
    ]


@on_both_databases
def test_the_country_filter_finds_every_spelling_and_online_listings_under_online(client, places):
    assert titles(client, country="portugal") == ["Sintra Days", "Porto Nights", "Algarve Light"]
    assert titles(client, country="Portugal ") == ["Sintra Days", "Porto Nights", "Algarve Light"]
    assert titles(client, country="online") == ["Evenings Online"]
    assert ("portugal", "Portugal", True) in country_options(client, country="portugal")


@on_both_databases
def test_the_country_combines_with_the_other_filters_and_the_search(client, places):
    assert titles(client, country="germany", kind="workshop") == ["Berlin Workshop"]
    assert titles(client, country="germany", kind="retreat") == []
    assert titles(client, country="portugal", q="porto") == ["Porto Nights"]
    assert titles(client, country="germany", q="porto") == []
    assert titles(client, country="online", q="evenings") == ["Evenings Online"]


def test_a_country_no_upcoming_listing_is_in_is_ignored(client, places):
    for unknown in ("spain", "italy", "atlantis", "x" * 500, "\x00"):
        assert len(titles(client, country=unknown)) == 5
        assert not any(selected for *_, selected in country_options(client, country=unknown))


def test_an_online_choice_only_when_something_is_online(client, make_retreat):
    make_retreat(country="Portugal")

    assert [value for value, *_ in country_options(client)] == ["", "portugal"]


def test_the_label_is_the_spelling_most_listings_use():
    countries = countries_from(
        [(False, "portugal", 1), (False, "Portugal", 2), (False, " Côte  d'Ivoire", 1)]
    )

    assert [(c.key, c.label) for c in countries] == [
        ("côte d'ivoire", "Côte d'Ivoire"),
        ("portugal", "Portugal"),
    ]
    assert countries[1].spellings == ("Portugal", "portugal")
    assert countries_from([(False, "", 3), (False, "   ", 1), (False, None, 1)]) == []


def test_the_pages_keep_the_search_and_the_country(client, make_retreat):
    for number in range(PAGE_SIZE + 1):
        make_retreat(
            title=f"Tantra Circle {number + 1}",
            country="Portugal",
            starts_in=timedelta(days=10 + number),
        )
    make_retreat(title="Tantra in Germany", country="Germany", starts_in=timedelta(days=5))
    first = client.get("/", query_string={"q": "tantra", "country": "portugal"})
    later = re.search(r'<a class="button" href="([^"]*)" rel="next">', first.get_data(as_text=True))

    assert later and html.unescape(later.group(1)) == "/?page=2&country=portugal&q=tantra"
    second = client.get(html.unescape(later.group(1))).get_data(as_text=True)
    assert "Tantra Circle 25" in second and "Tantra in Germany" not in second
    earlier = re.search(r'<a class="button" href="([^"]*)" rel="prev">', second)
    assert html.unescape(earlier.group(1)) == "/?page=1&country=portugal&q=tantra"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"q": "heart"}, id="search"),
        pytest.param({"country": "portugal"}, id="country"),
        pytest.param({"q": "heart retreat", "country": "portugal", "kind": "retreat"}, id="all"),
        pytest.param({"q": "heart", "page": "2"}, id="search-second-page"),
    ],
)
@on_both_databases
def test_a_search_or_a_country_sends_no_more_statements_than_the_catalog(
    app, db, make_retreat, count_statements, query
):
    make_catalog(db, make_retreat, 3)
    for_small = statements_for(app, count_statements, "/", **query)
    make_catalog(db, make_retreat, 37)
    for_large = statements_for(app, count_statements, "/", **query)

    assert len(for_small) == len(for_large) <= MOST_FOR_A_PUBLIC_PAGE, for_large


def test_an_online_listing_adds_only_the_online_choice():
    countries = countries_from([(True, "Spain", 2), (True, None, 1), (False, "online", 1)])

    assert [(c.key, c.label, c.spellings) for c in countries] == [("online", "Online", ("online",))]
