"""The manage page shows a stay's parts as they were priced when the booking was made."""

from __future__ import annotations

import re

from retreats.booking.tokens import booking_token
from tests.factories import ADA, BEA, CY, paid_booking
from tests.visitor_stay import sintra_weekend


def details_of(client, booking) -> str:
    response = client.get(
        f"/bookings/{booking.reference}", query_string={"t": booking_token(booking.reference)}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    start = html.index("<h2>Details</h2>")
    return " ".join(re.sub(r"<[^>]+>", " ", html[start : html.index("</dl>", start)]).split())


def test_the_manage_page_shows_each_part_and_the_total(client, db, make_retreat):
    sintra = sintra_weekend(make_retreat)
    booking = paid_booking(
        sintra.retreat,
        ADA,
        BEA,
        room_type_id=sintra.suite.id,
        add_on_ids=[sintra.transfer.id, sintra.session.id],
    )
    sintra.suite.price_minor = 99_000  # a later price change is not what they were asked to pay
    db.session.commit()

    details = details_of(client, booking)

    assert details.startswith(
        "Details Ticket Couple (2 people) Room Sea-view suite "
        "Price Couple (2 people) €450.00 Sea-view suite €600.00 "
        "Airport transfer 2 × €40.00 €80.00 Private session €90.00 Total €1,220.00 "
        "People Ada Lovelace, Bea Lovelace"
    ), details


def test_a_booking_of_a_ticket_alone_looks_as_before(client, make_retreat):
    booking = paid_booking(make_retreat(), CY)

    details = details_of(client, booking)

    assert details.startswith("Details Ticket Individual Amount €250.00 People Cy Young")
    assert "Total" not in details and "Room" not in details
