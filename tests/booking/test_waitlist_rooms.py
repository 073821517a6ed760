"""Waitlist offers hold rooms: an entry waits for a room type, is offered places only when a room
(or bed) of that type is free too, the live offer holds it, and booking from the offer takes it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from retreats.booking.capacity import seats_left, seats_taken
from retreats.booking.inventory import rooms_left
from retreats.booking.models import Booking, BookingLine, WaitlistEntry, WaitlistStatus
from retreats.booking.services import discard_hold, expire_booking
from retreats.booking.tokens import waitlist_offer_token
from retreats.booking.upkeep import release_lapsed_seats
from retreats.booking.waitlist import join_waitlist, offer_freed_seats
from retreats.database import utcnow
from retreats.errors import DomainError, SoldOut
from retreats.extensions import db as _db
from retreats.listings.models import Retreat, RoomType
from retreats.notifications.sender import send_due_emails
from tests.conftest import csrf_token_from
from tests.factories import add_room_type, attendee, held_booking, waitlist_offer

ADA, BEA = attendee("ada@example.org", "Ada"), attendee(None, "Bea")


def hold(retreat: Retreat, seats: int = 1, **options) -> Booking:
    return held_booking(retreat, *[ADA, BEA][:seats], **options)


def join(retreat: Retreat, who: str, seats: int = 1, room: RoomType | None = None):
    return join_waitlist(
        retreat_id=retreat.id,
        name=who,
        email=f"{who}@example.org",
        seats=seats,
        room_type_id=room.id if room else None,
    )


def status_of(entry: WaitlistEntry) -> WaitlistStatus:
    _db.session.expire_all()
    return _db.session.get(WaitlistEntry, entry.id).status


def rooms_and_beds_left(room_type: RoomType, *, now=None) -> tuple[int, int]:
    _db.session.expire_all()
    retreat = _db.session.get(Retreat, room_type.retreat_id)
    left = rooms_left(retreat, now=now or utcnow())
    return next((x.rooms_left, x.beds_left) for x in left if x.room_type.id == room_type.id)


def rows() -> tuple[int, int]:
    _db.session.rollback()
    return _db.session.query(Booking).count(), _db.session.query(BookingLine).count()


# Joining ---------------------------------------------------------------------------------------


@pytest.fixture
def stay(make_retreat) -> tuple[Retreat, RoomType, RoomType]:
    """Four places, one sea-view suite and two shared twins; a room is required."""
    retreat = make_retreat(capacity=4)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    twin = add_room_type(retreat, name="Shared twin", rooms=2, sleeps=2, shared=True)
    return retreat, suite, twin


def test_an_entry_keeps_the_room_type_it_waits_for(stay):
    retreat, suite, _ = stay
    entry = join(retreat, "wren", 2, suite)
    assert (entry.room_type_id, entry.seats, entry.status) == (suite.id, 2, WaitlistStatus.WAITING)


def test_joining_without_a_room_is_refused_where_a_room_is_required(stay, db):
    retreat, _, _ = stay
    with pytest.raises(DomainError) as refused:
        join(retreat, "wren")
    assert refused.value.field == "room_type"
    assert db.session.query(WaitlistEntry).count() == 0
    retreat.allows_no_accommodation = True
    db.session.commit()
    assert join(retreat, "wren").room_type_id is None


def test_a_retreat_without_rooms_is_joined_for_places_alone(make_retreat):
    retreat = make_retreat()
    assert join(make_retreat(), "wren").room_type_id is None
    with pytest.raises(DomainError) as refused:
        join(retreat, "wren", room=add_room_type(make_retreat(), name="Elsewhere"))
    assert refused.value.field == "room_type"


def test_joining_for_a_hidden_room_or_one_that_does_not_suit_the_party_is_refused(stay, db):
    retreat, _, _ = stay
    hidden = add_room_type(retreat, name="Old barn", hidden=True)
    single_room = add_room_type(retreat, name="Single room", sleeps=1, suits_couple=False)
    for seats, room in ((1, hidden), (2, single_room)):
        with pytest.raises(DomainError) as refused:
            join(retreat, "wren", seats, room)
        assert refused.value.field == "room_type"
    assert db.session.query(WaitlistEntry).count() == 0
    assert join(retreat, "wren", 1, single_room).room_type_id == single_room.id


# Offers ----------------------------------------------------------------------------------------


@pytest.fixture
def full_stay(stay):
    """Every place taken: a couple in the suite, two singles in one twin."""
    retreat, suite, twin = stay
    hold(retreat, 2, room_type_id=suite.id)
    singles = [hold(retreat, 1, room_type_id=twin.id) for _ in range(2)]
    assert seats_left(retreat) == 0
    return retreat, suite, twin, singles


def test_an_offer_waits_for_a_free_room_of_its_type_and_the_seats_go_to_the_next(full_stay):
    retreat, suite, twin, singles = full_stay
    wants_suite = join(retreat, "wren", 1, suite)
    wants_twin = join(retreat, "yara", 1, twin)

    expire_booking(booking_id=singles[0].id)  # a place and a twin bed come free, no suite

    assert status_of(wants_suite) == WaitlistStatus.WAITING
    assert status_of(wants_twin) == WaitlistStatus.OFFERED
    assert seats_left(retreat) == 0
    assert rooms_and_beds_left(twin) == (1, 2), "the offer holds its bed"


def test_a_couple_waiting_for_a_shared_room_type_is_offered_only_a_whole_room(make_retreat):
    retreat = make_retreat(capacity=20)
    twin = add_room_type(retreat, name="Shared twin", rooms=2, sleeps=2, shared=True)
    singles = [hold(retreat, 1, room_type_id=twin.id) for _ in range(3)]
    assert rooms_and_beds_left(twin) == (0, 1)
    couple = join(retreat, "wren", 2, twin)
    assert offer_freed_seats(retreat_id=retreat.id) == []  # places, but no whole room
    assert status_of(couple) == WaitlistStatus.WAITING

    expire_booking(booking_id=singles[0].id)  # two singles left: they share one twin

    assert status_of(couple) == WaitlistStatus.OFFERED
    assert rooms_and_beds_left(twin) == (0, 0)


def test_a_live_offer_holds_its_room_against_other_bookings(make_retreat):
    retreat = make_retreat(capacity=20)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    twin = add_room_type(retreat, name="Shared twin", rooms=1, sleeps=2, shared=True)
    waitlist_offer(retreat, email="wren@example.org", seats=2, room_type_id=suite.id)
    waitlist_offer(retreat, email="yara@example.org", seats=1, room_type_id=twin.id)
    assert rooms_and_beds_left(suite) == (0, 0)
    assert rooms_and_beds_left(twin) == (0, 1)
    before = rows()
    with pytest.raises(SoldOut) as refused:
        hold(retreat, 2, room_type_id=suite.id)
    assert refused.value.field == "room_type"
    with pytest.raises(SoldOut):
        hold(retreat, 2, room_type_id=twin.id)  # the offered bed leaves no whole twin
    assert rows() == before
    hold(retreat, 1, room_type_id=twin.id)  # the other bed is free
    # Once the offers lapse (and the hold with them), their rooms count no more.
    later = utcnow() + timedelta(hours=13)
    assert rooms_and_beds_left(suite, now=later) == (1, 2)
    assert rooms_and_beds_left(twin, now=later) == (1, 2)


def test_booking_from_the_offer_takes_its_own_room(make_retreat):
    retreat = make_retreat(capacity=2)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    offer = waitlist_offer(retreat, seats=2, room_type_id=suite.id)
    taken = seats_taken(retreat.id)
    booking = hold(retreat, 2, room_type_id=suite.id, waitlist_entry_id=offer.id)
    assert (booking.room_type_id, booking.waitlist_entry_id) == (suite.id, offer.id)
    assert status_of(offer) == WaitlistStatus.BOOKED
    assert seats_taken(retreat.id) == taken == 2
    assert rooms_and_beds_left(suite) == (0, 0)


def test_booking_from_the_offer_takes_its_own_bed_in_a_full_shared_room(make_retreat):
    retreat = make_retreat(capacity=20)
    twin = add_room_type(retreat, name="Shared twin", rooms=1, sleeps=2, shared=True)
    hold(retreat, 1, room_type_id=twin.id)
    offer = waitlist_offer(retreat, seats=1, room_type_id=twin.id)
    assert rooms_and_beds_left(twin) == (0, 0)
    booking = hold(retreat, 1, room_type_id=twin.id, waitlist_entry_id=offer.id)
    assert booking.takes_whole_room is False
    assert rooms_and_beds_left(twin) == (0, 0)
    with pytest.raises(SoldOut):
        hold(retreat, 1, room_type_id=twin.id)


def test_booking_from_the_offer_must_choose_its_room_type(make_retreat, db):
    retreat = make_retreat(capacity=20, allows_no_accommodation=True)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    twin = add_room_type(retreat, name="Shared twin", rooms=3, shared=True)
    offer = waitlist_offer(retreat, seats=1, room_type_id=suite.id)
    before = rows()
    for other_choice in (twin.id, None):
        with pytest.raises(DomainError) as refused:
            hold(retreat, 1, room_type_id=other_choice, waitlist_entry_id=offer.id)
        assert refused.value.field == "room_type"
        assert "Sea-view suite" in refused.value.message
    assert rows() == before
    assert status_of(offer) == WaitlistStatus.OFFERED
    assert rooms_and_beds_left(suite) == (0, 0)


def test_an_offer_for_a_room_type_hidden_since_can_still_be_booked(make_retreat, db):
    retreat = make_retreat(capacity=20)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    offer = waitlist_offer(retreat, seats=2, room_type_id=suite.id)
    suite.hidden = True
    db.session.commit()
    booking = hold(retreat, 2, room_type_id=suite.id, waitlist_entry_id=offer.id)
    assert booking.room_type_id == suite.id
    with pytest.raises(DomainError, match="rooms offered"):
        hold(retreat, 2, room_type_id=suite.id)


def test_an_offer_without_a_room_books_any_room_still_free_or_none(make_retreat):
    retreat = make_retreat(capacity=20, allows_no_accommodation=True)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    commuter = waitlist_offer(retreat, email="c@example.org", seats=1)
    upgrader = waitlist_offer(retreat, email="u@example.org", seats=2)
    assert rooms_and_beds_left(suite) == (1, 2), "an offer without a room holds none"
    assert hold(retreat, 1, waitlist_entry_id=commuter.id).room_type_id is None
    booking = hold(retreat, 2, room_type_id=suite.id, waitlist_entry_id=upgrader.id)
    assert booking.room_type_id == suite.id


def test_a_hold_given_back_returns_the_room_to_the_offer(make_retreat):
    retreat = make_retreat(capacity=20)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    offer = waitlist_offer(retreat, seats=2, room_type_id=suite.id)
    booking = hold(retreat, 2, room_type_id=suite.id, waitlist_entry_id=offer.id)
    discard_hold(booking_id=booking.id)  # Checkout could not be opened
    assert status_of(offer) == WaitlistStatus.OFFERED
    assert rooms_and_beds_left(suite) == (0, 0)
    with pytest.raises(SoldOut):
        hold(retreat, 2, room_type_id=suite.id)
    hold(retreat, 2, room_type_id=suite.id, waitlist_entry_id=offer.id)  # and it books again


def test_a_lapsed_offer_passes_its_room_to_the_next_entry_waiting_for_it(make_retreat):
    retreat = make_retreat(capacity=20)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    couple = hold(retreat, 2, room_type_id=suite.id)
    first, second = join(retreat, "wren", 2, suite), join(retreat, "yara", 2, suite)
    expire_booking(booking_id=couple.id)
    assert (status_of(first), status_of(second)) == (WaitlistStatus.OFFERED, WaitlistStatus.WAITING)

    later = utcnow() + timedelta(hours=25)
    release_lapsed_seats(now=later)

    assert (status_of(first), status_of(second)) == (WaitlistStatus.LAPSED, WaitlistStatus.OFFERED)
    assert rooms_and_beds_left(suite, now=later) == (0, 0)


# The page --------------------------------------------------------------------------------------


def waitlist_form(client, retreat: Retreat) -> tuple[str, str]:
    page = client.get(f"/retreats/{retreat.slug}/waitlist")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html, csrf_token_from(html)


def post_join(client, retreat: Retreat, token: str, **fields):
    data = {"csrf_token": token, "name": "Dee", "email": "d@example.org", "seats": "1"} | fields
    return client.post(f"/retreats/{retreat.slug}/waitlist", data=data)


def test_the_page_asks_which_room_only_where_rooms_are_sold(client, make_retreat, stay):
    html, _ = waitlist_form(client, make_retreat())
    assert "Which room" not in html
    retreat, suite, twin = stay
    html, _ = waitlist_form(client, retreat)
    assert "<legend>Which room</legend>" in html
    assert f'value="{suite.id}"' in html and "Sea-view suite" in html
    assert f'value="{twin.id}"' in html and "Shared twin" in html
    assert "No accommodation" not in html


def test_the_page_offers_no_accommodation_where_allowed(client, stay, db):
    retreat, _, _ = stay
    retreat.allows_no_accommodation = True
    db.session.commit()
    html, token = waitlist_form(client, retreat)
    assert "No accommodation" in html
    response = post_join(client, retreat, token, room_type="0")
    assert response.status_code == 303
    assert db.session.query(WaitlistEntry).one().room_type_id is None


def test_joining_through_the_page_for_a_room(client, stay, db):
    retreat, suite, _ = stay
    _, token = waitlist_form(client, retreat)
    response = post_join(client, retreat, token, seats="2", room_type=str(suite.id))
    assert response.status_code == 303
    entry = db.session.query(WaitlistEntry).one()
    assert (entry.seats, entry.room_type_id) == (2, suite.id)


@pytest.mark.parametrize(
    "room_choice, message",
    [(None, "Please choose a room."), ("999999", "Not a valid choice")],
)
def test_a_missing_or_tampered_room_is_shown_beside_the_room_choice(
    client, stay, db, room_choice, message
):
    retreat, _, _ = stay
    _, token = waitlist_form(client, retreat)
    fields = {} if room_choice is None else {"room_type": room_choice}
    response = post_join(client, retreat, token, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count('aria-describedby="room_type-error" aria-invalid="true"') == 2
    assert 'id="room_type-error">' + message in html
    assert db.session.query(WaitlistEntry).count() == 0


def test_a_couple_asking_for_a_room_for_one_is_told_beside_the_room_choice(client, stay, db):
    retreat, _, _ = stay
    single_room = add_room_type(retreat, name="Single room", sleeps=1, suits_couple=False)
    _, token = waitlist_form(client, retreat)
    response = post_join(client, retreat, token, seats="2", room_type=str(single_room.id))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "is not for two people" in html and 'id="room_type-error"' in html
    assert db.session.query(WaitlistEntry).count() == 0


def test_the_offer_link_offers_only_the_room_it_holds(client, make_retreat):
    retreat = make_retreat(capacity=2)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=1)
    add_room_type(retreat, name="Garden double", rooms=3)
    offer = waitlist_offer(retreat, seats=2, room_type_id=suite.id)

    page = client.get(f"/waitlist/{offer.id}?t={waitlist_offer_token(offer.id)}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sea-view suite" in html and "Held for you" in html
    assert "Garden double" not in html
    radios = re.findall(r"<input[^>]*name=\"room_type\"[^>]*>", html)
    assert len(radios) == 1 and "checked" in radios[0] and f'value="{suite.id}"' in radios[0]


def test_the_offer_email_names_the_room_it_holds(make_retreat, smtp_inbox):
    retreat = make_retreat(capacity=20)
    twin = add_room_type(retreat, name="Shared twin", rooms=1, sleeps=2, shared=True)
    first = hold(retreat, 1, room_type_id=twin.id)
    hold(retreat, 1, room_type_id=twin.id)  # the twin's other bed: the room is full
    join(retreat, "wren", 1, twin)
    expire_booking(booking_id=first.id)  # a bed of the twin comes free: offered to Wren

    send_due_emails()
    [message] = smtp_inbox.wait_for(1)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "It comes with a bed in a room of the kind you asked for: Shared twin." in text
    assert "Shared twin" in html
