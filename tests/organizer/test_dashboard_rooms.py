"""The dashboard shows how full each room type is: rooms of a private one, beds of a shared one,
counting paid bookings and live holds, in one query for all of the organizer's retreats."""

from __future__ import annotations

import re
from datetime import timedelta

from retreats.booking.inventory import room_occupancy
from retreats.database import utcnow
from tests.conftest import on_both_databases
from tests.factories import (
    add_room_type,
    attendee,
    cancelled_booking,
    held_booking,
    lapsed_booking,
    paid_booking,
    waitlist_offer,
)


def person(number: int):
    return attendee(f"guest{number}@example.org", f"Guest {number}")


def rooms_of(page: str, title: str) -> list[str]:
    """The room lines of one retreat on the dashboard, tags stripped."""
    start = page.index(title)
    end = page.find('class="dashboard-item', start)
    block = page[start : end if end != -1 else len(page)]
    items = re.findall(r"<ul class=\"dashboard-rooms\".*?</ul>", block, re.S)
    if not items:
        return []
    return [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r"<li>(.*?)</li>", items[0], re.S)
    ]


@on_both_databases
def test_occupancy_per_room_type_counts_paid_bookings_and_live_holds(
    db, organizer_client, make_retreat, other_organizer
):
    sintra = make_retreat(title="Sintra Weekend", capacity=20)
    suite = add_room_type(sintra, name="Sea-view suite", rooms=3)
    twin = add_room_type(sintra, name="Shared twin", rooms=4, sleeps=2, shared=True)
    hidden = add_room_type(sintra, name="Attic", rooms=1, hidden=True)
    paid_booking(sintra, person(1), person(2), room_type_id=suite.id)
    held_booking(sintra, person(3), room_type_id=suite.id)
    lapsed_booking(sintra, person(4), room_type_id=suite.id)  # its hold ran out: not counted
    cancelled_booking(sintra, person(5), room_type_id=suite.id)  # not counted
    held_booking(sintra, person(6), room_type_id=twin.id)  # one bed
    paid_booking(sintra, person(7), person(8), room_type_id=twin.id)  # a couple: a whole room
    workshop = make_retreat(title="Evening Workshop")
    theirs = make_retreat(title="Their Retreat", organizer=other_organizer)
    add_room_type(theirs, name="Their suite")
    assert hidden.hidden

    page = organizer_client.get("/organizer/").get_data(as_text=True)

    assert rooms_of(page, "Sintra Weekend") == [
        "Sea-view suite 2 of 3 rooms",
        "Shared twin 3 of 8 beds",
        "Attic 0 of 1 rooms Hidden",
    ]
    assert "Rooms taken or held" in page and "holds not yet paid" in page
    assert rooms_of(page, workshop.title) == []
    assert "Their suite" not in page


def test_a_full_room_type_says_so(db, organizer_client, make_retreat):
    retreat = make_retreat(title="Brecon Retreat")
    cabin = add_room_type(retreat, name="Cabin", rooms=1)
    held_booking(retreat, person(1), room_type_id=cabin.id)
    page = organizer_client.get("/organizer/").get_data(as_text=True)
    assert rooms_of(page, "Brecon Retreat") == ["Cabin 1 of 1 rooms (full)"]


@on_both_databases
def test_occupancy_agrees_with_what_is_left_for_booking(db, make_retreat):
    retreat = make_retreat(capacity=20)
    dorm = add_room_type(retreat, name="Dorm", rooms=2, sleeps=3, shared=True)
    for number in range(4):
        held_booking(retreat, person(number), room_type_id=dorm.id)
    ((room_type, taken, total),) = room_occupancy([retreat.id], now=utcnow())[retreat.id]
    assert (room_type.id, taken, total) == (dorm.id, 4, 6)
    # An hour later the holds have run out.
    later = room_occupancy([retreat.id], now=utcnow() + timedelta(hours=1))[retreat.id]
    assert [(taken, total) for _, taken, total in later] == [(0, 6)]
    assert room_occupancy([], now=utcnow()) == {}


def dashboard_statements(app, sign_in, organizer, count_statements) -> list[str]:
    client = sign_in(organizer)
    client.get("/organizer/")  # sign-in and first-request work out of the way
    with count_statements() as statements:
        response = client.get("/organizer/")
    assert response.status_code == 200
    return list(statements)


@on_both_databases
def test_the_dashboard_counts_rooms_in_one_query_however_many_retreats(
    app, db, make_retreat, organizer, sign_in, count_statements
):
    first = make_retreat(title="First")
    add_room_type(first, name="Suite")
    held_booking(first, person(1), room_type_id=first.room_types[0].id)
    with_one = dashboard_statements(app, sign_in, organizer, count_statements)

    for number in range(2, 7):
        retreat = make_retreat(title=f"Retreat {number}")
        add_room_type(retreat, name="Suite")
        add_room_type(retreat, name="Dorm", shared=True)
        held_booking(retreat, person(number), room_type_id=retreat.room_types[0].id)
    with_six = dashboard_statements(app, sign_in, organizer, count_statements)

    assert len(with_six) == len(with_one), with_six
    assert sum("room_types" in statement for statement in with_six) == 1


@on_both_databases
def test_occupancy_counts_a_live_waitlist_offer_as_the_hold_does(db, make_retreat):
    retreat = make_retreat(capacity=20)
    suite = add_room_type(retreat, name="Sea-view suite", rooms=2)
    twin = add_room_type(retreat, name="Shared twin", rooms=1, sleeps=2, shared=True)
    waitlist_offer(retreat, seats=2, room_type_id=suite.id)  # holds a whole suite
    waitlist_offer(retreat, email="yara@example.org", seats=1, room_type_id=twin.id)  # a bed

    uses = room_occupancy([retreat.id], now=utcnow())[retreat.id]

    assert [(room_type.name, used, total) for room_type, used, total in uses] == [
        ("Sea-view suite", 1, 2),
        ("Shared twin", 1, 2),
    ]
