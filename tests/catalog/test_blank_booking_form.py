"""The blank booking form, kept for everyone (retreats/catalog/booking_form.py).

It is rendered once per state of the public pages and each visitor gets it with their own CSRF
token and submission key put in. These tests check that nothing of one visitor is kept for
another, that a form posted back is never kept, and that everything the form shows (seats,
rooms and add-ons left, the retreat, its questions) follows every change as the retreat page does.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from retreats.caching.fragments import Fragment, fragment_store, kept_fragment
from retreats.database import utcnow
from retreats.listings.models import RetreatStatus
from tests.conftest import csrf_token_from
from tests.factories import (
    CY,
    add_add_on,
    add_question,
    add_room_type,
    create_organizer,
    held_booking,
    ticket_for,
)


@pytest.fixture(autouse=True)
def read_the_state_on_every_request(app):
    app.config["PUBLIC_PAGE_RECHECK_MS"] = 0


@pytest.fixture
def retreat(make_retreat):
    return make_retreat(capacity=3)


def form_url(retreat) -> str:
    return f"/retreats/{retreat.slug}/book"


def get(client, path: str, count_statements=None):
    """One GET in a fresh app context, as a real request has; (response, statements)."""
    with client.application.app_context():
        if count_statements is None:
            return client.get(path), None
        with count_statements() as statements:
            return client.get(path), list(statements)


def form_of(client, retreat) -> str:
    response = get(client, form_url(retreat))[0]
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def submission_key_from(html: str) -> str:
    match = re.search(r'name="submission_key" type="hidden" value="([0-9a-f]{32})"', html)
    assert match, "no submission key in the form"
    return match.group(1)


def kept_forms(app) -> list[str]:
    """Every kept fragment: the blank forms, and the pages around them for visitors without a
    session."""
    with app.app_context():
        return [str(kept.fragment.html) for kept in fragment_store().values()]


def kept_form(app, retreat) -> str:
    with app.app_context():
        return str(fragment_store().get(("blank booking form", retreat.slug)).fragment.html)


def flash_for(client, message: str) -> None:
    """A flash message waiting for the visitor's next page, as after a redirect."""
    with client.session_transaction() as session:
        session.setdefault("_flashes", []).append(("info", message))


def test_two_visitors_get_the_same_kept_form_with_their_own_token_and_key(
    app, retreat, count_statements
):
    ada, bea = app.test_client(), app.test_client()
    first, rendering = get(ada, form_url(retreat), count_statements)
    second, serving = get(bea, form_url(retreat), count_statements)
    ada_page, bea_page = first.get_data(as_text=True), second.get_data(as_text=True)

    assert len(serving) == 1 < len(rendering)  # the state's one statement, nothing more
    assert csrf_token_from(ada_page) != csrf_token_from(bea_page)
    assert submission_key_from(ada_page) != submission_key_from(bea_page)
    # Apart from those two fields, the very same form.
    assert _without_visitor_fields(ada_page) == _without_visitor_fields(bea_page)
    assert "Book your place" in kept_form(app, retreat)
    for kept in kept_forms(app):  # the form, and the page around it for visitors like these
        for per_visitor in ("csrf_token", "submission_key", csrf_token_from(ada_page)):
            assert per_visitor not in kept, per_visitor
    # A visitor opening the form again gets a new submission key (a new form), same token.
    again = form_of(ada, retreat)
    assert submission_key_from(again) != submission_key_from(ada_page)
    # The same token: its signed form carries the second it was signed at, so compare the
    # token itself (the part before the timestamp).
    assert csrf_token_from(again).split(".")[0] == csrf_token_from(ada_page).split(".")[0]


def _without_visitor_fields(html: str) -> str:
    return re.sub(r'<input id="(csrf_token|submission_key)"[^>]*>', "", html)


def test_a_flash_message_or_an_organizer_signed_in_is_never_kept_for_others(app, retreat, sign_in):
    ada = app.test_client()
    form_of(ada, retreat)  # now she has a session
    organizer = sign_in(create_organizer(email="zelda@example.org", name="Zelda Quartermaine"))
    anonymous = app.test_client()

    flash_for(ada, "Only for Ada: you left the payment page")
    ada_page, organizer_page = form_of(ada, retreat), form_of(organizer, retreat)
    anonymous_page = form_of(anonymous, retreat)
    assert "Only for Ada" in ada_page and "Only for Ada" not in organizer_page
    assert "Zelda Quartermaine" in organizer_page and "Zelda" not in ada_page
    assert "Only for Ada" not in anonymous_page and "Zelda" not in anonymous_page
    assert "Only for Ada" not in form_of(ada, retreat)  # shown once, then gone
    for kept in kept_forms(app):
        assert "Only for" not in kept and "Zelda" not in kept and "Sign out" not in kept


def test_a_form_posted_back_with_messages_is_never_kept(app, retreat):
    client = app.test_client()
    page = form_of(client, retreat)
    answer = client.post(
        form_url(retreat),
        data={
            "csrf_token": csrf_token_from(page),
            "submission_key": submission_key_from(page),
            "ticket_type": str(ticket_for(retreat, 1).id),
            "attendees-0-name": "Zebulon Posted",
            "attendees-0-email": "not-an-email",
        },
    )
    posted = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Zebulon Posted" in posted and "Please check the fields marked below." in posted
    assert submission_key_from(posted) == submission_key_from(page)  # the same form, again

    for kept in kept_forms(app):
        assert "Zebulon" not in kept and "Please check the fields" not in kept
    blank = form_of(app.test_client(), retreat)
    assert "Zebulon" not in blank and "Please check the fields" not in blank


def test_a_hold_changes_the_places_left_on_the_kept_form_at_once(app, retreat):
    client = app.test_client()
    assert "3 places left" in form_of(client, retreat)

    held_booking(retreat)
    assert "2 places left" in form_of(client, retreat)
    held_booking(retreat, CY)
    held_booking(retreat)

    page = form_of(client, retreat)
    assert "Sold out" in page and 'name="ticket_type"' not in page


def test_a_hold_that_runs_out_frees_its_place_on_the_kept_form(app, db, retreat):
    client = app.test_client()
    held = held_booking(retreat)
    assert "2 places left" in form_of(client, retreat)

    # Only the clock moves: the hold's end is the state's next change in time.
    held.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "3 places left" in form_of(client, retreat)


def test_a_room_taken_shows_sold_out_and_is_no_longer_a_choice(app, retreat):
    room = add_room_type(retreat, name="Cedar single", rooms=1, sleeps=1, suits_couple=False)
    add_room_type(retreat, name="Oak double", rooms=2)
    client = app.test_client()
    cedar = f'name="room_type" type="radio" value="{room.id}"'
    page = form_of(client, retreat)
    assert cedar in page and "Cedar single" in page and "1 room left" in page

    held_booking(retreat, room_type_id=room.id)
    page = form_of(client, retreat)
    assert cedar not in page and "Cedar single" not in page  # sold out: not a choice
    assert "Oak double" in page


def test_a_limited_add_on_taken_shows_on_the_kept_form(app, retreat):
    add_on = add_add_on(retreat, name="Sunrise yoga", quantity_limit=2)
    client = app.test_client()
    assert "only 2 left" in form_of(client, retreat)

    held_booking(retreat, add_on_ids=[add_on.id])
    assert "only 1 left" in form_of(client, retreat)


def test_an_edit_of_the_retreat_shows_on_the_kept_form(app, db, retreat):
    client = app.test_client()
    form_of(client, retreat)

    retreat.title = "Heart Retreat, renamed"
    db.session.commit()
    assert "Heart Retreat, renamed" in form_of(client, retreat)


def test_a_question_added_or_edited_shows_on_the_kept_form(app, db, retreat):
    client = app.test_client()
    assert "What brings you here?" not in form_of(client, retreat)

    question = add_question(retreat, label="What brings you here?")
    assert "What brings you here?" in form_of(client, retreat)

    question.label = "What brings you to us?"  # as the organizer's question editor does
    db.session.commit()
    assert "What brings you to us?" in form_of(client, retreat)

    # Asked with the couple ticket only: the question's own row is unchanged, its tickets are.
    question.ticket_types = [ticket_for(retreat, 2)]
    db.session.commit()
    assert "data-ticket-types=" in form_of(client, retreat)


def test_a_retreat_not_open_for_booking_is_a_404_and_nothing_is_kept(app, make_retreat):
    draft = make_retreat(status=RetreatStatus.DRAFT)
    client = app.test_client()
    for path in (form_url(draft), "/retreats/no-such-retreat/book"):
        assert get(client, path)[0].status_code == 404
    assert kept_forms(app) == []


def test_a_fragment_is_rendered_again_once_its_own_moment_has_come(app):
    """What the state does not know (a deposit no longer offered past the balance's due
    moment) the fragment says itself (changes_at)."""
    renders: list[Fragment] = []

    def render(changes_at) -> Fragment:
        renders.append(Fragment(html=f"render {len(renders)}", changes_at=changes_at))
        return renders[-1]

    ahead, passed = utcnow() + timedelta(hours=1), utcnow() - timedelta(seconds=1)
    with app.test_request_context("/"):
        assert kept_fragment("ahead", lambda: render(ahead)).html == "render 0"
        assert kept_fragment("ahead", lambda: render(ahead)).html == "render 0"  # kept
        assert kept_fragment("passed", lambda: render(passed)).html == "render 1"
        assert kept_fragment("passed", lambda: render(None)).html == "render 2"  # rendered again
        assert kept_fragment("passed", lambda: render(None)).html == "render 2"  # then kept


@pytest.mark.parametrize("first_on_this_state", [True, False])
def test_the_session_the_form_starts_is_settled_in_its_own_response(
    app, retreat, first_on_this_state
):
    """The form starts the visitor's session (its CSRF token), and the next page they open
    writes no cookie again, whether their form was rendered or came kept."""
    if not first_on_this_state:
        form_of(app.test_client(), retreat)  # someone else's visit keeps the page
    visitor = app.test_client()
    opened = get(visitor, form_url(retreat))[0]
    assert "session=" in opened.headers.get("Set-Cookie", "")

    catalog = get(visitor, "/")[0]
    assert catalog.status_code == 200
    assert "Set-Cookie" not in catalog.headers
