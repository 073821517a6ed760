"""Discount codes on a booking: what each takes off, when one is refused (beside its field, with
nothing written), and its uses counted under its lock, given back when a booking ends unpaid."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from retreats.base.outbox import OutboxEmail
from retreats.booking.blueprint import manage_page_url
from retreats.booking.discount_uses import code_uses
from retreats.booking.models import Booking, BookingStatus, LineKind
from retreats.booking.pricing import booking_quote
from retreats.booking.services import AttendeeDetails, hold_seats
from retreats.database import utcnow
from retreats.errors import DomainError, SoldOut
from retreats.formatting import format_money
from retreats.notifications.messages import confirmation_message
from tests.booking.test_stay_form import (
    checkout_line_items,
    form_url,
    open_form,
    quote,
    summary_of,
)
from tests.conftest import csrf_token_from
from tests.factories import (
    ADA,
    BEA,
    cancelled_booking,
    create_discount_code,
    expired_booking,
    held_booking,
    paid_booking,
)
from tests.journey import filled_booking_form
from tests.races import all_at_once
from tests.visitor_stay import sintra_weekend

JOIN_SECONDS = 60


def refusal(retreat, code: str, *people, **options) -> DomainError:
    with pytest.raises(DomainError) as refused:
        held_booking(retreat, *people, discount_code=code, **options)
    assert refused.value.field == "discount_code"
    return refused.value


def test_a_percent_code_takes_its_share_of_the_whole_booking_off_as_a_line_of_its_own(
    make_retreat, organizer
):
    retreat = make_retreat()
    code = create_discount_code(organizer, "SPRING-TEN", percent_off=10)
    booking = held_booking(retreat, ADA, BEA, discount_code=" spring-ten ")
    lines = [(line.kind, line.name, line.amount_minor) for line in booking_quote(booking).lines]
    assert lines == [
        (LineKind.TICKET, "Couple (2 people)", 45_000),
        (LineKind.DISCOUNT, "Code SPRING-TEN (10% off)", -4_500),
    ]
    assert booking.amount_minor == 40_500
    assert booking.discount_code_id == code.id


def test_a_fixed_code_never_takes_off_more_than_the_booking_costs(make_retreat, organizer):
    retreat = make_retreat()
    create_discount_code(organizer, "GIFT-FROM-US", amount_off_minor=100_000, currency="EUR")
    booking = held_booking(retreat, discount_code="GIFT-FROM-US")
    assert booking.amount_minor == 0
    assert booking_quote(booking).lines[-1].name == "Code GIFT-FROM-US (€1,000.00 off)"


def test_without_a_code_nothing_changes(make_retreat, organizer):
    create_discount_code(organizer)
    booking = held_booking(make_retreat(), discount_code="")
    assert booking.amount_minor == 25_000 and booking.discount_code_id is None


def test_a_code_that_does_not_apply_is_refused_beside_the_field_and_nothing_is_written(
    make_retreat, organizer, other_organizer, db
):
    retreat = make_retreat()
    other_retreat = make_retreat()
    now = utcnow()
    create_discount_code(organizer, "OFF-DUTY", disabled_at=now)
    create_discount_code(organizer, "NOT-YET-OPEN", valid_from=now + timedelta(days=1))
    create_discount_code(organizer, "LONG-GONE", valid_until=now - timedelta(minutes=1))
    create_discount_code(organizer, "OTHER-RETREAT", retreats=[other_retreat])
    create_discount_code(
        organizer,
        "COUPLES-ONLY",
        ticket_types=[t for t in retreat.ticket_types if t.seats_per_ticket == 2],
    )
    create_discount_code(organizer, "IN-FRANCS", amount_off_minor=5_000, currency="CHF")
    create_discount_code(other_organizer, "NOT-YOURS")

    assert refusal(retreat, "NO-SUCH-CODE").message.startswith("This code is not valid")
    assert refusal(retreat, "NOT-YOURS").message.startswith("This code is not valid")
    assert refusal(retreat, "OFF-DUTY").message == "This code is no longer valid."
    assert refusal(retreat, "NOT-YET-OPEN").message == "This code is not valid yet."
    assert refusal(retreat, "LONG-GONE").message == "This code has expired."
    assert refusal(retreat, "OTHER-RETREAT").message == f"This code is not for {retreat.title}."
    assert refusal(retreat, "COUPLES-ONLY").message == (
        "This code is not for the “Individual” ticket."
    )
    assert refusal(retreat, "IN-FRANCS").message == (
        "This code is in CHF and this retreat is priced in EUR."
    )
    assert db.session.query(Booking).count() == 0


def test_a_code_is_used_at_most_its_number_of_times_and_a_booking_ended_unpaid_gives_its_use_back(
    make_retreat, organizer, db
):
    retreat = make_retreat()
    code = create_discount_code(organizer, "TWO-ONLY", max_uses=2)
    first = held_booking(retreat, discount_code="TWO-ONLY", contact_email="a@example.org")
    paid_booking(retreat, discount_code="TWO-ONLY", contact_email="b@example.org")
    used_up = refusal(retreat, "TWO-ONLY", contact_email="c@example.org")
    assert isinstance(used_up, SoldOut)
    assert used_up.message == "This code has been used as many times as it may be."

    db.session.get(Booking, first.id).status = BookingStatus.CANCELLED
    db.session.commit()
    assert code_uses(code.id, now=utcnow()) == 1
    held_booking(retreat, discount_code="TWO-ONLY", contact_email="c@example.org")


def test_cancelled_and_expired_bookings_do_not_count_as_uses(make_retreat, organizer):
    retreat = make_retreat()
    code = create_discount_code(organizer, "ONCE-EACH", max_uses=1)
    cancelled_booking(retreat, discount_code="ONCE-EACH")
    expired_booking(retreat, discount_code="ONCE-EACH")
    assert code_uses(code.id, now=utcnow()) == 0
    held_booking(retreat, discount_code="ONCE-EACH")
    assert code_uses(code.id, now=utcnow()) == 1


def test_a_code_limited_per_email_refuses_the_same_address_in_any_case(make_retreat, organizer):
    retreat = make_retreat()
    create_discount_code(organizer, "ONE-PER-HOME", max_uses_per_email=1)
    held_booking(retreat, discount_code="ONE-PER-HOME", contact_email="ada@example.org")
    assert refusal(retreat, "ONE-PER-HOME", contact_email="ADA@example.org").message == (
        "This code was already used with this email address."
    )
    held_booking(retreat, discount_code="ONE-PER-HOME", contact_email="bea@example.org")


def test_a_code_with_five_uses_left_is_used_five_times_by_many_at_once_across_retreats(
    app, db, make_retreat, organizer
):
    """Holds of two retreats race for one code's last five uses: each takes its retreat's lock,
    then the code's, so exactly five win whatever the order."""
    retreats = [make_retreat(capacity=40), make_retreat(capacity=40)]
    targets = [(r.id, r.ticket_types[0].id) for r in retreats]
    code = create_discount_code(organizer, "LAST-FIVE", max_uses=5)
    attempts = 24

    def attempt(number: int) -> str:
        retreat_id, ticket_id = targets[number % 2]
        email = f"guest{number}@example.org"
        hold_seats(
            retreat_id=retreat_id,
            ticket_type_id=ticket_id,
            contact_email=email,
            attendees=[AttendeeDetails(f"Guest {number}", email)],
            discount_code="LAST-FIVE",
        )
        return "used"

    outcomes = all_at_once(app, attempt, attempts=attempts, join_seconds=JOIN_SECONDS)

    assert len(outcomes) == attempts, "every attempt got an answer"
    assert outcomes.count("used") == 5
    assert "try again" not in outcomes
    assert code_uses(code.id, now=utcnow()) == 5
    assert db.session.query(Booking).filter_by(discount_code_id=code.id).count() == 5


def test_negative_amounts_are_written_with_a_minus_before_the_currency():
    assert format_money(-4_500, "EUR") == "−€45.00"
    assert format_money(-5_000, "CHF") == "−CHF 50.00"
    assert format_money(4_500, "EUR") == "€45.00"


# Over HTTP: the form's field, and Checkout ----------------------------------------------------


def _error_beside_code(html: str) -> str:
    match = re.search(r'<p class="error" id="discount_code-error">([^<]*)</p>', html)
    assert match, "no message beside the code field"
    return match.group(1)


def test_a_wrong_code_on_the_form_is_told_beside_it_with_the_rest_kept(client, make_retreat, db):
    retreat = make_retreat()
    url = f"/retreats/{retreat.slug}/book"
    form = filled_booking_form(client.get(url).get_data(as_text=True), retreat.ticket_types[0])
    response = client.post(url, data=form | {"discount_code": "WRONG-CODE"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _error_beside_code(html).startswith("This code is not valid")
    assert 'value="WRONG-CODE"' in html and 'value="Ada Lovelace"' in html
    assert db.session.query(Booking).count() == 0


def test_checkout_charges_the_discounted_total_on_one_line_naming_every_part(
    live_site, browser, app, db, make_retreat, organizer
):
    retreat = make_retreat()
    create_discount_code(organizer, "SPRING-TEN", percent_off=10)
    url = f"{live_site.url}/retreats/{retreat.slug}/book"
    couple = next(t for t in retreat.ticket_types if t.seats_per_ticket == 2)
    form = filled_booking_form(browser.get(url).text, couple) | {"discount_code": "spring-ten"}

    response = browser.post(url, data=form, allow_redirects=False)

    assert response.status_code == 303, response.text
    items = checkout_line_items(live_site, app, response.headers["Location"])
    assert [(item["description"], item["quantity"], item["amount_total"]) for item in items] == [
        (f"{retreat.title}: Couple (2 people), Code SPRING-TEN (10% off)", 1, 40_500)
    ]


def test_the_booking_page_and_the_confirmation_show_the_code_as_a_line(
    client, make_retreat, organizer, db
):
    retreat = make_retreat()
    create_discount_code(organizer, "SPRING-TEN", percent_off=10)
    booking = paid_booking(retreat, ADA, BEA, discount_code="SPRING-TEN")
    with client.application.test_request_context():
        page_url = manage_page_url(booking)
    page = client.get(page_url).get_data(as_text=True)
    assert "Code SPRING-TEN (10% off)" in page and "−€45.00" in page and "€405.00" in page
    confirmation = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == booking.id, OutboxEmail.kind == "confirmation"
        )
    ).one()
    text = confirmation_message(confirmation).text
    assert "Code SPRING-TEN (10% off): −€45.00" in text


# The form's total, before anything is held ----------------------------------------------------


def test_the_forms_total_shows_a_code_that_applies_and_tells_one_that_does_not(
    client, db, make_retreat, organizer
):
    sintra = sintra_weekend(make_retreat)
    create_discount_code(organizer, "SPRING-TEN", percent_off=10)
    create_discount_code(organizer, "FOR-COUPLES", ticket_types=[sintra.couple])
    page = open_form(client, sintra.retreat)
    choice = {"ticket_type": str(sintra.individual.id), "room_type": str(sintra.twin.id)}

    applies = quote(client, sintra.retreat, page, **choice, discount_code="spring-ten")
    wrong = quote(client, sintra.retreat, page, **choice, discount_code="FOR-COUPLES")

    assert applies.status_code == 200
    assert " ".join(re.sub(r"<[^>]+>", " ", applies.get_data(as_text=True)).split()) == (
        "Individual €250.00 Shared twin €150.00 Code SPRING-TEN (10% off) −€40.00 Total €360.00"
    )
    assert wrong.status_code == 400
    assert "This code is not for the “Individual” ticket." in wrong.get_data(as_text=True)
    assert db.session.query(Booking).count() == 0


def test_update_total_without_scripts_shows_the_code_or_its_message_beside_it(
    client, db, make_retreat, organizer
):
    sintra = sintra_weekend(make_retreat)
    create_discount_code(organizer, "SPRING-TEN", percent_off=10)
    page = open_form(client, sintra.retreat)
    choices = {
        "csrf_token": csrf_token_from(page),
        "ticket_type": str(sintra.individual.id),
        "room_type": str(sintra.twin.id),
        "update_total": "1",
    }

    shown = client.post(form_url(sintra.retreat), data=choices | {"discount_code": "SPRING-TEN"})
    refused = client.post(form_url(sintra.retreat), data=choices | {"discount_code": "NOPE-NOPE"})

    assert summary_of(shown.get_data(as_text=True)).endswith(
        "Code SPRING-TEN (10% off) −€40.00 Total €360.00"
    )
    assert _error_beside_code(refused.get_data(as_text=True)).startswith("This code is not valid")
    assert db.session.query(Booking).count() == 0
