"""Searches and the pages kept in memory: each search shows its own listings, whoever asks and
in whatever order, and made-up searches can neither grow memory nor push out the kept pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retreats.caching.fragments import MAX_SEARCH_FRAGMENTS, fragment_store, search_fragment_store
from retreats.caching.public_pages import page_store
from retreats.catalog.queries import CatalogFilters
from tests.catalog.test_search import titles


@pytest.fixture(autouse=True)
def read_the_state_on_every_request(app):
    app.config["PUBLIC_PAGE_RECHECK_MS"] = 0


@pytest.fixture
def catalog(make_retreat):
    make_retreat(title="Tantra by the Sea", city="Lisbon", starts_in=timedelta(days=10))
    make_retreat(title="Yoga for Two", city="Berlin", starts_in=timedelta(days=20))


@pytest.fixture
def visitor_with_a_session(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "a visitor who opened a booking form"
    return client


def test_each_search_shows_its_own_listings_whatever_came_before(
    app, catalog, visitor_with_a_session
):
    anonymous = app.test_client()
    expected = {
        "tantra": ["Tantra by the Sea"],
        "Tantra": ["Tantra by the Sea"],
        "yoga": ["Yoga for Two"],
        " yoga  ": ["Yoga for Two"],
        "lisbon yoga": [],
        "": ["Tantra by the Sea", "Yoga for Two"],
    }
    for _ in range(2):  # the second time round, whatever was kept is served
        for client in (anonymous, visitor_with_a_session):
            for search, found in expected.items():
                assert titles(client, q=search) == found, search
                assert titles(client, q=search, page="1") == found, search


def test_a_search_is_never_kept_as_a_whole_page(app, client, catalog):
    client.get("/", query_string={"q": "tantra"})
    again = client.get("/", query_string={"q": "tantra"})

    assert again.status_code == 200 and "ETag" not in again.headers
    assert page_store().get("/?q=tantra") is None and len(page_store()) == 0
    # Its content is kept among the searches, under the search as normalised.
    kept = search_fragment_store().get(("catalog", CatalogFilters(search="tantra"), 1))
    assert kept is not None and "Tantra by the Sea" in kept.fragment.html
    assert len(search_fragment_store()) == 1 and len(fragment_store()) == 0


def test_an_empty_search_is_the_kept_catalog(app, client, catalog):
    client.get("/", query_string={"q": "  "})
    again = client.get("/", query_string={"q": "  "})

    assert "ETag" in again.headers
    assert len(search_fragment_store()) == 0


def test_a_search_shows_a_change_as_soon_as_the_catalog_does(app, client, catalog, make_retreat):
    assert titles(client, q="breath") == []
    make_retreat(title="Breath and Touch", starts_in=timedelta(days=30))

    assert titles(client, q="breath") == ["Breath and Touch"]


def test_made_up_searches_are_bounded_and_never_push_out_the_kept_pages(
    app, client, catalog, count_statements
):
    client.get("/")
    for number in range(MAX_SEARCH_FRAGMENTS * 2):
        assert titles(client, q=f"nothing{number}") == []
    assert titles(client, q="tantra") == ["Tantra by the Sea"]

    assert len(search_fragment_store()) == MAX_SEARCH_FRAGMENTS
    assert len(page_store()) == 1 and len(fragment_store()) == 1
    with count_statements() as statements:
        kept = client.get("/")
    assert "ETag" in kept.headers and len(statements) == 1  # the state, then from memory
