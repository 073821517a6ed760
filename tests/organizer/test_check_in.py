"""Checking people in at the door: a plain form per person, audited, back to the same list."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from retreats.booking.models import Attendee
from retreats.extensions import db
from tests.factories import ADA, BEA, CY, held_booking, paid_booking
from tests.organizer.helpers import audit_entries_with_action, list_page, session_csrf_token


def check_in_url(retreat, attendee_id: int) -> str:
    return f"/organizer/retreats/{retreat.id}/attendees/{attendee_id}/check-in"


def post_check_in(client, retreat, attendee_id: int, *, checked_in: str = "1", **extra):
    token = session_csrf_token(client, retreat.id)
    return client.post(
        check_in_url(retreat, attendee_id),
        data={"csrf_token": token, "checked_in": checked_in, "status": "confirmed", **extra},
    )


def attendee(attendee_id: int) -> Attendee:
    db.session.expire_all()
    return db.session.get(Attendee, attendee_id)


def test_checking_in_and_undoing_it_is_recorded_and_returns_to_the_same_list(
    organizer_client, make_retreat, organizer
):
    retreat = make_retreat()
    booking = paid_booking(retreat, ADA, BEA)
    bea_id = booking.attendees[1].id

    response = post_check_in(organizer_client, retreat, bea_id, q="love")

    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/organizer/retreats/{retreat.id}/attendees"
    assert parse_qs(location.query) == {"status": ["confirmed"], "q": ["love"]}
    assert location.fragment == f"attendee-{bea_id}"
    assert attendee(bea_id).checked_in_at is not None
    assert attendee(booking.attendees[0].id).checked_in_at is None  # only Bea
    [entry] = audit_entries_with_action(db, "attendee.checked_in")
    assert entry.actor_id == organizer.id and entry.booking_id == booking.id
    assert "Bea Lovelace" in entry.detail

    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bea Lovelace is checked in." in page
    assert "Undo check-in for Bea Lovelace" in page
    assert "<dt>Checked in</dt><dd>1 / 2</dd>" in page

    undone = post_check_in(organizer_client, retreat, bea_id, checked_in="0")
    assert undone.status_code == 303
    assert attendee(bea_id).checked_in_at is None
    assert len(audit_entries_with_action(db, "attendee.check_in_undone")) == 1


def test_a_double_tap_checks_in_once(organizer_client, make_retreat):
    retreat = make_retreat()
    ada_id = paid_booking(retreat, ADA).attendees[0].id

    post_check_in(organizer_client, retreat, ada_id)
    first = attendee(ada_id).checked_in_at
    again = post_check_in(organizer_client, retreat, ada_id)

    assert attendee(ada_id).checked_in_at == first
    assert len(audit_entries_with_action(db, "attendee.checked_in")) == 1
    page = organizer_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Ada Lovelace was already checked in." in page


def test_someone_on_an_unconfirmed_booking_cannot_be_checked_in(organizer_client, make_retreat):
    retreat = make_retreat()
    pending = held_booking(retreat, CY)
    cy_id = pending.attendees[0].id

    response = post_check_in(organizer_client, retreat, cy_id)

    assert response.status_code == 303
    assert attendee(cy_id).checked_in_at is None
    assert audit_entries_with_action(db, "attendee.checked_in") == []
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cy Young is on a booking that is pending, not confirmed" in page


def test_a_check_in_without_its_form_token_or_with_junk_changes_nothing(
    organizer_client, make_retreat
):
    retreat = make_retreat()
    ada_id = paid_booking(retreat, ADA).attendees[0].id

    forged = organizer_client.post(check_in_url(retreat, ada_id), data={"checked_in": "1"})
    assert forged.status_code == 400
    junk = post_check_in(organizer_client, retreat, ada_id, checked_in="yes please")
    assert junk.status_code == 303
    bad_filter = post_check_in(organizer_client, retreat, ada_id, status="everything")
    assert bad_filter.status_code == 303
    assert attendee(ada_id).checked_in_at is None
    assert organizer_client.post(check_in_url(retreat, 10**30)).status_code == 404


def test_someone_elses_attendee_is_not_found(
    organizer_client, sign_in, other_organizer, make_retreat
):
    mine = make_retreat()
    theirs = make_retreat(organizer=other_organizer)
    their_attendee = paid_booking(theirs, CY).attendees[0].id

    # Through my own retreat's URL: still not found, and nothing changes.
    response = post_check_in(organizer_client, mine, their_attendee)

    assert response.status_code == 404
    assert attendee(their_attendee).checked_in_at is None


def test_the_check_in_button_works_without_javascript_and_is_large_enough(
    organizer_client, make_retreat, app
):
    retreat = make_retreat()
    ada_id = paid_booking(retreat, ADA).attendees[0].id

    page = list_page(organizer_client, retreat)

    form_start = page.index(f'action="{check_in_url(retreat, ada_id)}"')
    form = page[page.rindex("<form", 0, form_start) : page.index("</form>", form_start)]
    assert 'method="post"' in form and 'type="submit"' in form and "<script" not in page
    css = (app.static_folder + "/css/site.css").replace("//", "/")
    with open(css, encoding="utf-8") as stylesheet:
        rules = stylesheet.read()
    assert ".check-in-button { min-height: 44px; min-width: 44px;" in rules
