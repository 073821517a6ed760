"""The listing editor's room types: add, edit, hide and delete them, never below what is taken."""

from __future__ import annotations

import pytest

from retreats.base.audit import AuditEntry
from retreats.errors import DomainError
from retreats.listings.models import AddOn, PricePer, Retreat, RetreatStatus, RoomType
from retreats.organizer.accounts.models import CoHost
from retreats.organizer.listings.add_ons import AddOnDetails, create_add_on
from retreats.organizer.listings.room_types import RoomTypeDetails, create_room_type
from retreats.organizer.listings.services import ListingError
from tests.conftest import on_both_databases
from tests.factories import (
    add_add_on,
    add_room_type,
    attendee,
    cancelled_booking,
    held_booking,
    lapsed_booking,
    ticket_for,
)
from tests.html_forms import form_values
from tests.organizer.helpers import audit_actions_for_retreat, field_error, post_page_form


def rooms_url(retreat, room_type=None, action="edit") -> str:
    base = f"/organizer/retreats/{retreat.id}/rooms"
    return f"{base}/new" if room_type is None else f"{base}/{room_type.id}/{action}"


def add_room(client, retreat, **data):
    fields = {
        "name": "Sea-view suite",
        "description": "A king bed and the Atlantic",
        "rooms": "3",
        "sleeps": "2",
        "shared": "private",
        "suits_couple": "y",
        "price": "1090",
        "price_per": "room",
    }
    return post_page_form(client, rooms_url(retreat), fields | data)


def edit_room(client, retreat, room_type, **changes):
    """Submit the edit form as it is prefilled, with some fields changed (None: unticked)."""
    url = rooms_url(retreat, room_type)
    values = form_values(client.get(url).get_data(as_text=True), url) | changes
    return client.post(url, data={name: value for name, value in values.items() if value})


def editor_action(client, retreat, url: str, **data):
    """Press a button of the listing editor (hide, delete …), as the page renders it."""
    return post_page_form(client, f"/organizer/retreats/{retreat.id}/edit", data, action=url)


def counts(db) -> tuple[int, int]:
    db.session.expire_all()
    return db.session.query(RoomType).count(), db.session.query(AuditEntry).count()


def person(number: int):
    return attendee(f"guest{number}@example.org", f"Guest {number}")


def test_add_a_room_type_and_see_it_in_the_editor(db, organizer_client, make_retreat):
    retreat = make_retreat()
    response = add_room(organizer_client, retreat, price="1090.50")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/retreats/{retreat.id}/edit#rooms")
    twin = add_room(
        organizer_client,
        retreat,
        name="Shared twin",
        rooms="4",
        shared="shared",
        suits_couple="",
        price="420",
        price_per="person",
    )
    assert twin.status_code == 303

    db.session.expire_all()
    suite, shared = retreat.room_types
    assert (suite.name, suite.rooms, suite.sleeps, suite.shared, suite.suits_couple) == (
        "Sea-view suite",
        3,
        2,
        False,
        True,
    )
    assert (suite.price_minor, suite.price_per, suite.hidden) == (109_050, PricePer.ROOM, False)
    assert (shared.shared, shared.suits_couple, shared.price_per) == (True, False, PricePer.PERSON)
    assert shared.position > suite.position
    page = organizer_client.get(f"/organizer/retreats/{retreat.id}/edit").get_data(as_text=True)
    assert "Sea-view suite" in page and "€1,090.50 per room" in page
    assert "0 of 3 rooms" in page and "0 of 8 beds" in page
    assert audit_actions_for_retreat(db, retreat.id) == ["room_type.created", "room_type.created"]


def test_prices_are_in_the_retreats_currency(db, organizer_client, make_retreat):
    retreat = make_retreat(currency="JPY")
    refused = add_room(organizer_client, retreat, price="3000.50")
    assert "like 3000" in field_error(refused.get_data(as_text=True), "price")
    assert add_room(organizer_client, retreat, price="30000").status_code == 303
    db.session.expire_all()
    assert [room.price_minor for room in retreat.room_types] == [30_000]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 121}, "name", "120"),
        ({"price": "-5"}, "price", "cannot be negative"),
        ({"price": "12,50"}, "price", "like 250 or 249.50"),
        ({"price": ""}, "price", "required"),
        ({"price": "99999999999"}, "price", "higher than a card payment"),
        ({"rooms": "0"}, "rooms", "Between 1 and 1,000 rooms"),
        ({"rooms": "many"}, "rooms", "Not a valid integer"),
        ({"sleeps": "13"}, "sleeps", "between 1 and 12 people"),
        ({"sleeps": "0"}, "sleeps", "between 1 and 12 people"),
        ({"shared": "sometimes"}, "shared", "Not a valid choice"),
        ({"price_per": "booking"}, "price_per", "Not a valid choice"),
        (
            {"shared": "shared", "price_per": "room"},
            "price_per",
            "A shared room is sold bed by bed, so its price is per person.",
        ),
        (
            {"shared": "shared", "sleeps": "1", "suits_couple": "", "price_per": "person"},
            "sleeps",
            "A shared room must sleep at least 2 people.",
        ),
        (
            {"sleeps": "1"},
            "suits_couple",
            "A room that suits a couple must sleep at least 2 people.",
        ),
    ],
)
def test_a_wrong_room_field_gets_its_error_and_nothing_is_written(
    db, organizer_client, make_retreat, data, field, message
):
    retreat = make_retreat()
    before = counts(db)
    response = add_room(organizer_client, retreat, **data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = field_error(page, field)
    assert error and message in error, error
    assert 'aria-invalid="true"' in page or f'aria-describedby="{field}-error"' in page
    assert counts(db) == before


def test_the_rules_between_fields_are_shown_with_the_other_errors(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    response = add_room(organizer_client, retreat, name="", shared="shared", price_per="room")
    page = response.get_data(as_text=True)
    assert "required" in field_error(page, "name")
    assert "its price is per person" in field_error(page, "price_per")


def test_a_single_room_without_a_couple_may_sleep_one(db, organizer_client, make_retreat):
    retreat = make_retreat()
    response = add_room(organizer_client, retreat, name="Single", sleeps="1", suits_couple="")
    assert response.status_code == 303
    db.session.expire_all()
    assert [(r.sleeps, r.suits_couple) for r in retreat.room_types] == [(1, False)]


def test_editing_saves_and_audits_the_changed_fields(db, organizer_client, make_retreat):
    retreat = make_retreat()
    suite = add_room_type(retreat, name="Suite", rooms=3, price_minor=100_000)
    values = form_values(
        organizer_client.get(rooms_url(retreat, suite)).get_data(as_text=True),
        rooms_url(retreat, suite),
    )
    assert (values["price"], values["rooms"], values["price_per"]) == ("1000", "3", "room")
    response = edit_room(organizer_client, retreat, suite, name="Sea suite", price="1100")
    assert response.status_code == 303
    db.session.expire_all()
    assert (suite.name, suite.price_minor) == ("Sea suite", 110_000)
    entry = db.session.query(AuditEntry).filter_by(action="room_type.updated").one()
    assert entry.detail == "Sea suite: name, price_minor"
    # Saving it unchanged writes no audit entry.
    assert edit_room(organizer_client, retreat, suite).status_code == 303
    assert audit_actions_for_retreat(db, retreat.id) == ["room_type.updated"]


@on_both_databases
def test_rooms_cannot_drop_below_the_private_rooms_taken(db, organizer_client, make_retreat):
    retreat = make_retreat()
    suite = add_room_type(retreat, name="Suite", rooms=3)
    held_booking(retreat, person(1), person(2), room_type_id=suite.id)
    held_booking(retreat, person(3), room_type_id=suite.id)
    # A hold that ran out holds nothing.
    lapsed_booking(retreat, person(4), room_type_id=suite.id)

    refused = edit_room(organizer_client, retreat, suite, rooms="1")
    assert refused.status_code == 400
    error = field_error(refused.get_data(as_text=True), "rooms")
    assert error == "2 of these rooms are already taken or held, so there must be at least 2."
    db.session.expire_all()
    assert suite.rooms == 3
    assert edit_room(organizer_client, retreat, suite, rooms="2").status_code == 303
    db.session.expire_all()
    assert suite.rooms == 2


@on_both_databases
def test_shared_rooms_count_whole_rooms_and_beds_filling_rooms(db, organizer_client, make_retreat):
    retreat = make_retreat()
    dorm = add_room_type(retreat, name="Dorm", rooms=3, sleeps=3, shared=True)
    held_booking(retreat, person(1), person(2), room_type_id=dorm.id)  # a couple: a whole room
    for number in range(3, 7):  # four single guests: four beds, which fill two rooms of three
        held_booking(retreat, person(number), room_type_id=dorm.id)

    refused = edit_room(organizer_client, retreat, dorm, rooms="2")
    assert field_error(refused.get_data(as_text=True), "rooms") == (
        "3 of these rooms are already taken or held (1 whole, and 4 beds filling 2), "
        "so there must be at least 3."
    )
    # Four beds to a room, the four single guests fit in one room.
    assert edit_room(organizer_client, retreat, dorm, rooms="2", sleeps="4").status_code == 303
    db.session.expire_all()
    assert (dorm.rooms, dorm.sleeps) == (2, 4)
    page = organizer_client.get(f"/organizer/retreats/{retreat.id}/edit").get_data(as_text=True)
    assert "8 of 8 beds" in page


@on_both_databases
def test_once_booked_a_room_type_stays_shared_or_private_and_fits_its_guests(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    double = add_room_type(retreat, name="Double", rooms=2)
    held_booking(retreat, person(1), person(2), room_type_id=double.id)

    shared = edit_room(organizer_client, retreat, double, shared="shared", price_per="person")
    assert "its rooms stay private" in field_error(shared.get_data(as_text=True), "shared")
    single = edit_room(organizer_client, retreat, double, sleeps="1", suits_couple=None)
    assert field_error(single.get_data(as_text=True), "sleeps") == (
        "A booking for 2 people holds a room of this type, so it must sleep at least 2."
    )
    db.session.expire_all()
    assert (double.shared, double.sleeps, double.suits_couple) == (False, 2, True)
    assert audit_actions_for_retreat(db, retreat.id) == []


@on_both_databases
def test_a_hidden_room_type_leaves_new_bookings_and_existing_ones_keep_it(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    suite = add_room_type(retreat, name="Suite", rooms=3)
    add_room_type(retreat, name="Garden", rooms=3)
    kept = held_booking(retreat, person(1), room_type_id=suite.id)

    hidden = editor_action(
        organizer_client, retreat, rooms_url(retreat, suite, "visibility"), hidden="1"
    )
    assert hidden.status_code == 303
    page = organizer_client.get(hidden.headers["Location"]).get_data(as_text=True)
    assert "“Suite” is hidden" in page and "Offer again" in page and "Hidden</span>" in page
    db.session.expire_all()
    assert suite.hidden is True
    assert kept.room_type_id == suite.id
    with pytest.raises(DomainError) as refused:
        held_booking(retreat, person(2), room_type_id=suite.id)
    assert refused.value.field == "room_type"
    shown = editor_action(
        organizer_client, retreat, rooms_url(retreat, suite, "visibility"), hidden="0"
    )
    assert "“Suite” is offered again." in organizer_client.get(shown.headers["Location"]).get_data(
        as_text=True
    )
    db.session.expire_all()
    assert suite.hidden is False
    assert held_booking(retreat, person(3), room_type_id=suite.id).room_type_id == suite.id
    assert audit_actions_for_retreat(db, retreat.id) == ["room_type.hidden", "room_type.shown"]


def test_a_visibility_post_with_a_tampered_value_changes_nothing(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    suite = add_room_type(retreat, name="Suite")
    response = editor_action(
        organizer_client, retreat, rooms_url(retreat, suite, "visibility"), hidden="maybe"
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert suite.hidden is False
    assert audit_actions_for_retreat(db, retreat.id) == []


@on_both_databases
def test_delete_an_unused_room_type_but_not_one_any_booking_has(db, organizer_client, make_retreat):
    retreat = make_retreat()
    suite = add_room_type(retreat, name="Suite")
    garden = add_room_type(retreat, name="Garden")
    # Even a cancelled booking keeps its room type: it cannot be deleted from under it.
    cancelled_booking(retreat, person(1), room_type_id=suite.id)

    refused = editor_action(organizer_client, retreat, rooms_url(retreat, suite, "delete"))
    page = organizer_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "People have booked “Suite”, so it cannot be deleted. Hide it instead" in page
    deleted = editor_action(organizer_client, retreat, rooms_url(retreat, garden, "delete"))
    assert "“Garden” deleted." in organizer_client.get(deleted.headers["Location"]).get_data(True)

    db.session.expire_all()
    assert [room.name for room in retreat.room_types] == ["Suite"]
    assert db.session.get(RoomType, garden.id) is None
    entry = db.session.query(AuditEntry).filter_by(action="room_type.deleted").one()
    assert (entry.retreat_id, entry.detail) == (retreat.id, "Garden")


@on_both_databases
def test_a_room_type_an_add_on_comes_only_with_is_not_deleted(db, organizer_client, make_retreat):
    retreat = make_retreat()
    suite = add_room_type(retreat, name="Suite")
    garden = add_room_type(retreat, name="Garden")
    add_add_on(retreat, name="Breakfast in bed", room_types=[suite])
    add_add_on(retreat, name="Late checkout", room_types=[suite, garden])

    refused = editor_action(organizer_client, retreat, rooms_url(retreat, suite, "delete"))
    page = organizer_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "“Breakfast in bed” is offered only with this room type" in page
    # Garden is not the only room the late checkout comes with: it goes, the add-on stays.
    assert editor_action(organizer_client, retreat, rooms_url(retreat, garden, "delete"))
    db.session.expire_all()
    assert [room.name for room in retreat.room_types] == ["Suite"]
    late = next(add_on for add_on in retreat.add_ons if add_on.name == "Late checkout")
    assert [room.name for room in late.room_types] == ["Suite"]


def test_a_cancelled_retreats_rooms_no_longer_change(db, organizer_client, make_retreat):
    retreat = make_retreat(status=RetreatStatus.CANCELLED)
    before = counts(db)
    response = add_room(organizer_client, retreat)
    assert response.status_code == 400
    assert "This retreat is cancelled, so its rooms can no longer change." in response.get_data(
        as_text=True
    )
    assert counts(db) == before


def test_room_types_of_others_are_404_and_nothing_changes(
    db, organizer_client, make_retreat, other_organizer
):
    mine = make_retreat()
    theirs = make_retreat(organizer=other_organizer)
    their_room = add_room_type(theirs, name="Their suite")
    before = counts(db)
    assert organizer_client.get(rooms_url(mine, their_room)).status_code == 404
    assert organizer_client.get(rooms_url(theirs)).status_code == 404
    assert organizer_client.get(rooms_url(theirs, their_room)).status_code == 404
    token_url = f"/organizer/retreats/{mine.id}/edit"
    token = form_values(organizer_client.get(token_url).get_data(as_text=True), token_url)
    for url in (
        rooms_url(mine, their_room, "visibility"),
        rooms_url(mine, their_room, "delete"),
        rooms_url(theirs, their_room, "visibility"),
        rooms_url(theirs, their_room, "delete"),
        rooms_url(theirs, their_room),
        rooms_url(theirs),
    ):
        data = {"csrf_token": token["csrf_token"], "hidden": "1", "name": "Mine now"}
        assert organizer_client.post(url, data=data).status_code == 404, url
    assert counts(db) == before
    db.session.expire_all()
    assert (their_room.name, their_room.hidden) == ("Their suite", False)


def test_a_co_host_manages_the_rooms(db, make_retreat, organizer, other_organizer, sign_in):
    retreat = make_retreat()
    db.session.add(CoHost(owner_id=organizer.id, member_id=other_organizer.id))
    db.session.commit()
    co_host = sign_in(other_organizer)
    assert add_room(co_host, retreat).status_code == 303
    entry = db.session.query(AuditEntry).filter_by(action="room_type.created").one()
    assert entry.actor_id == other_organizer.id


@on_both_databases
def test_a_duplicate_copies_the_rooms_and_add_ons_with_what_they_come_with(
    db, organizer_client, make_retreat
):
    original = make_retreat()
    suite = add_room_type(original, name="Suite", rooms=3)
    add_room_type(original, name="Twin", shared=True, sleeps=2, hidden=True)
    add_add_on(
        original, name="Transfer", room_types=[suite], ticket_types=[ticket_for(original, 2)]
    )
    response = editor_action(
        organizer_client, original, f"/organizer/retreats/{original.id}/duplicate"
    )
    assert response.status_code == 303
    copy = db.session.query(Retreat).filter(Retreat.id != original.id).one()
    assert [(r.name, r.rooms, r.shared, r.hidden) for r in copy.room_types] == [
        ("Suite", 3, False, False),
        ("Twin", 2, True, True),
    ]
    (transfer,) = copy.add_ons
    assert [r.id for r in transfer.room_types] == [copy.room_types[0].id]
    assert [t.id for t in transfer.ticket_types] == [ticket_for(copy, 2).id]
    assert {r.id for r in copy.room_types}.isdisjoint({r.id for r in original.room_types})


def test_guests_may_book_without_a_room_is_a_checkbox_of_the_listing(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    add_room_type(retreat, name="Suite")
    url = f"/organizer/retreats/{retreat.id}/edit"
    page = organizer_client.get(url).get_data(as_text=True)
    assert "Guests may book without a room (commuting or staying elsewhere)" in page
    values = form_values(page, url)
    assert "allows_no_accommodation" not in values
    saved = organizer_client.post(url, data=values | {"allows_no_accommodation": "y"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert retreat.allows_no_accommodation is True
    entry = db.session.query(AuditEntry).filter_by(action="retreat.updated").one()
    assert entry.detail == "allows_no_accommodation"
    # A guest may now book without a room.
    assert held_booking(retreat, person(1)).room_type_id is None
    values = form_values(organizer_client.get(url).get_data(as_text=True), url)
    assert values["allows_no_accommodation"] == "y"


def test_the_services_keep_the_rules_without_the_form(db, make_retreat, organizer, other_organizer):
    retreat = make_retreat()
    theirs = make_retreat(organizer=other_organizer)
    dorm = RoomTypeDetails(
        name="Dorm",
        description="",
        rooms=2,
        sleeps=4,
        shared=True,
        suits_couple=False,
        price_minor=10_000,
        price_per=PricePer.ROOM,
    )
    before = counts(db)
    with pytest.raises(ListingError) as refused:
        create_room_type(retreat_id=retreat.id, actor_id=organizer.id, details=dorm)
    assert refused.value.field == "price_per"
    extra = AddOnDetails(
        name="Transfer",
        description="",
        price_minor=4_000,
        price_per=PricePer.BOOKING,
        quantity_limit=None,
        ticket_type_ids=(theirs.ticket_types[0].id,),
    )
    with pytest.raises(ListingError) as tampered:
        create_add_on(retreat_id=retreat.id, actor_id=organizer.id, details=extra)
    assert tampered.value.field == "ticket_types"
    assert counts(db) == before
    assert db.session.query(AddOn).count() == 0
