"""A booking's parts on the organizer's pages: the booking page, the attendee list and its CSV show
the room, the named room, the add-ons and the lines the booking was priced at (booking_quote),
and the list still runs a fixed number of statements."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from retreats.listings.models import PricePer
from retreats.organizer.attendees import export
from retreats.organizer.attendees.export import COLUMNS, PRIVATE_COLUMNS
from tests.conftest import on_both_databases
from tests.factories import ADA, BEA, CY, add_add_on, add_room_type, attendee, paid_booking
from tests.organizer.helpers import audit_entries_with_action, booking_blocks, list_page
from tests.organizer.test_attendees import statements_for_list

WISH = "Anyone who does not snore"


@pytest.fixture
def stay(make_retreat):
    retreat = make_retreat(capacity=100, allows_no_accommodation=True)
    double = add_room_type(retreat, name="Garden double", rooms=40, price_minor=30_000)
    twin = add_room_type(retreat, name="Shared twin", rooms=40, shared=True, price_minor=12_000)
    transfer = add_add_on(retreat, name="Airport transfer", price_minor=4_000)
    massage = add_add_on(retreat, name="Massage", price_minor=7_000, price_per=PricePer.BOOKING)
    return retreat, double, twin, transfer, massage


def detail_page(client, booking, **query) -> str:
    url = f"/organizer/retreats/{booking.retreat_id}/bookings/{booking.id}"
    response = client.get(url, query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def parts_rows(page: str) -> list[list[str]]:
    """The cells of each row of the page's parts table, tags and all spaces removed."""
    table = re.search(r'<table class="table booking-parts">.*?</table>', page, flags=re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    return [
        [
            " ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        for row in rows
    ]


def test_the_booking_page_shows_each_part_as_priced_and_the_total(organizer_client, stay, db):
    retreat, double, _, transfer, massage = stay
    booking = paid_booking(
        retreat, ADA, BEA, room_type_id=double.id, add_on_ids=[transfer.id, massage.id]
    )
    double.price_minor = 99_900  # a later price change changes nothing already booked
    db.session.commit()

    page = detail_page(organizer_client, booking)

    assert parts_rows(page) == [
        ["Part", "Quantity", "Price each", "Amount"],
        ["Couple (2 people) (ticket)", "1", "€450.00", "€450.00"],
        ["Garden double (room)", "1", "€300.00", "€300.00"],
        ["Airport transfer (add-on)", "2", "€40.00", "€80.00"],
        ["Massage (add-on)", "1", "€70.00", "€70.00"],
        ["Total", "€900.00"],
    ]
    assert "<dt>Room</dt><dd>Garden double, whole room</dd>" in page
    assert "<dt>Add-ons</dt><dd>Airport transfer × 2, Massage</dd>" in page
    assert "<dt>Named room</dt><dd>Not given yet" in page


def test_a_workshop_booking_shows_its_ticket_line_and_no_room(organizer_client, make_retreat):
    booking = paid_booking(make_retreat(), CY)

    page = detail_page(organizer_client, booking)

    assert parts_rows(page)[1:] == [
        ["Individual (ticket)", "1", "€250.00", "€250.00"],
        ["Total", "€250.00"],
    ]
    assert "<dt>Room</dt>" not in page and "<dt>Named room</dt>" not in page
    assert "<dt>Add-ons</dt>" not in page


@on_both_databases  # private answers and their audit
def test_the_booking_page_shows_the_share_wish_only_with_the_private_answers(
    organizer_client, stay, db
):
    retreat, _, twin, _, _ = stay
    booking = paid_booking(retreat, CY, room_type_id=twin.id, room_share_with=WISH)

    assert WISH not in detail_page(organizer_client, booking)
    assert audit_entries_with_action(db, "answers.viewed") == []

    shown = detail_page(organizer_client, booking, private="1")
    assert f'<dt>Room share wish</dt><dd class="attendee-private">{WISH}</dd>' in shown
    [entry] = audit_entries_with_action(db, "answers.viewed")
    assert entry.booking_id == booking.id


def test_the_attendee_list_shows_each_bookings_stay_named_room_and_add_ons(
    organizer_client, stay, db
):
    retreat, double, twin, transfer, _ = stay
    couple = paid_booking(retreat, ADA, BEA, room_type_id=double.id, add_on_ids=[transfer.id])
    single = paid_booking(retreat, CY, room_type_id=twin.id, room_share_with=WISH)
    commuter = paid_booking(retreat, attendee("eve@example.org", "Eve Stone"))
    couple.room_label = "Olive 2"
    db.session.commit()

    blocks = booking_blocks(list_page(organizer_client, retreat))

    assert (
        "Garden double, whole room · named room Olive 2 · add-ons: Airport transfer × 2"
        in (blocks[couple.reference])
    )
    assert "Shared twin, bed in a shared room</span>" in blocks[single.reference]
    assert WISH not in blocks[single.reference]
    assert "room" not in blocks[commuter.reference].split("</th>")[0].split("booked by")[1]
    shown = booking_blocks(list_page(organizer_client, retreat, private="1"))
    assert f"would share with: {WISH}" in shown[single.reference]


@pytest.mark.parametrize("query", [{}, {"status": "all", "q": "example", "private": "1"}])
def test_the_attendee_list_keeps_its_statement_budget_with_rooms_and_add_ons(
    app, organizer_client, make_retreat, count_statements, query
):
    ids = []
    for count in (3, 30):
        retreat = make_retreat(capacity=200, allows_no_accommodation=True)
        double = add_room_type(retreat, rooms=100)
        transfer = add_add_on(retreat)
        massage = add_add_on(retreat, name="Massage")
        for number in range(count):
            room = double.id if number % 2 else None
            paid_booking(retreat, CY, room_type_id=room, add_on_ids=[transfer.id, massage.id])
        ids.append(retreat.id)

    counts = [
        len(statements_for_list(app, count_statements, organizer_client, retreat_id, **query))
        for retreat_id in ids
    ]

    assert counts[0] == counts[1], counts
    if not query:
        assert counts[0] <= 7, counts  # the attendee list's budget (test_attendees.py)


def download(client, retreat, **query) -> list[dict[str, str]]:
    response = client.get(f"/organizer/retreats/{retreat.id}/attendees.csv", query_string=query)
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@on_both_databases  # private answers and their audit
def test_the_attendee_csv_carries_each_bookings_parts_and_the_wish_only_when_ticked(
    organizer_client, stay, monkeypatch
):
    monkeypatch.setattr(export, "BATCH_SIZE", 2)  # a couple split over two batches too
    retreat, double, twin, transfer, massage = stay
    single = paid_booking(retreat, CY, room_type_id=twin.id, room_share_with=WISH)
    couple = paid_booking(
        retreat, ADA, BEA, room_type_id=double.id, add_on_ids=[transfer.id, massage.id]
    )
    commuter = paid_booking(retreat, attendee("eve@example.org", "Eve Stone"))

    rows = download(organizer_client, retreat)

    assert list(rows[0]) == COLUMNS
    by_name = {row["Name"]: row for row in rows}
    cy, ada, bea, eve = (by_name[name] for name in ("Cy Young", ADA.name, BEA.name, "Eve Stone"))
    assert (cy["Booking"], ada["Booking"], eve["Booking"]) == (
        single.reference,
        couple.reference,
        commuter.reference,
    )
    assert (cy["Room type"], cy["Stay"], cy["Add-ons"]) == (
        "Shared twin",
        "Bed in a shared room",
        "",
    )
    assert cy["Booking lines"] == "Individual: 250.00; Shared twin: 120.00"
    assert cy["Booking total"] == "370.00"
    for person in (ada, bea):
        assert (person["Room type"], person["Stay"]) == ("Garden double", "Whole room")
        assert person["Add-ons"] == "Airport transfer × 2; Massage"
        assert person["Booking lines"] == (
            "Couple (2 people): 450.00; Garden double: 300.00; "
            "Airport transfer × 2 at 40.00: 80.00; Massage: 70.00"
        )
        assert person["Booking total"] == person["Booking paid"] == "900.00"
    assert (eve["Room type"], eve["Stay"], eve["Named room"]) == ("", "", "")
    assert eve["Booking lines"] == "Individual: 250.00"
    assert WISH not in str(rows)

    private_rows = download(organizer_client, retreat, private="1")
    assert list(private_rows[0]) == COLUMNS + PRIVATE_COLUMNS
    wishes = {row["Name"]: row["Room share wish"] for row in private_rows}
    assert wishes == {"Cy Young": WISH, ADA.name: "", BEA.name: "", "Eve Stone": ""}
