"""A retreat page that sells a stay shows its rooms with "from" prices and what is left, and its
extras with their prices, in a few statements, and never staler than the last booking."""

from __future__ import annotations

import re

import pytest

from tests.catalog.statements import statements_to_render
from tests.factories import ADA, BEA, CY, add_add_on, add_room_type, held_booking
from tests.visitor_stay import sintra_weekend


@pytest.fixture(autouse=True)
def read_the_state_on_every_request(app):
    app.config["PUBLIC_PAGE_RECHECK_MS"] = 0


def get_page(app, path: str, count_statements=None) -> tuple[str, list[str] | None]:
    """One anonymous GET in a fresh app context, as a real request has."""
    client = app.test_client()
    with app.app_context():
        if count_statements is None:
            response = client.get(path)
            statements = None
        else:
            with count_statements() as counted:
                response = client.get(path)
            statements = list(counted)
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, heading: str) -> str:
    """The text under an h2 of the retreat's body, up to the next h2."""
    start = html.index(f"<h2>{heading}</h2>")
    return text_of(html[start : html.index("<h2", start + 4)])


def test_the_page_lists_rooms_with_from_prices_and_what_is_left_and_extras(app, make_retreat):
    sintra = sintra_weekend(make_retreat, suites=1, allows_no_accommodation=True)
    held_booking(sintra.retreat, ADA, BEA, room_type_id=sintra.suite.id)
    held_booking(sintra.retreat, CY, room_type_id=sintra.twin.id, add_on_ids=[sintra.session.id])

    page, _ = get_page(app, f"/retreats/{sintra.retreat.slug}")

    assert section(page, "Where you stay") == (
        "Where you stay "
        "Sea-view suite From €1,050.00 for two, ticket included · Room price €600.00 per room "
        "A private room for two people, sleeps 2 · Sold out A balcony over the Atlantic. "
        "Garden double From €850.00 for two, ticket included · Room price €400.00 per room "
        "A private room for two people, sleeps 2 · 3 rooms left "
        "Shared twin From €400.00 for one, ticket included · Room price €150.00 per person "
        "A bed in a shared room, sleeps 2 (a couple takes the whole room) · 3 beds left "
        "Single room From €450.00 for one, ticket included · Room price €200.00 per room "
        "A private room for one person · 2 rooms left "
        "You may also book without accommodation and stay elsewhere."
    )
    assert section(page, "Extras") == (
        "Extras "
        "Airport transfer €40.00 per person · only 12 left "
        "Private session €90.00 per booking · only 2 left "
        "Extra night €70.00 per person"
    )


def test_a_sold_out_add_on_and_a_hidden_room_show_so(app, db, make_retreat):
    sintra = sintra_weekend(make_retreat)
    sintra.session.quantity_limit = 1
    sintra.garden.hidden = True
    db.session.commit()
    held_booking(sintra.retreat, CY, add_on_ids=[sintra.session.id], room_type_id=sintra.twin.id)

    page, _ = get_page(app, f"/retreats/{sintra.retreat.slug}")

    assert "Garden double" not in page
    assert "Private session €90.00 per booking · Sold out" in section(page, "Extras")


def test_a_retreat_without_a_stay_shows_no_such_section(app, make_retreat):
    page, _ = get_page(app, f"/retreats/{make_retreat().slug}")

    assert "Where you stay" not in page and "<h2>Extras</h2>" not in page


def test_a_retreat_with_extras_only_lists_them_without_rooms(app, make_retreat):
    retreat = make_retreat()
    add_add_on(retreat, name="Massage", price_minor=6_000, description="Fifty minutes.")

    page, _ = get_page(app, f"/retreats/{retreat.slug}")

    assert "Where you stay" not in page
    assert section(page, "Extras") == "Extras Massage €60.00 per person Fifty minutes."


def test_the_kept_page_shows_the_rooms_left_after_each_booking(app, db, make_retreat):
    sintra = sintra_weekend(make_retreat, suites=2)
    path = f"/retreats/{sintra.retreat.slug}"
    assert "2 rooms left" in section(get_page(app, path)[0], "Where you stay").split("Garden")[0]

    held_booking(sintra.retreat, ADA, BEA, room_type_id=sintra.suite.id)
    suite = section(get_page(app, path)[0], "Where you stay").split("Garden")[0]
    assert "1 room left" in suite

    held_booking(sintra.retreat, ADA, BEA, room_type_id=sintra.suite.id)
    suite = section(get_page(app, path)[0], "Where you stay").split("Garden")[0]
    assert "Sold out" in suite


@pytest.mark.parametrize("limited", [False, True])
def test_a_stay_costs_the_same_few_statements_for_1_or_5_room_types_and_add_ons(
    app, db, make_retreat, count_statements, limited
):
    small = make_retreat(capacity=50)
    add_room_type(small, name="Suite")
    add_add_on(small, name="Transfer", quantity_limit=12 if limited else None)
    large = make_retreat(capacity=50)
    for number in range(5):
        room = add_room_type(large, name=f"Room {number}", shared=number % 2 == 1)
        add_add_on(large, name=f"Extra {number}", quantity_limit=6 if limited else None)
        held_booking(large, CY, room_type_id=room.id)
    expected = statements_to_render(
        "/retreats/x", room_types=True, add_ons=True, limited_add_ons=limited
    )

    for retreat in (small, large):
        page, statements = get_page(app, f"/retreats/{retreat.slug}", count_statements)
        assert len(statements) == expected, statements
    assert "Room 4" in page and "Extra 4" in page


def test_rooms_alone_or_add_ons_alone_cost_only_their_own_statements(
    app, db, make_retreat, count_statements
):
    rooms_only = make_retreat()
    add_room_type(rooms_only)
    extras_only = make_retreat()
    add_add_on(extras_only)

    _, for_rooms = get_page(app, f"/retreats/{rooms_only.slug}", count_statements)
    _, for_extras = get_page(app, f"/retreats/{extras_only.slug}", count_statements)

    assert len(for_rooms) == statements_to_render("/retreats/x", room_types=True) == 5
    assert len(for_extras) == statements_to_render("/retreats/x", add_ons=True) == 4


def card_price(html: str, title: str) -> str:
    """The "from" price on the catalog card of the retreat titled `title`."""
    card = next(part for part in html.split("<article")[1:] if title in part)
    return re.search(r'class="price">from ([^<]+)<', card).group(1)


def test_a_catalog_card_prices_its_cheapest_stay_where_a_room_is_required(
    app, db, make_retreat, count_statements
):
    sintra = sintra_weekend(make_retreat)  # an individual ticket €250; rooms from €150 a person
    commuters = sintra_weekend(make_retreat, allows_no_accommodation=True)
    commuters.retreat.title = "Sintra Day Visits"
    make_retreat(title="Quiet Workshop")  # no rooms: its cheapest ticket, €250
    db.session.commit()

    html, statements = get_page(app, "/", count_statements)

    # Where a room is required, the least a booking costs: the individual ticket and a bed in the
    # shared twin (€250 + €150); where guests may come without a room, the ticket alone.
    assert card_price(html, "Sintra Weekend") == "€400.00"
    assert card_price(html, "Sintra Day Visits") == "€250.00"
    assert card_price(html, "Quiet Workshop") == "€250.00"
    assert len(statements) == statements_to_render("/", room_types=True)
    sintra.twin.hidden = True  # then the single room, €250 + €200
    db.session.commit()
    html, _ = get_page(app, "/")
    assert card_price(html, "Sintra Weekend") == "€450.00"
