"""Holding seats, confirming and expiring: the booking services called directly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retreats.base.outbox import OutboxEmail
from retreats.booking.capacity import seats_left, seats_taken
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.services import Payment, confirm_booking, expire_booking
from retreats.database import utcnow
from retreats.errors import DomainError, SoldOut
from tests.factories import attendee, held_booking, intake, payment_for

# Ada as she fills in the form here; Bea gave no address.
ADA = attendee("ada@example.org")
BEA = attendee(None, name="Bea Lovelace")


def hold(retreat, seats: int = 1, **options) -> Booking:
    """Ada alone, or Ada and Bea on the couple ticket."""
    return held_booking(retreat, *[ADA, BEA][:seats], **options)


def test_hold_within_capacity_creates_a_pending_booking_with_its_attendees(make_retreat):
    retreat = make_retreat(capacity=3)
    booking = hold(retreat, answers=intake(retreat, {"dietary-needs": "vegan"}))
    assert booking.status == BookingStatus.PENDING
    assert booking.seats == 1
    assert booking.amount_minor == 25_000 and booking.currency == "EUR"
    assert [a.name for a in booking.attendees] == ["Ada Lovelace"]
    assert [(a.attendee, a.label, a.text) for a in booking.answers] == [
        (booking.attendees[0], "Dietary needs", "vegan")
    ]
    assert booking.hold_expires_at > utcnow() + timedelta(minutes=30)
    assert seats_taken(retreat.id) == 1


def test_hold_past_capacity_is_refused_and_writes_nothing(make_retreat, db):
    retreat = make_retreat(capacity=1)
    hold(retreat)
    with pytest.raises(SoldOut):
        hold(retreat)
    assert db.session.query(Booking).count() == 1
    assert seats_left(retreat) == 0


def test_a_couple_ticket_takes_two_seats(make_retreat):
    retreat = make_retreat(capacity=3)
    booking = hold(retreat, seats=2)
    assert booking.seats == 2
    assert [a.name for a in booking.attendees] == ["Ada Lovelace", "Bea Lovelace"]
    assert seats_left(retreat) == 1


def test_a_couple_ticket_does_not_fit_in_the_last_single_seat(make_retreat):
    retreat = make_retreat(capacity=3)
    hold(retreat, seats=2)
    with pytest.raises(SoldOut, match="Only 1 place is left"):
        hold(retreat, seats=2)
    assert seats_left(retreat) == 1


def test_confirming_twice_confirms_once_and_queues_one_email(make_retreat, db):
    retreat = make_retreat()
    booking = hold(retreat)
    first = confirm_booking(booking_id=booking.id, payment=payment_for(booking))
    confirmed_at = first.confirmed_at
    second = confirm_booking(booking_id=booking.id, payment=payment_for(booking))
    assert second.status == BookingStatus.CONFIRMED
    assert second.confirmed_at == confirmed_at
    emails = db.session.query(OutboxEmail).filter_by(kind="confirmation").all()
    assert [(e.kind, e.key, e.to_address) for e in emails] == [
        ("confirmation", f"confirmation:{booking.id}:ada@example.org", "ada@example.org")
    ]


def test_a_payment_that_does_not_match_the_booking_is_not_confirmed(make_retreat, db):
    booking = hold(make_retreat())
    wrong = Payment("cs_x", "pi_x", amount_minor=100, currency="EUR")
    with pytest.raises(DomainError):
        confirm_booking(booking_id=booking.id, payment=wrong)
    assert db.session.get(Booking, booking.id).status == BookingStatus.PENDING


def test_expiry_releases_the_seats(make_retreat):
    retreat = make_retreat(capacity=2)
    booking = hold(retreat, seats=2)
    assert seats_left(retreat) == 0
    assert expire_booking(booking_id=booking.id) is True
    assert seats_left(retreat) == 2
    assert expire_booking(booking_id=booking.id) is False  # a second expiry changes nothing


def test_a_lapsed_hold_no_longer_counts(make_retreat):
    retreat = make_retreat(capacity=1)
    hold(retreat, now=utcnow() - timedelta(hours=1))
    assert seats_left(retreat) == 1
    hold(retreat)  # the seat is free again


def test_late_payment_confirms_when_seats_remain(make_retreat, db):
    retreat = make_retreat(capacity=1)
    booking = hold(retreat)
    expire_booking(booking_id=booking.id)
    confirmed = confirm_booking(booking_id=booking.id, payment=payment_for(booking))
    assert confirmed.status == BookingStatus.CONFIRMED


def test_late_payment_is_not_seated_when_the_seats_went_to_someone_else(make_retreat, db):
    retreat = make_retreat(capacity=1)
    late = hold(retreat)
    expire_booking(booking_id=late.id)
    hold(retreat)  # someone else takes the seat
    result = confirm_booking(booking_id=late.id, payment=payment_for(late))
    assert result.status == BookingStatus.EXPIRED
    assert seats_left(retreat) == 0
    assert db.session.query(OutboxEmail).count() == 0


def test_unpublished_or_past_retreats_cannot_be_booked(make_retreat):
    from retreats.listings.models import RetreatStatus

    draft = make_retreat(status=RetreatStatus.DRAFT)
    with pytest.raises(DomainError, match="not open"):
        hold(draft)
