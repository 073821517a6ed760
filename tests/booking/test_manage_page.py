"""The booking's manage page, /bookings/<ref>?t=<token>: its own secret link opens it, nothing else.

A wrong, missing or borrowed token is a 404 that says nothing about the booking, with or without
Checkout's session_id (the success page is this page too), and changes nothing.
"""

from __future__ import annotations

import pytest

from retreats.booking.models import Booking, BookingStatus
from retreats.booking.services import AttendeeDetails, Payment, confirm_booking, hold_seats
from retreats.booking.tokens import booking_token
from retreats.extensions import db


def booking_for(retreat, name: str, email: str) -> Booking:
    booking = hold_seats(
        retreat_id=retreat.id,
        ticket_type_id=retreat.ticket_types[0].id,
        contact_email=email,
        attendees=[AttendeeDetails(name, email)],
    )
    payment = Payment(f"cs_{booking.id}", None, booking.amount_minor, booking.currency)
    return confirm_booking(booking_id=booking.id, payment=payment)


@pytest.fixture
def bookings(make_retreat) -> tuple[Booking, Booking]:
    """Ada's booking, and Cy's on the same retreat: Cy has a link of his own."""
    retreat = make_retreat()
    return (
        booking_for(retreat, "Ada Lovelace", "ada@example.org"),
        booking_for(retreat, "Cy Young", "cy@example.org"),
    )


def test_the_bookings_own_link_opens_its_page(client, bookings):
    ada, _cy = bookings
    response = client.get(
        f"/bookings/{ada.reference}", query_string={"t": booking_token(ada.reference)}
    )
    assert response.status_code == 200
    assert "Ada Lovelace" in response.get_data(as_text=True)


@pytest.mark.parametrize("session_id", [None, "cs_test_anything"], ids=["page", "success-page"])
@pytest.mark.parametrize("token", ["wrong", "missing", "empty", "another-bookings"])
def test_a_wrong_missing_or_borrowed_token_is_a_404_that_shows_nothing(
    client, bookings, token, session_id
):
    ada, cy = bookings
    query = {
        "wrong": {"t": "not-the-token"},
        "missing": {},
        "empty": {"t": ""},
        "another-bookings": {"t": booking_token(cy.reference)},
    }[token]
    if session_id:
        query["session_id"] = session_id

    response = client.get(f"/bookings/{ada.reference}", query_string=query)

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    for private in ("Ada Lovelace", "ada@example.org", ada.reference):
        assert private not in page
    db.session.expire_all()
    assert db.session.get(Booking, ada.id).status == BookingStatus.CONFIRMED
