"""The listing editor's add-ons: add, edit, hide and delete them, their limit never below the
units taken, offered only with the retreat's own tickets and rooms."""

from __future__ import annotations

import pytest

from retreats.base.audit import AuditEntry
from retreats.booking.models import BookingLine, LineKind
from retreats.errors import DomainError
from retreats.listings.models import AddOn, PricePer
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


def add_ons_url(retreat, add_on=None, action="edit") -> str:
    base = f"/organizer/retreats/{retreat.id}/add-ons"
    return f"{base}/new" if add_on is None else f"{base}/{add_on.id}/{action}"


FIELDS = {
    "name": "Airport transfer",
    "description": "From Lisbon airport on Friday",
    "price": "40",
    "price_per": "person",
    "quantity_limit": "",
}


def add_extra(client, retreat, **data):
    return post_page_form(client, add_ons_url(retreat), FIELDS | data)


def edit_extra(client, retreat, add_on, **data):
    return post_page_form(client, add_ons_url(retreat, add_on), FIELDS | data)


def editor_action(client, retreat, url: str, **data):
    return post_page_form(client, f"/organizer/retreats/{retreat.id}/edit", data, action=url)


def counts(db) -> tuple[int, int]:
    db.session.expire_all()
    return db.session.query(AddOn).count(), db.session.query(AuditEntry).count()


def person(number: int):
    return attendee(f"guest{number}@example.org", f"Guest {number}")


def test_add_an_add_on_offered_only_with_some_tickets_and_rooms(db, organizer_client, make_retreat):
    retreat = make_retreat()
    suite = add_room_type(retreat, name="Sea-view suite")
    add_room_type(retreat, name="Garden double")
    couple = ticket_for(retreat, 2)
    page = organizer_client.get(add_ons_url(retreat)).get_data(as_text=True)
    assert "Individual" in page and "Sea-view suite" in page and "Garden double" in page

    response = add_extra(
        organizer_client,
        retreat,
        name="Champagne",
        price="39.50",
        price_per="booking",
        quantity_limit="6",
        ticket_types=[str(couple.id)],
        room_types=[str(suite.id)],
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/retreats/{retreat.id}/edit#add-ons")
    db.session.expire_all()
    (champagne,) = retreat.add_ons
    assert (champagne.price_minor, champagne.price_per, champagne.quantity_limit) == (
        3_950,
        PricePer.BOOKING,
        6,
    )
    assert [t.id for t in champagne.ticket_types] == [couple.id]
    assert [r.id for r in champagne.room_types] == [suite.id]
    editor = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Champagne" in editor and "€39.50 per booking" in editor
    assert "Couple (2 people), Sea-view suite" in editor and "0 of 6" in editor
    assert audit_actions_for_retreat(db, retreat.id) == ["add_on.created"]


def test_an_add_on_without_restrictions_comes_with_anything(db, organizer_client, make_retreat):
    retreat = make_retreat(currency="JPY")
    assert add_extra(organizer_client, retreat, price="3000").status_code == 303
    db.session.expire_all()
    (transfer,) = retreat.add_ons
    assert (transfer.price_minor, transfer.quantity_limit) == (3000, None)
    assert transfer.ticket_types == [] and transfer.room_types == []
    assert "Any ticket and room" in organizer_client.get(
        f"/organizer/retreats/{retreat.id}/edit"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "required"),
        ({"price": "-1"}, "price", "cannot be negative"),
        ({"price": "1e5"}, "price", "like 250 or 249.50"),
        ({"price": ""}, "price", "required"),
        ({"price_per": "room"}, "price_per", "Not a valid choice"),
        ({"quantity_limit": "0"}, "quantity_limit", "between 1 and 100000"),
        ({"quantity_limit": "lots"}, "quantity_limit", "Not a valid integer"),
        ({"description": "x" * 301}, "description", "300"),
        ({"ticket_types": ["abc"]}, "ticket_types", "this retreat's own ticket types"),
        ({"room_types": ["999999"]}, "room_types", "this retreat's own room types"),
    ],
)
def test_a_wrong_add_on_field_gets_its_error_and_nothing_is_written(
    db, organizer_client, make_retreat, data, field, message
):
    retreat = make_retreat()
    before = counts(db)
    response = add_extra(organizer_client, retreat, **data)
    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), field)
    assert error and message in error, error
    assert counts(db) == before


def test_another_retreats_tickets_and_rooms_are_refused(
    db, organizer_client, make_retreat, other_organizer
):
    retreat = make_retreat()
    mine_too = make_retreat()  # the same organizer's other retreat: still not this one's
    theirs = make_retreat(organizer=other_organizer)
    their_room = add_room_type(theirs, name="Their suite")
    before = counts(db)
    for data, field in (
        ({"ticket_types": [str(mine_too.ticket_types[0].id)]}, "ticket_types"),
        ({"ticket_types": [str(retreat.ticket_types[0].id), str(theirs.ticket_types[0].id)]},
         "ticket_types"),
        ({"room_types": [str(their_room.id)]}, "room_types"),
    ):  # fmt: skip
        response = add_extra(organizer_client, retreat, **data)
        assert response.status_code == 422
        assert "Please choose among this retreat's own" in field_error(
            response.get_data(as_text=True), field
        )
    assert counts(db) == before


@on_both_databases
def test_editing_changes_what_it_comes_with_and_audits_it(db, organizer_client, make_retreat):
    retreat = make_retreat()
    suite = add_room_type(retreat, name="Suite")
    single = ticket_for(retreat, 1)
    transfer = add_add_on(retreat, name="Transfer", room_types=[suite])
    url = add_ons_url(retreat, transfer)
    shown = form_values(organizer_client.get(url).get_data(as_text=True), url)
    assert shown["room_types"] == str(suite.id) and "ticket_types" not in shown

    response = edit_extra(
        organizer_client, retreat, transfer, name="Transfer", ticket_types=[str(single.id)]
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert [t.id for t in transfer.ticket_types] == [single.id]
    assert transfer.room_types == []
    entry = db.session.query(AuditEntry).filter_by(action="add_on.updated").one()
    assert entry.detail == "Transfer: description, ticket_types, room_types"


@on_both_databases
def test_the_limit_cannot_drop_below_the_units_taken(db, organizer_client, make_retreat):
    retreat = make_retreat()
    massage = add_add_on(retreat, name="Massage", price_per=PricePer.PERSON, quantity_limit=6)
    # A couple takes two units of a per-person add-on, a single guest one.
    held_booking(retreat, person(1), person(2), add_on_ids=[massage.id])
    held_booking(retreat, person(3), add_on_ids=[massage.id])
    lapsed_booking(retreat, person(4), add_on_ids=[massage.id])  # holds nothing any more

    refused = edit_extra(organizer_client, retreat, massage, name="Massage", quantity_limit="2")
    assert refused.status_code == 400
    assert field_error(refused.get_data(as_text=True), "quantity_limit") == (
        "3 of “Massage” are already taken or held, so the limit must be at least 3."
    )
    db.session.expire_all()
    assert massage.quantity_limit == 6
    editor = organizer_client.get(f"/organizer/retreats/{retreat.id}/edit").get_data(True)
    assert "3 of 6" in editor
    saved = edit_extra(organizer_client, retreat, massage, name="Massage", quantity_limit="3")
    assert saved.status_code == 303
    db.session.expire_all()
    assert massage.quantity_limit == 3
    with pytest.raises(DomainError) as sold_out:
        held_booking(retreat, person(5), add_on_ids=[massage.id])
    assert sold_out.value.field == "add_ons"


@on_both_databases
def test_a_hidden_add_on_leaves_new_bookings_and_existing_ones_keep_it(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    transfer = add_add_on(retreat, name="Transfer")
    kept = held_booking(retreat, person(1), add_on_ids=[transfer.id])
    url = add_ons_url(retreat, transfer, "visibility")

    hidden = editor_action(organizer_client, retreat, url, hidden="1")
    assert "“Transfer” is hidden" in organizer_client.get(hidden.headers["Location"]).get_data(
        as_text=True
    )
    db.session.expire_all()
    assert transfer.hidden is True
    lines = db.session.query(BookingLine).filter_by(booking_id=kept.id, kind=LineKind.ADD_ON)
    assert [line.add_on_id for line in lines] == [transfer.id]
    with pytest.raises(DomainError) as refused:
        held_booking(retreat, person(2), add_on_ids=[transfer.id])
    assert refused.value.field == "add_ons"

    editor_action(organizer_client, retreat, url, hidden="0")
    db.session.expire_all()
    assert transfer.hidden is False
    assert held_booking(retreat, person(3), add_on_ids=[transfer.id]).amount_minor > 0
    assert audit_actions_for_retreat(db, retreat.id) == ["add_on.hidden", "add_on.shown"]


@on_both_databases
def test_delete_an_unused_add_on_but_not_one_any_booking_has(db, organizer_client, make_retreat):
    retreat = make_retreat()
    transfer = add_add_on(retreat, name="Transfer")
    night = add_add_on(retreat, name="Extra night")
    cancelled_booking(retreat, person(1), add_on_ids=[transfer.id])

    refused = editor_action(organizer_client, retreat, add_ons_url(retreat, transfer, "delete"))
    page = organizer_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "People have booked “Transfer”, so it cannot be deleted. Hide it instead" in page
    deleted = editor_action(organizer_client, retreat, add_ons_url(retreat, night, "delete"))
    assert "“Extra night” deleted." in organizer_client.get(deleted.headers["Location"]).get_data(
        as_text=True
    )
    db.session.expire_all()
    assert [add_on.name for add_on in retreat.add_ons] == ["Transfer"]
    entry = db.session.query(AuditEntry).filter_by(action="add_on.deleted").one()
    assert (entry.retreat_id, entry.detail) == (retreat.id, "Extra night")


@on_both_databases
def test_a_ticket_type_an_add_on_comes_only_with_is_not_deleted(db, organizer_client, make_retreat):
    retreat = make_retreat()
    couple = ticket_for(retreat, 2)
    add_add_on(retreat, name="Couples massage", ticket_types=[couple])
    refused = editor_action(
        organizer_client,
        retreat,
        f"/organizer/retreats/{retreat.id}/tickets/{couple.id}/delete",
    )
    page = organizer_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "“Couples massage” is offered only with this ticket type" in page
    db.session.expire_all()
    assert couple in retreat.ticket_types


def test_add_ons_of_others_are_404_and_nothing_changes(
    db, organizer_client, make_retreat, other_organizer
):
    mine = make_retreat()
    theirs = make_retreat(organizer=other_organizer)
    their_add_on = add_add_on(theirs, name="Their transfer")
    before = counts(db)
    for url in (
        add_ons_url(mine, their_add_on),
        add_ons_url(theirs),
        add_ons_url(theirs, their_add_on),
    ):
        assert organizer_client.get(url).status_code == 404, url
    token_url = f"/organizer/retreats/{mine.id}/edit"
    csrf = form_values(organizer_client.get(token_url).get_data(as_text=True), token_url)
    for url in (
        add_ons_url(mine, their_add_on, "visibility"),
        add_ons_url(mine, their_add_on, "delete"),
        add_ons_url(theirs, their_add_on, "visibility"),
        add_ons_url(theirs, their_add_on, "delete"),
        add_ons_url(theirs, their_add_on),
        add_ons_url(theirs),
    ):
        data = {"csrf_token": csrf["csrf_token"], "hidden": "1"} | FIELDS
        assert organizer_client.post(url, data=data).status_code == 404, url
    assert counts(db) == before
    db.session.expire_all()
    assert (their_add_on.name, their_add_on.hidden) == ("Their transfer", False)
