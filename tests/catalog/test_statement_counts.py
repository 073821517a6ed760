"""The public pages send a fixed, small number of SQL statements whatever the number of rows.

Each request is counted in a fresh app context (a new session, a new `g`), as a real request
has, so nothing loaded while the data was made hides a lazy load.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from retreats.database import utcnow
from retreats.listings.models import Audience, Focus, RetreatKind
from tests.factories import (
    ADA,
    BEA,
    CY,
    add_ticket_type,
    create_organizer,
    held_booking,
    paid_booking,
)

MOST_FOR_A_PUBLIC_PAGE = 3
COVER = "0123456789abcdef0123456789abcdef-1200x800.jpg"
SIX_TICKETS = [
    ("Individual", 25_000, 1),
    ("Couple (2 people)", 45_000, 2),
    ("Individual, supporter", 35_000, 1),
    ("Couple, supporter", 60_000, 2),
    ("Individual, reduced", 15_000, 1),
]


def statements_for(app, count_statements, path: str, **query) -> list[str]:
    """The statements of one anonymous GET of `path`, in a fresh app context."""
    client = app.test_client()
    with app.app_context(), count_statements() as statements:
        response = client.get(path, query_string=query)
    assert response.status_code == 200, response.status_code
    return statements


def add_early_bird(retreat) -> None:
    add_ticket_type(retreat, name="Early bird", sale_ends_at=utcnow() + timedelta(days=5))


def make_catalog(db, make_retreat, count: int) -> None:
    """`count` published retreats with several tickets each; some with covers, early birds,
    bookings; kinds, focuses, audiences and months varied so filters have something to pick.
    Each has its own organizer, so a lazy load per card would show in the count."""
    for number in range(count):
        host = create_organizer(
            email=f"host-{uuid4().hex[:8]}@example.org", name=f"Host {number}", with_password=False
        )
        retreat = make_retreat(
            organizer=host,
            capacity=50,
            starts_in=timedelta(days=10 + 7 * number),
            kind=list(RetreatKind)[number % len(RetreatKind)],
            focus=list(Focus)[number % len(Focus)],
            audience=list(Audience)[number % len(Audience)],
            cover_image=COVER if number % 3 == 0 else None,
            tickets=SIX_TICKETS[: 2 + number % 4],
        )
        if number % 2 == 0:
            add_early_bird(retreat)
        for _ in range(number % 4):
            paid_booking(retreat, ADA, BEA)
        if number % 5 == 0:
            held_booking(retreat, CY)


def next_month() -> str:
    return (utcnow() + timedelta(days=31)).strftime("%Y-%m")


CATALOG_QUERIES = [
    pytest.param({}, id="first-page"),
    pytest.param({"page": "2"}, id="second-page"),
    pytest.param({"kind": "retreat", "focus": "emotional"}, id="kind-and-focus"),
    pytest.param({"audience": "couples", "month": "next"}, id="audience-and-month"),
    pytest.param({"focus": "physical", "page": "2"}, id="filtered-second-page"),
]


@pytest.mark.parametrize("query", CATALOG_QUERIES)
def test_the_catalog_sends_the_same_few_statements_for_3_or_40_retreats(
    app, db, make_retreat, count_statements, query
):
    if query.get("month") == "next":
        query = query | {"month": next_month()}
    make_catalog(db, make_retreat, 3)
    for_small = statements_for(app, count_statements, "/", **query)
    make_catalog(db, make_retreat, 37)
    for_large = statements_for(app, count_statements, "/", **query)

    assert len(for_small) == len(for_large) <= MOST_FOR_A_PUBLIC_PAGE, for_large


def test_the_catalog_page_counted_is_the_full_page(app, db, make_retreat, count_statements):
    make_catalog(db, make_retreat, 40)
    client = app.test_client()
    with app.app_context(), count_statements() as statements:
        first = client.get("/").get_data(as_text=True)
        second = client.get("/", query_string={"page": 2}).get_data(as_text=True)

    assert first.count('<h2 class="card-title">') == 24
    assert second.count('<h2 class="card-title">') == 16
    assert "Early bird until" in first and "card-with-cover" in first
    assert len(statements) <= 2 * MOST_FOR_A_PUBLIC_PAGE


@pytest.mark.parametrize("bookings", [0, 25])
def test_a_retreat_page_sends_the_same_few_statements_for_1_or_6_tickets(
    app, db, make_retreat, count_statements, bookings
):
    one_ticket = make_retreat(capacity=100, tickets=[("Individual", 25_000, 1)])
    six_tickets = make_retreat(capacity=100, tickets=SIX_TICKETS, cover_image=COVER)
    add_early_bird(six_tickets)
    for number in range(bookings):
        booking = paid_booking if number % 4 != 0 else held_booking
        booking(one_ticket, CY)
        booking(six_tickets, ADA, BEA)
    one_slug, six_slug = one_ticket.slug, six_tickets.slug

    for_one = statements_for(app, count_statements, f"/retreats/{one_slug}")
    for_six = statements_for(app, count_statements, f"/retreats/{six_slug}")

    assert len(for_one) == len(for_six) <= MOST_FOR_A_PUBLIC_PAGE, for_six


def test_the_retreat_page_counted_shows_every_ticket(app, db, make_retreat, count_statements):
    retreat = make_retreat(capacity=100, tickets=SIX_TICKETS)
    add_early_bird(retreat)
    for _ in range(10):
        paid_booking(retreat, ADA, BEA)
    path = f"/retreats/{retreat.slug}"
    client = app.test_client()
    with app.app_context(), count_statements() as statements:
        page = client.get(path).get_data(as_text=True)

    for name, _price, _seats in SIX_TICKETS:
        assert name in page
    assert "Early bird until" in page and "80 places left" in page
    assert len(statements) <= MOST_FOR_A_PUBLIC_PAGE


def statements_with_a_session(app, client, count_statements, path: str, **query) -> list[str]:
    with app.app_context(), count_statements() as statements:
        response = client.get(path, query_string=query)
    assert response.status_code == 200, response.status_code
    assert "ETag" not in response.headers  # rendered for them, never the kept page
    return statements


@pytest.mark.parametrize("query", CATALOG_QUERIES)
def test_a_visitor_with_a_session_sends_as_few_and_one_once_the_content_is_kept(
    app, db, make_retreat, count_statements, query
):
    if query.get("month") == "next":
        query = query | {"month": next_month()}
    make_catalog(db, make_retreat, 40)
    retreat_path = f"/retreats/{make_retreat(tickets=SIX_TICKETS).slug}"
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["csrf_token"] = "a visitor who opened the booking form"

    for path, path_query in (("/", query), (retreat_path, {})):
        rendered = statements_with_a_session(app, visitor, count_statements, path, **path_query)
        kept = statements_with_a_session(app, visitor, count_statements, path, **path_query)
        assert len(rendered) <= MOST_FOR_A_PUBLIC_PAGE and len(kept) == 1, (rendered, kept)


def test_a_signed_in_organizer_sends_one_more_for_loading_the_organizer(
    app, db, make_retreat, count_statements, organizer_client
):
    make_catalog(db, make_retreat, 40)
    rendered = statements_with_a_session(app, organizer_client, count_statements, "/")
    kept = statements_with_a_session(app, organizer_client, count_statements, "/")

    assert len(rendered) <= MOST_FOR_A_PUBLIC_PAGE + 1 and len(kept) == 2, (rendered, kept)
