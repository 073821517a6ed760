"""The attendee list: couples together, filters and search, private answers only when asked for
(and audited), figures at the top, and a fixed number of SQL statements whatever its length.
"""

from __future__ import annotations

import pytest

from retreats.booking.models import Booking
from retreats.booking.services import AttendeeDetails
from tests.conftest import on_both_databases
from tests.factories import (
    ADA,
    ADA_INTAKE,
    BEA,
    BEA_INTAKE,
    CY,
    CY_INTAKE,
    held_booking,
    intake,
    paid_booking,
)
from tests.organizer.helpers import (
    add_bookings,
    audit_entries_with_action,
    booking_blocks,
    list_page,
)


def test_a_couple_is_listed_together_under_their_booking(organizer_client, make_retreat):
    retreat = make_retreat()
    couple = paid_booking(retreat, ADA, BEA, answers=intake(retreat, ADA_INTAKE, BEA_INTAKE))
    single = paid_booking(retreat, CY)

    page = list_page(organizer_client, retreat)

    blocks = booking_blocks(page)
    assert set(blocks) == {couple.reference, single.reference}
    couple_block = blocks[couple.reference]
    assert "Ada Lovelace" in couple_block and "Bea Lovelace" in couple_block
    assert "Couple (2 people)" in couple_block and "€450.00" in couple_block
    assert "Cy Young" not in couple_block
    assert "Cy Young" in blocks[single.reference] and "€250.00" in blocks[single.reference]
    assert couple_block.index("Ada Lovelace") < couple_block.index("Bea Lovelace")
    # Dietary needs, an ordinary question, are part of the list, by the person who answered.
    assert "No nuts" in couple_block and "Vegetarian" in couple_block
    assert couple_block.index("Bea Lovelace") < couple_block.index("No nuts")
    assert page.count('class="check-in-button button-primary"') == 3


def test_the_figures_at_the_top_count_confirmed_bookings_seats_and_check_ins(
    organizer_client, make_retreat, db
):
    retreat = make_retreat(capacity=10)
    couple = paid_booking(retreat, ADA, BEA)
    paid_booking(retreat, CY)
    held_booking(retreat, CY)  # pending: not counted
    db.session.get(Booking, couple.id).attendees[1].checked_in_at = couple.confirmed_at
    db.session.commit()

    page = list_page(organizer_client, retreat)

    assert "<dt>Confirmed bookings</dt><dd>2</dd>" in page
    assert "<dt>Seats taken</dt><dd>3 / 10</dd>" in page
    assert "<dt>Checked in</dt><dd>1 / 3</dd>" in page


def test_the_list_shows_confirmed_bookings_unless_another_status_is_chosen(
    organizer_client, make_retreat
):
    retreat = make_retreat()
    confirmed = paid_booking(retreat, ADA)
    pending = held_booking(retreat, CY)

    assert set(booking_blocks(list_page(organizer_client, retreat))) == {confirmed.reference}
    everyone = booking_blocks(list_page(organizer_client, retreat, status="all"))
    assert set(everyone) == {confirmed.reference, pending.reference}
    assert "Not confirmed" in everyone[pending.reference]  # no check-in button for it
    only_pending = list_page(organizer_client, retreat, status="pending")
    assert set(booking_blocks(only_pending)) == {pending.reference}
    assert set(booking_blocks(list_page(organizer_client, retreat, status=""))) == {
        confirmed.reference
    }


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("BEA", {"couple"}),  # the partner's name finds the whole couple booking
        ("cy@EXAMPLE", {"single"}),
        ("lovelace", {"couple"}),
        ("example.org", {"couple", "single"}),
        ("%", set()),  # a wildcard is taken literally: it matches nobody here
        ("_", set()),
        ("a%e", set()),
        ("nobody", set()),
    ],
)
def test_search_finds_people_by_name_or_email(organizer_client, make_retreat, search, found):
    retreat = make_retreat()
    references = {
        paid_booking(retreat, ADA, BEA).reference: "couple",
        paid_booking(retreat, CY).reference: "single",
    }

    page = list_page(organizer_client, retreat, q=search)

    assert {references[ref] for ref in booking_blocks(page)} == found


def test_search_finds_a_literal_percent_sign(organizer_client, make_retreat):
    retreat = make_retreat()
    paid_booking(retreat, ADA)
    percent = paid_booking(retreat, AttendeeDetails(name="Dee 100% Present", email="dee@x.org"))

    page = list_page(organizer_client, retreat, q="100%")

    assert set(booking_blocks(page)) == {percent.reference}


@pytest.mark.parametrize(
    "query",
    [{"status": "paid"}, {"status": "confirmed' OR 1=1"}, {"q": "x" * 5000}],
)
def test_a_filter_the_list_does_not_offer_is_a_400(organizer_client, make_retreat, query):
    retreat = make_retreat()
    response = organizer_client.get(
        f"/organizer/retreats/{retreat.id}/attendees", query_string=query
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/organizer/retreats/{huge}/attendees",
        "/organizer/retreats/{huge}/attendees.csv",
        "/organizer/retreats/{retreat}/bookings/{huge}",
        "/organizer/retreats/{retreat}/bookings/{past_int64}",
        "/organizer/retreats/{retreat}/bookings/{past_int32}",
        "/organizer/retreats/{retreat}/bookings/-1",
        "/organizer/retreats/{retreat}/bookings/RB-ABC",
        "/organizer/retreats/{retreat}/message",
    ],
)
def test_ids_that_cannot_exist_are_not_found(organizer_client, make_retreat, path):
    retreat = make_retreat()
    url = path.format(retreat=retreat.id + 1, huge=10**30, past_int64=2**63, past_int32=2**31)
    assert organizer_client.get(url).status_code == 404


@on_both_databases  # private answers and their audit
def test_private_answers_are_left_out_unless_asked_for_and_each_viewing_is_audited(
    organizer_client, make_retreat, organizer, db
):
    retreat = make_retreat()
    paid_booking(retreat, ADA, BEA, answers=intake(retreat, ADA_INTAKE, BEA_INTAKE))
    private_answers = [ADA_INTAKE[key] for key in ("accessibility", "emergency-contact", "hopes")]

    page = list_page(organizer_client, retreat)
    for answer in private_answers:
        assert answer not in page
    assert "Show private answers" in page
    assert audit_entries_with_action(db, "answers.viewed") == []

    shown = list_page(organizer_client, retreat, private="1", q="ada")
    for answer in private_answers:
        assert answer in shown
    [entry] = audit_entries_with_action(db, "answers.viewed")
    assert entry.actor_id == organizer.id and entry.retreat_id == retreat.id
    assert 'status=confirmed, search="ada"' in entry.detail

    list_page(organizer_client, retreat, private="1")
    assert len(audit_entries_with_action(db, "answers.viewed")) == 2
    assert ADA_INTAKE["hopes"] not in list_page(organizer_client, retreat, private="0")
    assert len(audit_entries_with_action(db, "answers.viewed")) == 2


@on_both_databases  # private answers and their audit
def test_another_organizers_attendees_are_not_found(sign_in, other_organizer, make_retreat, db):
    retreat = make_retreat()
    booking = paid_booking(retreat, ADA)
    stranger = sign_in(other_organizer)
    base = f"/organizer/retreats/{retreat.id}"

    for url in (
        f"{base}/attendees",
        f"{base}/attendees?private=1",
        f"{base}/attendees.csv?private=1",
        f"{base}/bookings/{booking.id}?private=1",
        f"{base}/message",
    ):
        assert stranger.get(url).status_code == 404, url
    assert audit_entries_with_action(db, "answers.viewed") == []
    assert audit_entries_with_action(db, "attendees.exported") == []


def test_signed_out_visitors_are_sent_to_sign_in(client, make_retreat):
    retreat = make_retreat()
    response = client.get(f"/organizer/retreats/{retreat.id}/attendees")
    assert response.status_code == 302
    assert "/organizer/login" in response.headers["Location"]


def statements_for_list(app, count_statements, client, retreat_id: int, **query) -> list[str]:
    """The statements of one list request, in a fresh app context (a new session, a new `g`)
    as a real request has. They include Flask-Login loading the signed-in organizer."""
    with app.app_context(), count_statements() as statements:
        response = client.get(f"/organizer/retreats/{retreat_id}/attendees", query_string=query)
    assert response.status_code == 200
    return statements


@pytest.mark.parametrize("query", [{}, {"status": "all", "q": "example"}])
def test_the_list_runs_the_same_few_statements_for_3_30_or_250_bookings_on_any_page(
    app, organizer_client, make_retreat, count_statements, db, query
):
    small = make_retreat(capacity=100)
    large = make_retreat(capacity=100)
    couple, single = (ADA_INTAKE, BEA_INTAKE), (CY_INTAKE,)
    for _ in range(3):
        paid_booking(small, ADA, BEA, answers=intake(small, *couple))
    for number in range(30):
        if number % 2:
            paid_booking(large, ADA, BEA, answers=intake(large, *couple))
        else:
            paid_booking(large, CY, answers=intake(large, *single))
        if number % 3 == 0:
            held_booking(large, CY, answers=intake(large, *single))
    huge = make_retreat(capacity=1000)
    add_bookings(db, huge, 250, intake=True)  # three pages
    small_id, large_id, huge_id = small.id, large.id, huge.id

    counts = [
        len(statements_for_list(app, count_statements, organizer_client, retreat_id, **query))
        for retreat_id in (small_id, large_id, huge_id)
    ]
    for page in (2, 3):
        statements = statements_for_list(
            app, count_statements, organizer_client, huge_id, page=page, **query
        )
        counts.append(len(statements))

    assert len(set(counts)) == 1 and counts[0] <= 7, counts


@on_both_databases  # private answers and their audit
def test_showing_private_answers_adds_only_its_audit_entry_to_the_statements(
    app, organizer_client, make_retreat, count_statements
):
    small = make_retreat(capacity=100)
    large = make_retreat(capacity=100)
    paid_booking(small, ADA, answers=intake(small, ADA_INTAKE))
    for _ in range(30):
        paid_booking(large, ADA, BEA, answers=intake(large, ADA_INTAKE, BEA_INTAKE))
    small_id, large_id = small.id, large.id

    for_small = statements_for_list(app, count_statements, organizer_client, small_id, private="1")
    for_large = statements_for_list(app, count_statements, organizer_client, large_id, private="1")

    assert len(for_small) == len(for_large)
    assert sum(statement.startswith("INSERT") for statement in for_large) == 1
