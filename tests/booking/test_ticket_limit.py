"""A ticket type's quantity limit, and payments for a retreat that was cancelled meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retreats.booking.capacity import tickets_taken
from retreats.booking.models import BookingStatus
from retreats.booking.services import confirm_booking, expire_booking
from retreats.errors import SoldOut
from retreats.listings.models import RetreatStatus
from tests.factories import ADA, BEA, held_booking, payment_for, ticket_for


def test_a_limited_ticket_stops_selling_at_its_limit_while_others_still_sell(db, make_retreat):
    retreat = make_retreat(capacity=10)
    ticket_for(retreat, 1).quantity_limit = 2
    db.session.commit()
    held_booking(retreat)
    held_booking(retreat)

    with pytest.raises(SoldOut, match="Individual"):
        held_booking(retreat)

    couple = held_booking(retreat, ADA, BEA)
    assert couple.status == BookingStatus.PENDING  # the couple ticket sells on
    assert tickets_taken(retreat.id) == {ticket_for(retreat, 1).id: 2, ticket_for(retreat, 2).id: 1}


def test_a_released_hold_gives_its_limited_ticket_back(db, make_retreat):
    retreat = make_retreat(capacity=10)
    ticket_for(retreat, 1).quantity_limit = 1
    db.session.commit()
    first = held_booking(retreat)
    expire_booking(booking_id=first.id)

    assert held_booking(retreat).status == BookingStatus.PENDING


def test_a_payment_for_a_cancelled_retreat_never_confirms(db, make_retreat):
    retreat = make_retreat(capacity=10)
    booking = held_booking(retreat)
    retreat.status = RetreatStatus.CANCELLED
    db.session.commit()

    result = confirm_booking(booking_id=booking.id, payment=payment_for(booking))

    assert result.status == BookingStatus.CANCELLED
    assert result.confirmed_at is None
    assert result.paid_without_a_seat  # so the caller refunds it in full


def test_a_late_payment_for_a_cancelled_retreat_never_confirms(db, make_retreat):
    retreat = make_retreat(capacity=10)
    booking = held_booking(retreat)
    expire_booking(booking_id=booking.id)
    retreat.status = RetreatStatus.CANCELLED
    db.session.commit()

    result = confirm_booking(
        booking_id=booking.id,
        payment=payment_for(booking),
        now=booking.hold_expires_at + timedelta(1),
    )

    assert result.status == BookingStatus.EXPIRED
    assert result.paid_without_a_seat


def test_the_booking_form_offers_a_limited_ticket_only_while_some_are_left(
    db, client, make_retreat
):
    retreat = make_retreat(capacity=10)
    limited, couple = ticket_for(retreat, 1), ticket_for(retreat, 2)
    limited.quantity_limit = 1
    db.session.commit()
    limited_id, couple_id = limited.id, couple.id
    path = f"/retreats/{retreat.slug}/book"
    assert f'value="{limited_id}"' in client.get(path).get_data(as_text=True)

    held_booking(retreat)

    page = client.get(path).get_data(as_text=True)
    assert f'value="{limited_id}"' not in page
    assert f'value="{couple_id}"' in page
