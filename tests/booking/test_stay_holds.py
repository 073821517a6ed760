"""Holding a stay: a room (or a bed in a shared room) and add-ons taken with the seats, under the
retreat's lock, priced by the one pricing function, and given back on expiry and cancellation."""

from __future__ import annotations

import random
from datetime import timedelta

import psycopg
import pytest

from retreats import create_app
from retreats.base.outbox import OutboxEmail
from retreats.booking.cancellation import cancel_booking
from retreats.booking.checkout import apply_checkout_session
from retreats.booking.inventory import RoomLeft, add_ons_left, rooms_left
from retreats.booking.models import Attendee, Booking, BookingLine, BookingStatus, LineKind
from retreats.booking.pricing import booking_quote, price_booking
from retreats.booking.services import cancel_unpaid_booking, expire_booking
from retreats.database import utcnow
from retreats.errors import DomainError, SoldOut
from retreats.extensions import db as _db
from retreats.listings.models import AddOn, PricePer, Retreat, RoomType
from retreats.payments.models import Refund
from retreats.payments.stripe_gateway import CheckoutSession
from tests.conftest import plain_url
from tests.factories import (
    ADA,
    BEA,
    add_add_on,
    add_room_type,
    held_booking,
    lapsed_booking,
    paid_booking,
    ticket_for,
)


def hold(retreat: Retreat, seats: int = 1, **options) -> Booking:
    """Ada alone, or Ada and Bea on the couple ticket; `options` go to hold_seats."""
    return held_booking(retreat, *[ADA, BEA][:seats], **options)


def in_room(retreat: Retreat, room_type: RoomType, seats: int = 1, **options) -> Booking:
    return hold(retreat, seats, room_type_id=room_type.id, **options)


def left_of(room_type: RoomType) -> RoomLeft:
    _db.session.expire_all()
    retreat = _db.session.get(Retreat, room_type.retreat_id)
    return next(
        left for left in rooms_left(retreat, now=utcnow()) if left.room_type.id == room_type.id
    )


def rooms_and_beds_left(room_type: RoomType) -> tuple[int, int]:
    left = left_of(room_type)
    return left.rooms_left, left.beds_left


def units_left(add_on: AddOn) -> int | None:
    _db.session.expire_all()
    retreat = _db.session.get(Retreat, add_on.retreat_id)
    return next(
        left.units_left
        for left in add_ons_left(retreat, now=utcnow())
        if left.add_on.id == add_on.id
    )


def rows() -> tuple[int, int, int, int]:
    """Bookings, their lines, attendees and queued emails: what a refused hold must not add."""
    _db.session.rollback()
    return tuple(
        _db.session.query(model).count() for model in (Booking, BookingLine, Attendee, OutboxEmail)
    )


def refused(error_type: type[DomainError], field: str, hold_it) -> DomainError:
    """The hold is refused with `error_type`, its message beside `field`, nothing written."""
    before = rows()
    with pytest.raises(error_type) as raised:
        hold_it()
    assert raised.value.field == field, raised.value.message
    assert rows() == before
    return raised.value


@pytest.fixture
def retreat(make_retreat) -> Retreat:
    """Twenty seats, so rooms and add-ons run out long before the seats do."""
    return make_retreat(capacity=20)


# Rooms and beds --------------------------------------------------------------------------------


def test_a_couple_takes_one_couple_suitable_room(retreat):
    double = add_room_type(retreat, name="Garden double", rooms=2)
    first = in_room(retreat, double, seats=2)
    assert (first.room_type_id, first.takes_whole_room, first.seats) == (double.id, True, 2)
    assert rooms_and_beds_left(double) == (1, 2)
    in_room(retreat, double, seats=2)
    assert rooms_and_beds_left(double) == (0, 0)
    assert left_of(double).sold_out
    error = refused(SoldOut, "room_type", lambda: in_room(retreat, double, seats=2))
    assert "Garden double" in error.message


def test_single_guests_fill_a_shared_room_bed_by_bed_before_the_next_room_opens(retreat):
    twin = add_room_type(retreat, name="Shared twin", rooms=2, sleeps=2, shared=True)
    assert rooms_and_beds_left(twin) == (2, 4)
    first = in_room(retreat, twin)
    assert first.takes_whole_room is False
    assert rooms_and_beds_left(twin) == (1, 3)
    in_room(retreat, twin)  # the twin now holds two singles
    assert rooms_and_beds_left(twin) == (1, 2)
    in_room(retreat, twin)  # a third single opens the next room
    assert rooms_and_beds_left(twin) == (0, 1)
    assert not left_of(twin).sold_out and left_of(twin).fits(1) and not left_of(twin).fits(2)
    in_room(retreat, twin)
    assert rooms_and_beds_left(twin) == (0, 0)
    refused(SoldOut, "room_type", lambda: in_room(retreat, twin))


def test_a_single_guest_may_take_a_whole_private_room(retreat):
    double = add_room_type(retreat, name="Garden double", rooms=1)
    alone = in_room(retreat, double)
    assert alone.takes_whole_room is True
    assert rooms_and_beds_left(double) == (0, 0)
    refused(SoldOut, "room_type", lambda: in_room(retreat, double, seats=2))
    refused(SoldOut, "room_type", lambda: in_room(retreat, double))


def test_a_couple_in_a_shared_room_type_takes_a_whole_room(retreat):
    twin = add_room_type(retreat, name="Shared twin", rooms=2, sleeps=2, shared=True)
    in_room(retreat, twin)  # one bed of the first room
    couple = in_room(retreat, twin, seats=2)
    assert couple.takes_whole_room is True
    assert rooms_and_beds_left(twin) == (0, 1)
    # No whole room is left for another couple, though a bed is, for a single: it says so.
    error = refused(SoldOut, "room_type", lambda: in_room(retreat, twin, seats=2))
    assert "Only single beds" in error.message and "no whole room for two" in error.message
    in_room(retreat, twin)
    assert rooms_and_beds_left(twin) == (0, 0)


@pytest.mark.parametrize("sleeps", [2, 3])
def test_couples_and_singles_mixed_in_a_shared_type_never_take_more_than_its_rooms(
    make_retreat, sleeps
):
    retreat = make_retreat(capacity=40)
    rooms = 3
    dorm = add_room_type(retreat, name="Shared room", rooms=rooms, sleeps=sleeps, shared=True)
    rng = random.Random(f"mixed-{sleeps}")
    whole, beds = 0, 0
    for _ in range(14):
        seats = rng.choice([1, 2])
        rooms_free = rooms - whole - -(-beds // sleeps)
        fits = rooms_free >= 1 if seats == 2 else (rooms - whole) * sleeps - beds >= 1
        if fits:
            in_room(retreat, dorm, seats=seats)
            whole, beds = (whole + 1, beds) if seats == 2 else (whole, beds + 1)
        else:
            refused(SoldOut, "room_type", lambda seats=seats: in_room(retreat, dorm, seats=seats))
        assert whole + -(-beds // sleeps) <= rooms
        assert rooms_and_beds_left(dorm) == (
            rooms - whole - -(-beds // sleeps),
            (rooms - whole) * sleeps - beds,
        )
    live = _db.session.query(Booking).filter_by(room_type_id=dorm.id).all()
    assert sum(b.takes_whole_room for b in live) == whole
    assert sum(b.seats for b in live if not b.takes_whole_room) == beds
    assert whole and beds, "the run mixed couples and singles"


def test_a_room_that_does_not_suit_a_couple_is_refused_for_a_couple_ticket(retreat):
    single_room = add_room_type(retreat, name="Single room", rooms=3, sleeps=1, suits_couple=False)
    error = refused(DomainError, "room_type", lambda: in_room(retreat, single_room, seats=2))
    assert not isinstance(error, SoldOut)
    assert "Single room" in error.message
    assert rooms_and_beds_left(single_room) == (3, 3)
    in_room(retreat, single_room)  # one person is fine


def test_no_accommodation_is_refused_unless_the_retreat_allows_it(retreat, db):
    add_room_type(retreat)
    error = refused(DomainError, "room_type", lambda: hold(retreat))
    assert error.message == "Please choose a room."
    retreat.allows_no_accommodation = True
    db.session.commit()
    commuter = hold(retreat)
    assert commuter.room_type_id is None
    assert [line.kind for line in commuter.lines] == [LineKind.TICKET]


def test_a_retreat_without_rooms_books_without_one(retreat):
    booking = hold(retreat, 2)
    assert booking.room_type_id is None and booking.amount_minor == 45_000


def test_a_hidden_room_type_or_another_retreats_is_refused(retreat, make_retreat):
    hidden = add_room_type(retreat, name="Old barn", hidden=True)
    add_room_type(retreat, name="Garden double")
    elsewhere = add_room_type(make_retreat(), name="Elsewhere")
    for room_type_id in (hidden.id, elsewhere.id, 999_999):
        error = refused(
            DomainError, "room_type", lambda i=room_type_id: hold(retreat, room_type_id=i)
        )
        assert error.message == "Please choose one of the rooms offered."


def test_a_hidden_add_on_or_another_retreats_is_refused(retreat, make_retreat):
    hidden = add_add_on(retreat, name="Old massage", hidden=True)
    elsewhere = add_add_on(make_retreat(), name="Elsewhere")
    for add_on_id in (hidden.id, elsewhere.id, 999_999):
        error = refused(DomainError, "add_ons", lambda i=add_on_id: hold(retreat, add_on_ids=[i]))
        assert error.message == "Please choose among the extras offered."


def test_the_share_wish_is_kept_only_for_a_bed_in_a_shared_room(retreat):
    twin = add_room_type(retreat, name="Shared twin", rooms=4, shared=True)
    double = add_room_type(retreat, name="Garden double")
    bed = in_room(retreat, twin, room_share_with="  my friend Cy  ")
    assert bed.room_share_with == "my friend Cy"
    assert in_room(retreat, twin, room_share_with="anyone").room_share_with == "anyone"
    assert in_room(retreat, twin, room_share_with="   ").room_share_with is None
    assert in_room(retreat, twin, seats=2, room_share_with="Cy").room_share_with is None
    assert in_room(retreat, double, room_share_with="Cy").room_share_with is None


# Add-ons ---------------------------------------------------------------------------------------


def test_an_add_on_only_for_some_tickets_is_refused_with_the_others(retreat):
    couple_ticket = ticket_for(retreat, 2)
    couples_massage = add_add_on(retreat, name="Couples massage", ticket_types=[couple_ticket])
    error = refused(DomainError, "add_ons", lambda: hold(retreat, add_on_ids=[couples_massage.id]))
    assert "Couples massage" in error.message
    booking = hold(retreat, 2, add_on_ids=[couples_massage.id])
    assert [line.add_on_id for line in booking.lines] == [None, couples_massage.id]


def test_an_add_on_only_for_some_rooms_is_refused_with_the_others_and_without_a_room(retreat, db):
    retreat.allows_no_accommodation = True
    db.session.commit()
    suite = add_room_type(retreat, name="Sea-view suite", rooms=3)
    twin = add_room_type(retreat, name="Shared twin", rooms=3, shared=True)
    breakfast = add_add_on(retreat, name="Breakfast in the suite", room_types=[suite])
    chosen = [breakfast.id]
    refused(DomainError, "add_ons", lambda: in_room(retreat, twin, add_on_ids=chosen))
    refused(DomainError, "add_ons", lambda: hold(retreat, add_on_ids=chosen))
    booking = in_room(retreat, suite, add_on_ids=chosen)
    assert booking.lines[-1].add_on_id == breakfast.id


def test_a_limited_per_person_add_on_takes_one_unit_a_person_and_is_refused_when_short(retreat):
    massage = add_add_on(retreat, name="Massage", quantity_limit=3, price_per=PricePer.PERSON)
    couple = hold(retreat, 2, add_on_ids=[massage.id])
    assert couple.lines[-1].quantity == 2
    assert units_left(massage) == 1
    error = refused(SoldOut, "add_ons", lambda: hold(retreat, 2, add_on_ids=[massage.id]))
    assert "only 1 left" in error.message
    hold(retreat, 1, add_on_ids=[massage.id])
    assert units_left(massage) == 0
    error = refused(SoldOut, "add_ons", lambda: hold(retreat, 1, add_on_ids=[massage.id]))
    assert "none left" in error.message
    hold(retreat, 1)  # the booking itself is still possible without it


def test_a_limited_per_booking_add_on_takes_one_unit_whoever_comes(retreat):
    transfer = add_add_on(retreat, name="Car", quantity_limit=2, price_per=PricePer.BOOKING)
    hold(retreat, 2, add_on_ids=[transfer.id])
    hold(retreat, 1, add_on_ids=[transfer.id])
    assert units_left(transfer) == 0
    refused(SoldOut, "add_ons", lambda: hold(retreat, 2, add_on_ids=[transfer.id]))


def test_an_add_on_chosen_twice_is_taken_once(retreat):
    massage = add_add_on(retreat, name="Massage", quantity_limit=1)
    booking = hold(retreat, add_on_ids=[massage.id, massage.id])
    assert [(line.add_on_id, line.quantity) for line in booking.lines[1:]] == [(massage.id, 1)]
    assert units_left(massage) == 0


def test_a_room_sold_out_refuses_the_whole_hold_add_ons_included(retreat):
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    massage = add_add_on(retreat, name="Massage", quantity_limit=5)
    in_room(retreat, suite, seats=2)
    refused(SoldOut, "room_type", lambda: in_room(retreat, suite, seats=2, add_on_ids=[massage.id]))
    assert units_left(massage) == 5


# Pricing ---------------------------------------------------------------------------------------


def test_the_booking_keeps_the_priced_lines_and_their_total(retreat):
    suite = add_room_type(retreat, name="Sea-view suite", price_minor=64_000)
    transfer = add_add_on(retreat, name="Airport transfer", price_minor=4_000)
    session = add_add_on(
        retreat, name="Private session", price_minor=12_500, price_per=PricePer.BOOKING
    )
    booking = in_room(retreat, suite, seats=2, add_on_ids=[transfer.id, session.id])
    lines = [
        (line.kind, line.name, line.quantity, line.unit_amount_minor) for line in booking.lines
    ]
    assert lines == [
        (LineKind.TICKET, "Couple (2 people)", 1, 45_000),
        (LineKind.ROOM, "Sea-view suite", 1, 64_000),
        (LineKind.ADD_ON, "Airport transfer", 2, 4_000),
        (LineKind.ADD_ON, "Private session", 1, 12_500),
    ]
    assert booking.amount_minor == 45_000 + 64_000 + 8_000 + 12_500
    quote = price_booking(
        currency="EUR", ticket=ticket_for(retreat, 2), room_type=suite, add_ons=[transfer, session]
    )
    assert booking_quote(booking) == quote
    assert quote.total_minor == booking.amount_minor


def test_a_room_priced_per_person_is_charged_for_each_person(retreat):
    twin = add_room_type(retreat, name="Shared twin", shared=True, price_minor=21_000)
    single = in_room(retreat, twin)
    couple = in_room(retreat, twin, seats=2)
    assert (single.lines[1].quantity, single.amount_minor) == (1, 25_000 + 21_000)
    assert (couple.lines[1].quantity, couple.amount_minor) == (2, 45_000 + 42_000)


def test_later_price_changes_do_not_change_a_held_booking(retreat, db):
    suite = add_room_type(retreat, name="Sea-view suite", price_minor=64_000)
    booking = in_room(retreat, suite, seats=2)
    suite.price_minor = 99_000
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).amount_minor == 45_000 + 64_000
    assert booking_quote(db.session.get(Booking, booking.id)).total_minor == 45_000 + 64_000


# Release ---------------------------------------------------------------------------------------


@pytest.fixture
def last_suite_and_massage(retreat):
    """One suite and one massage slot: whatever holds them leaves none."""
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    massage = add_add_on(retreat, name="Massage", quantity_limit=1, price_per=PricePer.BOOKING)
    return suite, massage


@pytest.mark.parametrize("end", [expire_booking, cancel_unpaid_booking])
def test_an_unpaid_booking_that_ends_gives_back_its_room_and_add_on(
    retreat, last_suite_and_massage, end
):
    suite, massage = last_suite_and_massage
    booking = in_room(retreat, suite, seats=2, add_on_ids=[massage.id])
    assert (rooms_and_beds_left(suite), units_left(massage)) == ((0, 0), 0)
    assert end(booking_id=booking.id) is True
    assert (rooms_and_beds_left(suite), units_left(massage)) == ((1, 2), 1)
    in_room(retreat, suite, seats=2, add_on_ids=[massage.id])  # and they can be held again


def test_a_lapsed_hold_no_longer_holds_its_room_or_add_on(retreat, last_suite_and_massage):
    suite, massage = last_suite_and_massage
    lapsed_booking(retreat, ADA, BEA, room_type_id=suite.id, add_on_ids=[massage.id])
    assert (rooms_and_beds_left(suite), units_left(massage)) == ((1, 2), 1)


def test_a_cancelled_paid_booking_gives_back_its_room_and_add_on(retreat, last_suite_and_massage):
    suite, massage = last_suite_and_massage
    booking = paid_booking(
        retreat, ADA, BEA, payment_intent=False, room_type_id=suite.id, add_on_ids=[massage.id]
    )
    assert booking.status == BookingStatus.CONFIRMED
    assert (rooms_and_beds_left(suite), units_left(massage)) == ((0, 0), 0)
    cancel_booking(booking_id=booking.id)
    assert (rooms_and_beds_left(suite), units_left(massage)) == ((1, 2), 1)


# On PostgreSQL only: on SQLite the lock is the database's one writer, and nothing else writes.
@pytest.mark.parametrize(
    "database_backend", [pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_releasing_a_room_needs_no_lock(app_config, database_url, retreat, last_suite_and_massage):
    suite, massage = last_suite_and_massage
    booking_id = in_room(retreat, suite, seats=2, add_on_ids=[massage.id]).id
    holder = psycopg.connect(plain_url(database_url))
    holder.execute("SELECT id FROM retreats WHERE id = %s FOR UPDATE", (retreat.id,))
    impatient = create_app(app_config | {"SEAT_LOCK_TIMEOUT_MS": 200})
    try:
        with impatient.app_context():
            assert expire_booking(booking_id=booking_id) is True
            _db.session.remove()
    finally:
        holder.rollback()
        holder.close()
    assert (rooms_and_beds_left(suite), units_left(massage)) == ((1, 2), 1)


# Late payments ---------------------------------------------------------------------------------


def stripe_reports_paid(booking: Booking) -> Booking:
    """A paid Checkout Session, applied as the webhook and the success page apply it."""
    booking_id = booking.id
    apply_checkout_session(
        CheckoutSession(
            id=f"cs_{booking_id}",
            url=None,
            status="complete",
            payment_status="paid",
            amount_total=booking.amount_minor,
            currency=booking.currency,
            payment_intent_id=f"pi_{booking_id}",
            booking_id=booking_id,
            client_reference_id=booking.reference,
        )
    )
    _db.session.expire_all()
    return _db.session.get(Booking, booking_id)


def assert_refunded_as_unseated(late: Booking) -> None:
    assert late.status == BookingStatus.EXPIRED and late.confirmed_at is None
    refunds = _db.session.query(Refund).filter_by(booking_id=late.id).all()
    assert [(r.reason, r.amount_minor) for r in refunds] == [
        ("unseated_payment", late.amount_minor)
    ]
    kinds = [e.kind for e in _db.session.query(OutboxEmail).filter_by(booking_id=late.id)]
    assert kinds == ["unseated_payment_refunded"]


def test_a_late_payment_whose_room_was_taken_is_refunded_not_confirmed(retreat):
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    late = in_room(retreat, suite, seats=2)
    expire_booking(booking_id=late.id)
    other = in_room(retreat, suite, seats=2)  # the suite went to someone else meanwhile

    late = stripe_reports_paid(late)
    assert_refunded_as_unseated(late)
    assert rooms_and_beds_left(suite) == (0, 0)
    assert _db.session.get(Booking, other.id).status == BookingStatus.PENDING


def test_a_late_payment_whose_bed_was_taken_is_refunded_not_confirmed(retreat):
    twin = add_room_type(retreat, name="Shared twin", rooms=1, sleeps=2, shared=True)
    in_room(retreat, twin)
    late = in_room(retreat, twin)
    expire_booking(booking_id=late.id)
    in_room(retreat, twin)

    assert_refunded_as_unseated(stripe_reports_paid(late))
    assert rooms_and_beds_left(twin) == (0, 0)


def test_a_late_payment_whose_add_on_unit_was_taken_is_refunded_not_confirmed(retreat):
    massage = add_add_on(retreat, name="Massage", quantity_limit=2)
    late = hold(retreat, 2, add_on_ids=[massage.id])
    expire_booking(booking_id=late.id)
    hold(retreat, 1, add_on_ids=[massage.id])  # one slot left: the couple needs two

    assert_refunded_as_unseated(stripe_reports_paid(late))
    assert units_left(massage) == 1


def test_a_late_payment_whose_room_and_add_on_are_still_free_takes_them_again(
    retreat, last_suite_and_massage
):
    suite, massage = last_suite_and_massage
    late = in_room(retreat, suite, seats=2, add_on_ids=[massage.id])
    expire_booking(booking_id=late.id)
    assert (rooms_and_beds_left(suite), units_left(massage)) == ((1, 2), 1)

    assert stripe_reports_paid(late).status == BookingStatus.CONFIRMED
    assert (rooms_and_beds_left(suite), units_left(massage)) == ((0, 0), 0)
    refused(SoldOut, "room_type", lambda: in_room(retreat, suite, seats=2))


# A form sent twice -----------------------------------------------------------------------------


def test_a_repeated_submission_returns_the_first_booking_even_once_its_room_is_gone(retreat):
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    twin = add_room_type(retreat, name="Shared twin", rooms=1, shared=True)
    key = "a" * 32
    first = in_room(retreat, suite, seats=2, submission_key=key)
    before = rows()
    again = in_room(retreat, suite, seats=2, submission_key=key)
    other_choice = in_room(retreat, twin, submission_key=key)
    assert again.id == first.id == other_choice.id
    assert other_choice.room_type_id == suite.id
    assert rows() == before
    assert rooms_and_beds_left(twin) == (1, 2)


def test_a_hold_long_after_the_previous_one_lapsed_finds_the_room_free(retreat):
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    hold(retreat, 2, room_type_id=suite.id, now=utcnow() - timedelta(hours=2))
    in_room(retreat, suite, seats=2)
    assert rooms_and_beds_left(suite) == (0, 0)
