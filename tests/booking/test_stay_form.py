"""The booking form sells a stay: rooms and add-ons to choose, what is left of them, a total from
the one pricing function, and the hold's refusals told beside the field they are about."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests

from retreats.booking.models import Attendee, Booking
from retreats.listings.models import RoomType
from tests.conftest import csrf_token_from
from tests.factories import ADA, BEA, CY, add_add_on, add_room_type, held_booking
from tests.journey import filled_booking_form, hidden_value
from tests.visitor_stay import sintra_weekend


@pytest.fixture
def sintra(make_retreat):
    return sintra_weekend(make_retreat)


def form_url(retreat) -> str:
    return f"/retreats/{retreat.slug}/book"


def open_form(client, retreat) -> str:
    response = client.get(form_url(retreat))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def booking_post(page: str, ticket, **choices) -> dict:
    """The form as a visitor fills it, with their room and add-on choices."""
    return filled_booking_form(page, ticket) | {
        name: value for name, value in choices.items() if value is not None
    }


def choice_values(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" type="(?:radio|checkbox)" value="([^"]*)"', html)


def label_of(html: str, value: str, name: str = "room_type") -> str:
    """The text of the label of the choice `value` of `name`, tags removed."""
    match = re.search(
        rf'<input id="([^"]+)" name="{name}" type="(?:radio|checkbox)" value="{value}"[^>]*>'
        r'\s*<label for="\1">(.*?)</label>',
        html,
        re.S,
    )
    assert match, f"no {name} choice {value}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def error_beside(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error beside {field}"
    return match.group(1)


# What the form offers --------------------------------------------------------------------------


def test_the_form_offers_each_room_and_add_on_with_its_price_who_it_is_for_and_what_is_left(
    client, sintra
):
    page = open_form(client, sintra.retreat)

    rooms = [sintra.suite, sintra.garden, sintra.twin, sintra.single]
    assert choice_values(page, "room_type") == [str(room.id) for room in rooms]
    assert label_of(page, str(sintra.suite.id)) == (
        "Sea-view suite · €600.00 per room A private room for two people, sleeps 2 · "
        "2 rooms left. A balcony over the Atlantic."
    )
    assert label_of(page, str(sintra.twin.id)) == (
        "Shared twin · €150.00 per person A bed in a shared room, sleeps 2 "
        "(a couple takes the whole room) · 4 beds left"
    )
    assert "A private room for one person · 2 rooms left" in label_of(page, str(sintra.single.id))
    assert "No accommodation" not in page  # not allowed by this organizer
    add_ons = [sintra.transfer, sintra.session, sintra.night]
    assert choice_values(page, "add_ons") == [str(add_on.id) for add_on in add_ons]
    assert label_of(page, str(sintra.transfer.id), "add_ons") == (
        "Airport transfer · €40.00 per person only 12 left"
    )
    assert label_of(page, str(sintra.session.id), "add_ons") == (
        "Private session · €90.00 per booking only 3 left"
    )
    assert label_of(page, str(sintra.night.id), "add_ons") == "Extra night · €70.00 per person"
    assert 'name="room_share_with"' in page and "seen only by the organizers" in page
    assert '<div id="price-summary" aria-live="polite">' in page
    assert 'name="update_total"' in page and "js/price-summary.js" in page


def test_a_sold_out_room_type_or_add_on_disappears_while_the_others_remain(
    client, db, make_retreat
):
    sintra = sintra_weekend(make_retreat, suites=1)
    sintra.session.quantity_limit = 1
    sintra.garden.hidden = True
    db.session.commit()
    held_booking(
        sintra.retreat,
        ADA,
        BEA,
        room_type_id=sintra.suite.id,
        add_on_ids=[sintra.session.id, sintra.transfer.id],
    )

    page = open_form(client, sintra.retreat)

    assert choice_values(page, "room_type") == [str(sintra.twin.id), str(sintra.single.id)]
    assert "Sea-view suite" not in page and "Garden double" not in page
    assert choice_values(page, "add_ons") == [str(sintra.transfer.id), str(sintra.night.id)]
    assert "only 10 left" in label_of(page, str(sintra.transfer.id), "add_ons")


def test_no_accommodation_is_a_choice_where_the_organizer_allows_it(client, make_retreat):
    sintra = sintra_weekend(make_retreat, allows_no_accommodation=True)

    page = open_form(client, sintra.retreat)

    assert choice_values(page, "room_type")[-1] == "none"
    assert label_of(page, "none").startswith("No accommodation")


def test_a_retreat_without_rooms_or_add_ons_shows_the_form_of_today(client, make_retreat):
    page = open_form(client, make_retreat())

    for absent in (
        "Where you stay",
        "Extras",
        'name="room_type"',
        'name="add_ons"',
        'name="room_share_with"',
        "price-summary",
        "update_total",
        "data-quote-url",
        "<script",
    ):
        assert absent not in page
    # ticket, you, your partner, discount code, gift voucher, conduct
    assert page.count("<fieldset") == 6


def test_a_retreat_with_add_ons_only_shows_no_room_choice(client, make_retreat):
    retreat = make_retreat(tickets=[("Individual", 25_000, 1)])
    add_add_on(retreat, name="Massage", price_minor=6_000)

    page = open_form(client, retreat)

    assert "Where you stay" not in page and 'name="room_share_with"' not in page
    assert "Extras" in page
    # The one ticket is chosen already, so there is a total at once.
    assert re.search(r"Total</th><td>€250.00</td>", page)


# Booking a stay, to Checkout in the local Stripe stand-in --------------------------------------


def checkout_line_items(live_site, app, location: str) -> list[dict]:
    session_id = urlsplit(location).path.rsplit("/", 1)[1]
    answer = requests.get(
        f"{live_site.stripe_url}/v1/checkout/sessions/{session_id}",
        params={"expand[]": "line_items"},
        headers={"Authorization": f"Bearer {app.config['STRIPE_SECRET_KEY']}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["line_items"]["data"]


def test_a_couple_in_the_suite_with_a_transfer_pays_each_part_on_checkout(
    live_site, browser, app, db, sintra
):
    url = f"{live_site.url}{form_url(sintra.retreat)}"
    page = browser.get(url).text
    form = booking_post(
        page, sintra.couple, room_type=str(sintra.suite.id), add_ons=str(sintra.transfer.id)
    )

    response = browser.post(url, data=form, allow_redirects=False)

    assert response.status_code == 303, response.text
    location = response.headers["Location"]
    assert location.startswith(f"{live_site.stripe_url}/checkout/pay/cs_")
    items = checkout_line_items(live_site, app, location)
    assert [
        (item["description"], item["quantity"], item["price"]["unit_amount"], item["amount_total"])
        for item in items
    ] == [
        ("Sintra Weekend: Couple (2 people)", 1, 45_000, 45_000),
        ("Sea-view suite", 1, 60_000, 60_000),
        ("Airport transfer", 2, 4_000, 8_000),
    ]
    assert {item["currency"] for item in items} == {"eur"}
    db.session.expire_all()
    [booking] = db.session.query(Booking).all()
    assert booking.room_type_id == sintra.suite.id and booking.takes_whole_room
    assert booking.amount_minor == 113_000
    assert booking.room_share_with is None


def test_a_single_in_a_shared_twin_keeps_whom_she_would_share_with(live_site, browser, db, sintra):
    url = f"{live_site.url}{form_url(sintra.retreat)}"
    form = booking_post(
        browser.get(url).text,
        sintra.individual,
        room_type=str(sintra.twin.id),
        room_share_with="  Ben, my sister  ",
    )

    assert browser.post(url, data=form, allow_redirects=False).status_code == 303

    db.session.expire_all()
    [booking] = db.session.query(Booking).all()
    assert booking.room_type_id == sintra.twin.id and not booking.takes_whole_room
    assert booking.room_share_with == "Ben, my sister"
    assert [(line.name, line.quantity, line.amount_minor) for line in booking.lines] == [
        ("Individual", 1, 25_000),
        ("Shared twin", 1, 15_000),
    ]


# Refused choices: a clear message beside the field, nothing written ----------------------------


def other_retreat_room(make_retreat) -> RoomType:
    return add_room_type(make_retreat(), name="Somebody else's suite")


@pytest.mark.parametrize(
    ("ticket", "choices", "status", "field", "message"),
    [
        ("couple", {"room_type": None}, 422, "room_type", "Please choose where you stay."),
        ("couple", {"room_type": "abc"}, 422, "room_type", "Please choose one of the rooms"),
        ("couple", {"room_type": "99999999999"}, 422, "room_type", "Please choose one of the"),
        ("couple", {"room_type": "none"}, 400, "room_type", "Please choose a room."),
        ("couple", {"room_type": "other"}, 400, "room_type", "Please choose one of the rooms"),
        ("couple", {"room_type": "hidden"}, 400, "room_type", "Please choose one of the rooms"),
        ("couple", {"room_type": "single"}, 400, "room_type", "is not for two people"),
        ("individual", {"add_ons": "x1"}, 422, "add_ons", "Please choose among the extras"),
        ("individual", {"add_ons": "123456"}, 400, "add_ons", "Please choose among the extras"),
        ("individual", {"add_ons": "only_couples"}, 400, "add_ons", "does not come with this"),
        ("individual", {"room_share_with": "x" * 201}, 422, "room_share_with", "cannot be longer"),
    ],
)
def test_a_refused_choice_is_told_beside_its_field_and_writes_nothing(
    client, db, make_retreat, sintra, ticket, choices, status, field, message
):
    hidden = sintra.garden
    hidden_id = hidden.id
    page = open_form(client, sintra.retreat)
    hidden.hidden = True
    only_couples = sintra.night
    only_couples.ticket_types = [sintra.couple]
    db.session.commit()
    named = {
        "other": str(other_retreat_room(make_retreat).id),
        "hidden": str(hidden_id),
        "single": str(sintra.single.id),
        "only_couples": str(only_couples.id),
    }
    values = {"room_type": str(sintra.suite.id)} | {
        name: named.get(value, value) for name, value in choices.items()
    }
    chosen = sintra.couple if ticket == "couple" else sintra.individual
    form = booking_post(page, chosen, **values)

    response = client.post(form_url(sintra.retreat), data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert message in error_beside(html, field)
    assert re.search(
        rf'aria-invalid="true"[^>]*name="{field}"|name="{field}"[^>]*aria-invalid', html
    )
    assert "waitlist" not in html
    assert 'value="Ada Lovelace"' in html  # the rest of the form is kept
    assert db.session.query(Booking).count() == 0
    assert db.session.query(Attendee).count() == 0


def test_a_room_sold_out_between_form_and_submit_is_told_beside_the_room_choice(
    client, db, make_retreat
):
    sintra = sintra_weekend(make_retreat, suites=1)
    page = open_form(client, sintra.retreat)
    held_booking(sintra.retreat, CY, room_type_id=sintra.suite.id)

    response = client.post(
        form_url(sintra.retreat),
        data=booking_post(page, sintra.couple, room_type=str(sintra.suite.id)),
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert error_beside(html, "room_type") == (
        "The last “Sea-view suite” was just taken. Please choose another room."
    )
    assert "join the waitlist" not in html.lower()
    assert str(sintra.suite.id) not in choice_values(html, "room_type")
    assert str(sintra.garden.id) in choice_values(html, "room_type")
    assert 'value="Bea Lovelace"' in html
    db.session.expire_all()
    assert db.session.query(Booking).count() == 1  # Cy's alone


def test_an_add_on_sold_out_between_form_and_submit_is_told_beside_the_extras(client, db, sintra):
    page = open_form(client, sintra.retreat)
    for _ in range(3):
        held_booking(
            sintra.retreat, CY, room_type_id=sintra.twin.id, add_on_ids=[sintra.session.id]
        )

    response = client.post(
        form_url(sintra.retreat),
        data=booking_post(
            page,
            sintra.couple,
            room_type=str(sintra.garden.id),
            add_ons=[str(sintra.transfer.id), str(sintra.session.id)],
        ),
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "“Private session” has none left" in error_beside(html, "add_ons")
    assert "waitlist" not in html
    assert choice_values(html, "add_ons") == [str(sintra.transfer.id), str(sintra.night.id)]
    assert re.search(
        rf'checked[^>]*value="{sintra.transfer.id}"|value="{sintra.transfer.id}"[^>]*checked', html
    )
    db.session.expire_all()
    assert db.session.query(Booking).count() == 3


def test_a_room_posted_to_a_retreat_without_rooms_is_refused_at_the_top(client, db, make_retreat):
    retreat = make_retreat()
    page = open_form(client, retreat)
    other = other_retreat_room(make_retreat)

    response = client.post(
        form_url(retreat),
        data=booking_post(page, retreat.ticket_types[0], room_type=str(other.id)),
    )

    assert response.status_code == 400
    assert "Please choose one of the rooms offered." in response.get_data(as_text=True)
    assert db.session.query(Booking).count() == 0


# The total without JavaScript -------------------------------------------------------------------


def summary_of(html: str) -> str:
    start = html.index('<div id="price-summary" aria-live="polite">')
    end = html.index('<p class="update-total">', start)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:end]).split())


def test_update_total_shows_the_form_again_with_the_total_and_holds_nothing(client, db, sintra):
    page = open_form(client, sintra.retreat)
    assert summary_of(page) == "Choose a ticket to see your total."
    choices = {
        "csrf_token": csrf_token_from(page),
        "submission_key": hidden_value(page, "submission_key"),
        "ticket_type": str(sintra.couple.id),
        "room_type": str(sintra.suite.id),
        "add_ons": [str(sintra.transfer.id), str(sintra.session.id)],
        "update_total": "1",
    }

    response = client.post(form_url(sintra.retreat), data=choices)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert summary_of(html) == (
        "Couple (2 people) €450.00 Sea-view suite €600.00 Airport transfer 2 × €40.00 €80.00 "
        "Private session €90.00 Total €1,220.00"
    )
    assert 'class="error"' not in html  # the people are not asked for yet
    assert re.search(
        rf'value="{sintra.suite.id}" checked|checked[^>]*value="{sintra.suite.id}"', html
    )
    assert hidden_value(html, "submission_key") == choices["submission_key"]
    assert db.session.query(Booking).count() == 0


def test_update_total_with_a_room_not_for_two_says_so_beside_it(client, db, sintra):
    page = open_form(client, sintra.retreat)
    response = client.post(
        form_url(sintra.retreat),
        data={
            "csrf_token": csrf_token_from(page),
            "ticket_type": str(sintra.couple.id),
            "room_type": str(sintra.single.id),
            "update_total": "1",
        },
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is not for two people" in error_beside(html, "room_type")
    assert "is not for two people" in summary_of(html)
    assert db.session.query(Booking).count() == 0


# The total with JavaScript: the quote endpoint --------------------------------------------------


def quote(client, retreat, page: str, **choices):
    data = {"csrf_token": csrf_token_from(page)} | choices
    return client.post(f"/retreats/{retreat.slug}/book/quote", data=data)


def test_the_quote_endpoint_gives_the_summary_of_the_choices(client, db, sintra):
    page = open_form(client, sintra.retreat)

    response = quote(
        client,
        sintra.retreat,
        page,
        ticket_type=str(sintra.individual.id),
        room_type=str(sintra.twin.id),
        add_ons=[str(sintra.night.id)],
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="price-summary-body" data-price-summary>')
    assert " ".join(re.sub(r"<[^>]+>", " ", html).split()) == (
        "Individual €250.00 Shared twin €150.00 Extra night €70.00 Total €470.00"
    )
    assert "<html" not in html
    assert db.session.query(Booking).count() == 0


def test_the_quote_is_what_the_booking_is_priced_at(client, db, sintra):
    page = open_form(client, sintra.retreat)
    choice = {
        "room_type_id": sintra.garden.id,
        "add_on_ids": [sintra.transfer.id, sintra.session.id],
    }
    quoted = quote(
        client,
        sintra.retreat,
        page,
        ticket_type=str(sintra.couple.id),
        room_type=str(choice["room_type_id"]),
        add_ons=[str(i) for i in choice["add_on_ids"]],
    ).get_data(as_text=True)

    booking = held_booking(sintra.retreat, ADA, BEA, **choice)

    total = re.search(r"Total</th><td>([^<]*)</td>", quoted).group(1)
    assert total == "€1,020.00" and booking.amount_minor == 102_000


@pytest.mark.parametrize(
    ("choices", "status", "reason"),
    [
        ({"room_type": "other"}, 400, "Please choose one of the rooms offered."),
        ({"room_type": "single"}, 400, "is not for two people"),
        ({"room_type": "'; drop table"}, 422, "Please choose one of the rooms offered."),
        ({"add_ons": ["1", "two"]}, 422, "Please choose among the extras offered."),
        ({"add_ons": [str(n) for n in range(1, 60)]}, 422, "Please choose among the extras"),
        ({"add_ons": ["987654"]}, 400, "Please choose among the extras offered."),
        ({"ticket_type": "123456"}, 422, "Please choose one of the tickets offered."),
        ({"ticket_type": "x"}, 422, "Please choose one of the tickets offered."),
    ],
)
def test_the_quote_endpoint_refuses_a_tampered_choice_with_a_reason(
    client, db, make_retreat, sintra, choices, status, reason
):
    page = open_form(client, sintra.retreat)
    named = {"other": str(other_retreat_room(make_retreat).id), "single": str(sintra.single.id)}
    values = {"ticket_type": str(sintra.couple.id), "room_type": str(sintra.garden.id)} | {
        name: named.get(value, value) if isinstance(value, str) else value
        for name, value in choices.items()
    }

    response = quote(client, sintra.retreat, page, **values)

    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert 'class="error"' in html and reason in html
    assert "data-price-summary" in html


def test_the_quote_endpoint_asks_for_what_is_missing(client, sintra):
    page = open_form(client, sintra.retreat)

    no_ticket = quote(client, sintra.retreat, page)
    no_room = quote(client, sintra.retreat, page, ticket_type=str(sintra.couple.id))

    assert no_ticket.status_code == no_room.status_code == 200
    assert "Choose a ticket to see your total." in no_ticket.get_data(as_text=True)
    assert "Choose where you stay to see your total." in no_room.get_data(as_text=True)


def test_the_quote_endpoint_needs_the_csrf_token_and_a_bookable_retreat(client, make_retreat):
    sintra = sintra_weekend(make_retreat)
    url = f"/retreats/{sintra.retreat.slug}/book/quote"

    assert client.post(url, data={"ticket_type": str(sintra.couple.id)}).status_code == 400
    page = open_form(client, sintra.retreat)
    missing = client.post(
        "/retreats/no-such-retreat/book/quote", data={"csrf_token": csrf_token_from(page)}
    )
    assert missing.status_code == 404
    assert client.get(url).status_code == 405
