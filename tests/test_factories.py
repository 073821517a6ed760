"""The factories make what their names say: each booking state as the app itself would write it."""

from __future__ import annotations

from datetime import timedelta

from werkzeug.security import check_password_hash

from retreats.base.outbox import OutboxEmail
from retreats.booking.capacity import seats_left, seats_taken
from retreats.booking.models import BookingStatus, WaitlistStatus
from retreats.database import utcnow
from retreats.payments.models import Refund, RefundStatus
from tests.factories import (
    ADA,
    BEA,
    ORGANIZER_PASSWORD,
    add_ticket_type,
    cancelled_booking,
    create_organizer,
    expired_booking,
    held_booking,
    lapsed_booking,
    paid_booking,
    refunded_booking,
    stored_booking,
    waitlist_entry,
    waitlist_offer,
)


def test_organizers_with_a_password_a_stand_in_or_none(db):
    with_password = create_organizer(email="a@example.org", password=ORGANIZER_PASSWORD)
    stand_in = create_organizer(email="b@example.org")
    invited = create_organizer(email="c@example.org", with_password=False)

    assert check_password_hash(with_password.password_hash, ORGANIZER_PASSWORD)
    assert stand_in.password_hash and not check_password_hash(stand_in.password_hash, "")
    assert invited.password_hash is None


def test_retreats_are_numbered_within_a_test_and_take_more_tickets(make_retreat):
    first, second = make_retreat(), make_retreat(capacity=3)
    early = add_ticket_type(second, sale_ends_at=utcnow() + timedelta(days=5))

    assert (first.slug, second.title) == ("retreat-1", "Heart Retreat 2")
    assert [t.name for t in second.ticket_types] == ["Individual", "Couple (2 people)", early.name]
    assert early.position == 2


def test_a_held_booking_keeps_its_seats_and_a_lapsed_one_no_longer_does(make_retreat):
    retreat = make_retreat(capacity=4)
    held = held_booking(retreat, ADA, BEA)
    lapsed = lapsed_booking(retreat)

    assert held.status == lapsed.status == BookingStatus.PENDING
    assert held.hold_expires_at > utcnow() > lapsed.hold_expires_at
    assert [person.name for person in held.attendees] == [ADA.name, BEA.name]
    assert seats_taken(retreat.id) == 2


def test_a_paid_booking_is_confirmed_with_its_payment_and_its_emails(db, make_retreat):
    retreat = make_retreat()
    paid = paid_booking(retreat, ADA)
    no_intent = paid_booking(retreat, BEA, payment_intent=False)

    assert paid.status == BookingStatus.CONFIRMED and paid.confirmed_at is not None
    assert paid.payment_intent_id == f"pi_test_{paid.id}"
    assert no_intent.payment_intent_id is None
    kinds = {row.kind for row in db.session.query(OutboxEmail).filter_by(booking_id=paid.id)}
    assert {"confirmation", "organizer_new_booking"} <= kinds
    assert seats_taken(retreat.id) == 2


def test_cancelled_and_expired_bookings_give_their_seats_back(make_retreat):
    retreat = make_retreat(capacity=2)
    cancelled = cancelled_booking(retreat)
    expired = expired_booking(retreat)

    assert cancelled.status == BookingStatus.CANCELLED and cancelled.cancelled_at is not None
    assert cancelled.confirmed_at is None
    assert expired.status == BookingStatus.EXPIRED and expired.expired_at is not None
    assert seats_left(retreat) == 2


def test_a_refunded_booking_is_cancelled_with_its_refund_paid_out(db, make_retreat):
    retreat = make_retreat()
    full = refunded_booking(retreat, ADA, BEA)
    part = refunded_booking(retreat, ADA, refund_minor=10_000)

    assert full.status == part.status == BookingStatus.CANCELLED
    assert (full.refunded_minor, part.refunded_minor) == (full.amount_minor, 10_000)
    refunds = db.session.query(Refund).order_by(Refund.id).all()
    assert [(r.booking_id, r.amount_minor) for r in refunds] == [
        (full.id, full.amount_minor),
        (part.id, 10_000),
    ]
    assert all(r.status == RefundStatus.SUCCEEDED and r.stripe_refund_id for r in refunds)
    assert seats_left(retreat) == retreat.capacity


def test_a_stored_booking_is_written_as_told(make_retreat):
    retreat = make_retreat()
    booking = stored_booking(retreat, status=BookingStatus.CANCELLED, refunded=5_000)

    assert (booking.status, booking.refunded_minor) == (BookingStatus.CANCELLED, 5_000)
    assert booking.confirmed_at is not None and booking.attendees == []


def test_a_waitlist_offer_holds_its_seats_and_a_waiting_entry_does_not(make_retreat):
    retreat = make_retreat(capacity=4)
    waiting = waitlist_entry(retreat, seats=2)
    offer = waitlist_offer(retreat, email="offered@example.org", seats=2, hours=5)

    assert waiting.status == WaitlistStatus.WAITING
    assert offer.status == WaitlistStatus.OFFERED and offer.offer_expires_at > utcnow()
    assert seats_left(retreat) == 2
