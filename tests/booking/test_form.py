"""The booking form over HTTP: CSRF, field errors beside each field, nothing written on error."""

from __future__ import annotations

import pytest

from retreats.booking.answers import answer_field
from retreats.booking.models import Attendee, Booking
from tests.conftest import csrf_token_from
from tests.factories import attendee, held_booking, starting_questions


def form_data(csrf: str, ticket_id: int, **overrides) -> dict:
    data = {
        "csrf_token": csrf,
        "ticket_type": str(ticket_id),
        "attendees-0-name": "Ada Lovelace",
        "attendees-0-email": "ada@example.org",
        "attendees-1-name": "",
        "attendees-1-email": "",
        "code_of_conduct": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def retreat(make_retreat):
    return make_retreat(capacity=4)


def ticket_id(retreat, seats: int) -> int:
    return next(t.id for t in retreat.ticket_types if t.seats_per_ticket == seats)


def open_form(client, retreat) -> str:
    response = client.get(f"/retreats/{retreat.slug}/book")
    assert response.status_code == 200
    return csrf_token_from(response.get_data(as_text=True))


def assert_nothing_written(db):
    assert db.session.query(Booking).count() == 0
    assert db.session.query(Attendee).count() == 0


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"attendees-0-name": ""}, "attendees-0-name", "Please enter a name."),
        ({"attendees-0-email": ""}, "attendees-0-email", "We need your email"),
        ({"attendees-0-email": "not-an-email"}, "attendees-0-email", "Invalid email address."),
        ({"code_of_conduct": None}, "code_of_conduct", "Please agree to the code of conduct"),
        ({"attendees-0-name": "x" * 201}, "attendees-0-name", "Field cannot be longer than 200"),
    ],
)
def test_invalid_fields_get_an_error_beside_them_and_write_nothing(
    client, db, retreat, overrides, field_id, message
):
    csrf = open_form(client, retreat)
    response = client.post(
        f"/retreats/{retreat.slug}/book", data=form_data(csrf, ticket_id(retreat, 1), **overrides)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field_id}-error"' in html
    assert message in html
    assert_nothing_written(db)


def test_a_couple_ticket_needs_the_partner_name(client, db, retreat):
    csrf = open_form(client, retreat)
    response = client.post(
        f"/retreats/{retreat.slug}/book", data=form_data(csrf, ticket_id(retreat, 2))
    )
    assert response.status_code == 422
    assert 'id="attendees-1-name-error"' in response.get_data(as_text=True)
    assert_nothing_written(db)


def test_partner_fields_are_ignored_for_a_single_ticket(client, db, retreat):
    """A bad partner email on an individual ticket is not an error: those fields are unused."""
    csrf = open_form(client, retreat)
    response = client.post(
        f"/retreats/{retreat.slug}/book",
        data=form_data(csrf, ticket_id(retreat, 1), **{"attendees-1-email": "nonsense"}),
    )
    # Valid form: it holds the seat, then fails to reach Stripe (nothing listens in this test).
    assert response.status_code == 502
    assert "your place was released and nothing was charged" in response.get_data(as_text=True)
    assert_nothing_written(db)


def test_an_unknown_ticket_is_an_error(client, db, retreat):
    csrf = open_form(client, retreat)
    response = client.post(f"/retreats/{retreat.slug}/book", data=form_data(csrf, 999_999))
    assert response.status_code == 422
    assert_nothing_written(db)


def test_a_missing_csrf_token_is_refused(client, db, retreat):
    response = client.post(
        f"/retreats/{retreat.slug}/book", data=form_data("", ticket_id(retreat, 1))
    )
    assert response.status_code == 400
    assert_nothing_written(db)


def test_a_sold_out_retreat_says_so_and_holds_nothing(client, db, make_retreat):
    retreat = make_retreat(capacity=0)
    page = client.get(f"/retreats/{retreat.slug}/book")
    assert "Sold out" in page.get_data(as_text=True)
    csrf = csrf_token_from(client.get(f"/retreats/{make_retreat().slug}/book").get_data(True))
    response = client.post(
        f"/retreats/{retreat.slug}/book", data=form_data(csrf, ticket_id(retreat, 1))
    )
    assert response.status_code == 409
    assert "Sold out" in response.get_data(as_text=True)
    assert_nothing_written(db)


def test_booking_a_draft_or_unknown_retreat_is_404(client, make_retreat):
    from retreats.listings.models import RetreatStatus

    draft = make_retreat(status=RetreatStatus.DRAFT)
    assert client.get(f"/retreats/{draft.slug}/book").status_code == 404
    assert client.get("/retreats/no-such-thing/book").status_code == 404


def test_selling_out_between_form_and_submit_is_told_kindly(client, db, make_retreat):
    retreat = make_retreat(capacity=1)
    csrf = open_form(client, retreat)
    held_booking(retreat, attendee("first@example.org", "First"))
    response = client.post(
        f"/retreats/{retreat.slug}/book", data=form_data(csrf, ticket_id(retreat, 1))
    )
    assert response.status_code == 409
    assert "sold out" in response.get_data(as_text=True)
    assert db.session.query(Booking).count() == 1


def test_the_starting_questions_are_asked_of_each_person_and_checked_beside_them(
    client, db, retreat
):
    """A retreat's four starting questions (once fixed fields of the form) are asked of each
    person; an answer too long comes back beside its field, nothing written."""
    questions = starting_questions(retreat)
    page = client.get(f"/retreats/{retreat.slug}/book").get_data(as_text=True)
    for question in questions.values():
        assert f'name="{answer_field(question, 0)}"' in page
        assert f'name="{answer_field(question, 1)}"' in page
    hopes = answer_field(questions["hopes"], 0)
    response = client.post(
        f"/retreats/{retreat.slug}/book",
        data=form_data(csrf_token_from(page), ticket_id(retreat, 1), **{hopes: "x" * 2001}),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{hopes}-error"' in html
    assert "Please keep this under 2000 characters (2001 now)." in html
    assert_nothing_written(db)
