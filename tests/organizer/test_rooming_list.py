"""The rooming list: bookings by room type and named room, named rooms given from the list (and
audited), warnings for over-full rooms, room-share wishes only when asked for, and its CSV."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass

import pytest

from retreats.booking.models import Booking, BookingStatus
from retreats.database import utcnow
from retreats.listings.models import AddOn, Retreat, RoomType
from retreats.organizer.attendees.rooming import rooming_list
from retreats.organizer.attendees.rooming_export import COLUMNS, PRIVATE_COLUMNS
from tests.conftest import csrf_token_from, on_both_databases
from tests.factories import (
    ADA,
    BEA,
    CY,
    add_add_on,
    add_room_type,
    attendee,
    cancelled_booking,
    expired_booking,
    held_booking,
    paid_booking,
)
from tests.organizer.helpers import audit_entries_with_action, session_csrf_token

DEE = attendee("dee@example.org", "Dee Park")
EVE = attendee("eve@example.org", "Eve Stone")
FAY = attendee("fay@example.org", "Fay Moss")
GUS = attendee("gus@example.org", "Gus Hale")
CY_WISH = "Dee, if she comes; otherwise anyone quiet"


@dataclass
class Stay:
    retreat: Retreat
    double: RoomType
    twin: RoomType
    transfer: AddOn


@pytest.fixture
def stay(make_retreat) -> Stay:
    """A retreat that sells a private double (per room), a shared twin (beds, per person) and an
    airport transfer (per person), and lets people come without a room."""
    retreat = make_retreat(capacity=30, allows_no_accommodation=True)
    double = add_room_type(retreat, name="Garden double", rooms=3, sleeps=2, price_minor=30_000)
    twin = add_room_type(
        retreat, name="Shared twin", rooms=3, sleeps=2, shared=True, price_minor=12_000
    )
    transfer = add_add_on(retreat, name="Airport transfer", price_minor=4_000)
    return Stay(retreat, double, twin, transfer)


def rooming_url(retreat) -> str:
    return f"/organizer/retreats/{retreat.id}/rooming"


def rooming_page(client, retreat, **query) -> str:
    response = client.get(rooming_url(retreat), query_string=query)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def sections(page: str) -> dict[str, str]:
    """Each room type's section of the page, by its heading."""
    found = re.findall(r'<section class="rooming-group".*?</section>', page, flags=re.S)
    return {
        html.unescape(re.search(r"<h3[^>]*>(.*?)</h3>", block).group(1)): block for block in found
    }


def assign(client, retreat, booking, label: str, **extra):
    """Give a booking a named room through the form on the list (the session's CSRF token)."""
    token = session_csrf_token(client, retreat.id)
    return client.post(
        f"{rooming_url(retreat)}/{booking.id}",
        data={"csrf_token": token, "room_label": label, **extra},
    )


def label_of(db, booking) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking.id).room_label


def in_double(stay, *people, **options) -> Booking:
    return paid_booking(stay.retreat, *people, room_type_id=stay.double.id, **options)


def in_twin(stay, *people, booked=paid_booking, **options) -> Booking:
    return booked(stay.retreat, *people, room_type_id=stay.twin.id, **options)


# The page -------------------------------------------------------------------------------------


def test_bookings_are_grouped_by_room_type_with_their_people_stay_and_add_ons(
    organizer_client, stay
):
    couple = in_double(stay, ADA, BEA, add_on_ids=[stay.transfer.id])
    single = in_twin(stay, CY, room_share_with=CY_WISH)
    waiting = in_twin(stay, DEE, booked=held_booking)
    commuter = paid_booking(stay.retreat, EVE)
    gone = in_twin(stay, FAY, booked=cancelled_booking)

    page = rooming_page(organizer_client, stay.retreat)

    groups = sections(page)
    assert list(groups) == ["Garden double", "Shared twin", "No accommodation"]
    double, twin, no_room = groups.values()
    assert couple.reference in double and "Ada Lovelace" in double and "Bea Lovelace" in double
    assert "Whole room" in double and "Airport transfer × 2" in double
    assert single.reference in twin and "Cy Young" in twin and "Bed in a shared room" in twin
    assert waiting.reference in twin and "Dee Park" in twin
    # Dee's hold is live, so her bed is taken: listed, and marked as not paid yet.
    assert twin.count("Awaiting payment") == 1
    assert twin.index("Awaiting payment") > twin.index(waiting.reference)
    assert commuter.reference in no_room and "Eve Stone" in no_room
    assert 'name="room_label"' not in no_room  # no room, so no named room to give
    assert gone.reference not in page and "Fay Moss" not in page
    assert "3 rooms, each sleeps 2, beds sold one by one · 2 rooms (4 beds) left" in twin
    assert CY_WISH not in page and "Dee, if she comes" not in page


def test_the_tab_is_in_the_retreats_navigation_and_marks_itself_current(organizer_client, stay):
    page = rooming_page(organizer_client, stay.retreat)
    assert f'<a href="{rooming_url(stay.retreat)}" aria-current="page">Rooming list</a>' in page
    attendees = organizer_client.get(f"/organizer/retreats/{stay.retreat.id}/attendees").text
    assert f'<a href="{rooming_url(stay.retreat)}">Rooming list</a>' in attendees


def test_a_retreat_without_rooms_lists_everyone_without_accommodation(
    organizer_client, make_retreat
):
    retreat = make_retreat()
    booking = paid_booking(retreat, CY)

    page = rooming_page(organizer_client, retreat)

    assert "This retreat sells no rooms" in page
    assert list(sections(page)) == ["No accommodation"]
    assert booking.reference in page and 'name="room_label"' not in page


# Named rooms ----------------------------------------------------------------------------------


@on_both_databases  # an organizer's change and its audit entry
def test_bookings_given_the_same_named_room_are_listed_together_and_each_change_is_audited(
    organizer_client, stay, organizer, db
):
    cy = in_twin(stay, CY)
    dee = in_twin(stay, DEE)
    eve = in_twin(stay, EVE)

    response = assign(organizer_client, stay.retreat, cy, "  Olive   2 ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{rooming_url(stay.retreat)}#booking-{cy.id}")
    assign(organizer_client, stay.retreat, dee, "olive 2")  # the same room, whatever the case
    assign(organizer_client, stay.retreat, eve, "Olive 10")

    assert (label_of(db, cy), label_of(db, dee), label_of(db, eve)) == (
        "Olive 2",
        "olive 2",
        "Olive 10",
    )
    twin = sections(rooming_page(organizer_client, stay.retreat))["Shared twin"]
    assert "Olive 2: Cy Young and Dee Park" in twin
    assert "Olive 10: Eve Stone" in twin
    assert twin.index("Olive 2:") < twin.index("Olive 10:")  # rooms in natural order
    assert "Not yet in a named room" not in twin
    entries = audit_entries_with_action(db, "booking.room_assigned")
    assert [(entry.booking_id, entry.detail) for entry in entries] == [
        (cy.id, 'named room "Olive 2"'),
        (dee.id, 'named room "olive 2"'),
        (eve.id, 'named room "Olive 10"'),
    ]
    assert {(entry.actor_id, entry.retreat_id) for entry in entries} == {
        (organizer.id, stay.retreat.id)
    }


@on_both_databases  # an organizer's change and its audit entry
def test_a_named_room_can_be_changed_and_cleared_and_saving_it_unchanged_records_nothing(
    organizer_client, stay, db
):
    cy = in_twin(stay, CY)
    assign(organizer_client, stay.retreat, cy, "Olive 2")

    again = assign(organizer_client, stay.retreat, cy, "Olive 2")
    assert "was already in Olive 2" in organizer_client.get(again.headers["Location"]).text
    assign(organizer_client, stay.retreat, cy, "Fig 1")
    cleared = assign(organizer_client, stay.retreat, cy, "   ")

    assert cleared.status_code == 303 and label_of(db, cy) == ""
    details = [entry.detail for entry in audit_entries_with_action(db, "booking.room_assigned")]
    assert details == [
        'named room "Olive 2"',
        'named room "Fig 1" (was "Olive 2")',
        'out of named room "Fig 1"',
    ]
    twin = sections(rooming_page(organizer_client, stay.retreat))["Shared twin"]
    assert "Not yet in a named room" in twin and "Fig 1" not in twin


def test_a_named_room_holding_more_people_than_its_room_sleeps_is_warned_about_not_refused(
    organizer_client, stay, db
):
    first = in_double(stay, ADA, BEA)
    second = in_double(stay, CY)
    singles = [in_twin(stay, person) for person in (DEE, EVE, FAY)]

    assert assign(organizer_client, stay.retreat, first, "Olive 1").status_code == 303
    assert assign(organizer_client, stay.retreat, second, "Olive 1").status_code == 303
    for booking in singles:
        assign(organizer_client, stay.retreat, booking, "Fig 3")

    assert label_of(db, second) == "Olive 1" and label_of(db, singles[2]) == "Fig 3"
    page = rooming_page(organizer_client, stay.retreat)
    assert "3 warnings about named rooms below" in page
    double, twin = sections(page)["Garden double"], sections(page)["Shared twin"]
    assert "Olive 1 holds 3 people, but a Garden double room sleeps 2." in double
    assert (
        f"Olive 1: {first.reference}, {second.reference} each booked a whole room, yet share one."
        in double
    )
    assert "Fig 3 holds 3 people, but a Shared twin room sleeps 2." in twin
    assert "booked a whole room" not in twin  # three beds sold one by one


def test_two_singles_sharing_a_twin_get_no_warning(organizer_client, stay):
    for person in (CY, DEE):
        assign(organizer_client, stay.retreat, in_twin(stay, person), "Fig 1")
    page = rooming_page(organizer_client, stay.retreat)
    assert "warning" not in page and "Fig 1: Cy Young and Dee Park" in page


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("x" * 61, "Please keep the room's name to 60 characters or fewer."),
        ("Olive\x002", "Please use letters, numbers and spaces for the room's name."),
        ("Olive\x1b2", "Please use letters, numbers and spaces for the room's name."),
    ],
)
def test_a_named_room_that_cannot_be_kept_comes_back_with_the_message_beside_it(
    organizer_client, stay, db, label, message
):
    cy = in_twin(stay, CY)
    dee = in_twin(stay, DEE)

    response = assign(organizer_client, stay.retreat, cy, label)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(rf'<input type="text" id="room-label-{cy.id}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    assert f'aria-describedby="room-label-{cy.id}-error"' in field
    error = re.search(rf'<p class="error" id="room-label-{cy.id}-error">(.*?)</p>', page)
    assert html.unescape(error.group(1)) == message
    assert f'aria-invalid="true" aria-describedby="room-label-{dee.id}-error"' not in page
    assert "Please correct the named room marked below." in page
    assert label_of(db, cy) == ""
    assert audit_entries_with_action(db, "booking.room_assigned") == []


def test_sixty_characters_are_kept(organizer_client, stay, db):
    cy = in_twin(stay, CY)
    assert assign(organizer_client, stay.retreat, cy, "é" * 60).status_code == 303
    assert label_of(db, cy) == "é" * 60


@pytest.mark.parametrize("which", ["without a room", "cancelled", "lapsed hold"])
def test_a_booking_that_holds_no_room_is_given_none_and_nothing_is_written(
    organizer_client, stay, db, which
):
    if which == "without a room":
        booking = paid_booking(stay.retreat, EVE)
    elif which == "cancelled":
        booking = in_twin(stay, EVE, booked=cancelled_booking)
    else:
        booking = in_twin(stay, EVE, booked=held_booking)
        db.session.get(Booking, booking.id).hold_expires_at = booking.created_at
        db.session.commit()

    response = assign(organizer_client, stay.retreat, booking, "Olive 2")

    assert response.status_code == 303
    landing = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "has no room" in landing or "no longer does" in landing
    assert label_of(db, booking) == ""
    assert audit_entries_with_action(db, "booking.room_assigned") == []


def test_a_named_room_without_the_csrf_token_is_refused(organizer_client, stay, db):
    cy = in_twin(stay, CY)
    response = organizer_client.post(
        f"{rooming_url(stay.retreat)}/{cy.id}", data={"room_label": "Olive 2"}
    )
    assert response.status_code == 400
    assert label_of(db, cy) == ""


# Who may see it -------------------------------------------------------------------------------


@on_both_databases  # private answers and their audit
def test_another_organizer_finds_nothing_and_changes_nothing(sign_in, other_organizer, stay, db):
    cy = in_twin(stay, CY, room_share_with=CY_WISH)
    stranger = sign_in(other_organizer)
    dashboard = stranger.get("/organizer/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', dashboard).group(1)

    for url in (rooming_url(stay.retreat), rooming_url(stay.retreat) + ".csv"):
        response = stranger.get(url, query_string={"private": "1"})
        assert response.status_code == 404, url
        assert CY_WISH not in response.get_data(as_text=True)
    posted = stranger.post(
        f"{rooming_url(stay.retreat)}/{cy.id}", data={"csrf_token": token, "room_label": "B's"}
    )
    assert posted.status_code == 404
    assert label_of(db, cy) == ""
    for action in ("answers.viewed", "rooming.exported", "booking.room_assigned"):
        assert audit_entries_with_action(db, action) == []


def test_a_booking_of_another_retreat_is_not_found_through_this_one(
    organizer_client, stay, make_retreat, db
):
    elsewhere = make_retreat()
    their_twin = add_room_type(elsewhere, name="Twin", shared=True)
    theirs = paid_booking(elsewhere, CY, room_type_id=their_twin.id)
    token = session_csrf_token(organizer_client, stay.retreat.id)
    response = organizer_client.post(
        f"{rooming_url(stay.retreat)}/{theirs.id}", data={"csrf_token": token, "room_label": "X"}
    )
    assert response.status_code == 404 and label_of(db, theirs) == ""


def test_signed_out_visitors_are_sent_to_sign_in(client, stay):
    for url in (rooming_url(stay.retreat), rooming_url(stay.retreat) + ".csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/organizer/login" in response.headers["Location"]


# Room-share wishes ----------------------------------------------------------------------------


@on_both_databases  # private answers and their audit
def test_share_wishes_are_shown_only_when_asked_for_and_each_viewing_is_audited(
    organizer_client, stay, organizer, db
):
    cy = in_twin(stay, CY, room_share_with=CY_WISH)

    page = rooming_page(organizer_client, stay.retreat)
    assert CY_WISH not in page and "Room share wish" not in page
    assert "Show private answers" in page
    assert audit_entries_with_action(db, "answers.viewed") == []

    shown = rooming_page(organizer_client, stay.retreat, private="1")
    assert CY_WISH in html.unescape(sections(shown)["Shared twin"])
    assert "Hide private answers" in shown
    [entry] = audit_entries_with_action(db, "answers.viewed")
    assert (entry.actor_id, entry.retreat_id, entry.detail) == (
        organizer.id,
        stay.retreat.id,
        "rooming list",
    )

    # Giving a named room with the wishes shown comes back to them shown: a viewing, audited.
    token = csrf_token_from(shown)
    response = organizer_client.post(
        f"{rooming_url(stay.retreat)}/{cy.id}",
        data={"csrf_token": token, "room_label": "Fig 1", "private": "1"},
    )
    assert "private=1" in response.headers["Location"]
    assert CY_WISH in html.unescape(organizer_client.get(response.headers["Location"]).text)
    assert len(audit_entries_with_action(db, "answers.viewed")) == 2
    assert CY_WISH not in rooming_page(organizer_client, stay.retreat, private="0")
    assert len(audit_entries_with_action(db, "answers.viewed")) == 2


# The CSV --------------------------------------------------------------------------------------


def download(client, retreat, **query) -> list[dict[str, str]]:
    response = client.get(rooming_url(retreat) + ".csv", query_string=query)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{retreat.slug}-rooming-list.csv"'
    )
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@on_both_databases  # private answers and their audit
def test_the_csv_lists_each_booking_in_the_pages_order_without_wishes_by_default(
    organizer_client, stay, organizer, db
):
    couple = in_double(stay, ADA, BEA, add_on_ids=[stay.transfer.id])
    cy = in_twin(stay, CY, room_share_with=CY_WISH)
    dee = in_twin(stay, DEE, booked=held_booking)
    eve = paid_booking(stay.retreat, EVE)
    assign(organizer_client, stay.retreat, cy, "Fig 1")
    assign(organizer_client, stay.retreat, dee, "Fig 1")

    rows = download(organizer_client, stay.retreat)

    assert list(rows[0]) == COLUMNS
    assert [
        (row["Room type"], row["Named room"], row["Booking"], row["Names"]) for row in rows
    ] == [
        ("Garden double", "", couple.reference, "Ada Lovelace; Bea Lovelace"),
        ("Shared twin", "Fig 1", cy.reference, "Cy Young"),
        ("Shared twin", "Fig 1", dee.reference, "Dee Park"),
        ("No accommodation", "", eve.reference, "Eve Stone"),
    ]
    assert (rows[0]["Stay"], rows[0]["Add-ons"], rows[0]["People"]) == (
        "Whole room",
        "Airport transfer × 2",
        "2",
    )
    assert (rows[1]["Stay"], rows[1]["Status"], rows[2]["Status"]) == (
        "Bed in a shared room",
        "confirmed",
        "pending",
    )
    assert rows[3]["Stay"] == "" and rows[3]["Add-ons"] == ""
    [entry] = audit_entries_with_action(db, "rooming.exported")
    assert (entry.actor_id, entry.retreat_id, entry.detail) == (
        organizer.id,
        stay.retreat.id,
        "without private answers",
    )


@on_both_databases  # private answers and their audit
def test_ticking_private_answers_adds_the_wishes_and_says_so_in_the_audit_log(
    organizer_client, stay, db
):
    in_twin(stay, CY, room_share_with=CY_WISH)
    in_twin(stay, DEE)

    rows = download(organizer_client, stay.retreat, private="1")

    assert list(rows[0]) == COLUMNS + PRIVATE_COLUMNS
    assert [row["Room share wish"] for row in rows] == [CY_WISH, ""]
    [entry] = audit_entries_with_action(db, "rooming.exported")
    assert entry.detail == "with private answers"


def test_the_page_offers_the_csv_with_private_answers_unticked(organizer_client, stay):
    page = rooming_page(organizer_client, stay.retreat, private="1")
    form = page[page.index(f'action="{rooming_url(stay.retreat)}.csv"') :]
    form = form[: form.index("</form>")]
    assert '<input type="checkbox" name="private" value="1">' in form  # not checked
    assert "Include room-share wishes" in form


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused(organizer_client, stay):
    sneaky = attendee("sneaky@example.org", "=HYPERLINK(1)")
    in_twin(stay, sneaky, room_share_with="+44 20 7946 0000")

    [row] = download(organizer_client, stay.retreat, private="1")

    assert row["Names"] == "'=HYPERLINK(1)"
    assert row["Room share wish"] == "'+44 20 7946 0000"


# Statements -----------------------------------------------------------------------------------


def statements_for_page(app, count_statements, client, retreat_id: int, **query) -> list[str]:
    with app.app_context(), count_statements() as statements:
        response = client.get(f"/organizer/retreats/{retreat_id}/rooming", query_string=query)
    assert response.status_code == 200
    return statements


def test_the_list_runs_the_same_few_statements_for_3_or_30_bookings(
    app, organizer_client, make_retreat, count_statements
):
    ids = []
    for count in (3, 30):
        retreat = make_retreat(capacity=100, allows_no_accommodation=True)
        double = add_room_type(retreat, rooms=40)
        twin = add_room_type(retreat, name="Shared twin", rooms=40, shared=True)
        transfer = add_add_on(retreat)
        for number in range(count):
            room = [double.id, twin.id, None][number % 3]
            people = (ADA, BEA) if room == double.id else (CY,)
            paid_booking(retreat, *people, room_type_id=room, add_on_ids=[transfer.id])
        ids.append(retreat.id)

    counts = [
        len(statements_for_page(app, count_statements, organizer_client, retreat_id))
        for retreat_id in ids
    ]

    assert counts[0] == counts[1] and counts[0] <= 7, counts


def test_only_bookings_that_hold_a_room_count(db, stay):
    """Expired and cancelled bookings are not on the list; a booking awaiting payment is."""
    held = in_twin(stay, CY, booked=held_booking)
    in_twin(stay, DEE, booked=cancelled_booking)
    in_twin(stay, EVE, booked=expired_booking)
    assert held.status == BookingStatus.PENDING

    rooming = rooming_list(stay.retreat, now=utcnow())
    [twin] = [group for group in rooming.groups if group.room_type == stay.twin]
    assert [entry.booking.id for entry in twin.bookings] == [held.id]
    assert twin.bookings[0].awaiting_payment
