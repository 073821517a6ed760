"""The answers to a retreat's own questions where its organizers look: the attendee list and the
booking page (ordinary answers always, private ones only on the audited "show private answers"),
the CSV (private columns only when ticked, audited), filtering the list by a choice answer (never
by a private one), answers to removed questions, other retreats' answers never, and a fixed
number of SQL statements whatever the number of questions and bookings."""

from __future__ import annotations

import csv
import io
import math
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select

from retreats.base import encryption
from retreats.booking.models import Answer, Attendee, Booking
from retreats.database import utcnow
from retreats.listings.questions import AskedOf, Privacy, Question, QuestionKind, read_answer
from retreats.organizer.attendees import export
from retreats.organizer.attendees.export import COLUMNS, PRIVATE_COLUMNS
from tests.conftest import on_both_databases
from tests.factories import ADA, BEA, CY, add_question, answered, held_booking, paid_booking
from tests.organizer.helpers import (
    add_bookings,
    answer_row,
    audit_entries_with_action,
    booking_blocks,
    export_url,
    list_page,
    lowest_peak_downloading,
)
from tests.organizer.test_attendees import statements_for_list
from tests.organizer.test_check_in import post_check_in

ORDINARY, PRIVATE = Privacy.ORDINARY, Privacy.PRIVATE
BOOKING, PERSON = AskedOf.BOOKING, AskedOf.PERSON
SINGLE, SEVERAL = QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE
EXPERIENCE = ["None yet", "One or two", "Many"]
# Choices that a careless match would confuse: one inside another, quotes, case, LIKE wildcards.
WORKSHOPS = ["Yoga", "Yoga nidra", 'Say "yes"', "yes", "50% off_", "Tantra", "tantra"]
HEALTH = "Asthma: I carry an inhaler"


def questions_of(retreat) -> SimpleNamespace:
    """Three ordinary questions and two private ones, asked of the booking or of each person."""
    return SimpleNamespace(
        arrival=add_question(
            retreat,
            label="Arriving by",
            kind=SINGLE,
            privacy=ORDINARY,
            asked_of=BOOKING,
            options=["Car", "Train"],
        ),
        experience=add_question(
            retreat, label="Experience", kind=SINGLE, privacy=ORDINARY, options=EXPERIENCE
        ),
        workshops=add_question(
            retreat, label="Workshops", kind=SEVERAL, privacy=ORDINARY, options=WORKSHOPS
        ),
        health=add_question(retreat, label="Health"),  # private, of each person: the default
        relationship=add_question(
            retreat,
            label="Relationship",
            kind=SINGLE,
            asked_of=BOOKING,
            options=["Married", "Single"],
        ),
    )


def chose(question: Question, *options: str, person: int | None = None):
    """The answer choosing `options`, stored as the booking form stores it."""
    return answered(question, read_answer(question, list(options)).text, person=person)


def couple_answering(retreat, q: SimpleNamespace) -> Booking:
    return paid_booking(
        retreat,
        ADA,
        BEA,
        answers=[
            chose(q.arrival, "Train"),
            chose(q.experience, "None yet", person=0),
            chose(q.experience, "Many", person=1),
            chose(q.workshops, "Yoga", "yes", person=0),
            answered(q.health, HEALTH, person=1),
            chose(q.relationship, "Married"),
        ],
    )


def detail(label: str, text: str, *, private: bool = False) -> str:
    """An answer as the booking page shows it."""
    marked = " attendee-private" if private else ""
    return f'<dt>{label}</dt><dd class="answer{marked}">{text}</dd>'


def rows_of(block: str) -> list[str]:
    """A booking's heading row, then each person's row."""
    return block.split('<tr class="attendee-row')


def listed(client, retreat, **query) -> set[str]:
    """The references of the bookings the list shows."""
    return set(booking_blocks(list_page(client, retreat, **query)))


def detail_page(client, retreat, booking, **query) -> str:
    url = f"/organizer/retreats/{retreat.id}/bookings/{booking.id}"
    response = client.get(url, query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def csv_rows(client, retreat, **query) -> tuple[list[str], list[dict[str, str]]]:
    response = client.get(f"/organizer/retreats/{retreat.id}/attendees.csv", query_string=query)
    assert response.status_code == 200
    reader = csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames), rows


@pytest.fixture
def decrypted(monkeypatch) -> list[str]:
    """Every text decrypted from the database while the test runs."""
    seen: list[str] = []
    decrypt = encryption.decrypt_answer

    def recording(token: str) -> str:
        plain = decrypt(token)
        seen.append(plain)
        return plain

    monkeypatch.setattr(encryption, "decrypt_answer", recording)
    return seen


# The list and the booking page -----------------------------------------------------------------


def test_ordinary_answers_are_shown_with_the_booking_and_with_each_person(
    organizer_client, make_retreat
):
    retreat = make_retreat()
    q = questions_of(retreat)
    couple = couple_answering(retreat, q)
    single = paid_booking(retreat, CY, answers=[chose(q.experience, "One or two")])

    blocks = booking_blocks(list_page(organizer_client, retreat))

    heading, ada, bea = rows_of(blocks[couple.reference])
    assert "Arriving by: Train" in heading
    assert "Experience: None yet" in ada and "Workshops: Yoga, yes" in ada
    assert "Experience: Many" in bea and "Workshops" not in bea
    assert "Arriving by" not in ada + bea
    assert "Experience: One or two" in blocks[single.reference]
    page = detail_page(organizer_client, retreat, couple)
    people = page.index('class="attendee-card"')
    assert detail("Arriving by", "Train") in page[:people]
    ada_card, bea_card = page.split('class="attendee-card"')[1:]
    assert detail("Experience", "None yet") in ada_card
    assert detail("Workshops", "Yoga, yes") in ada_card
    assert detail("Experience", "Many") in bea_card and "Workshops" not in bea_card


@on_both_databases  # private answers and their audit
def test_private_answers_are_not_read_until_asked_then_shown_and_each_viewing_audited(
    organizer_client, make_retreat, db, organizer, decrypted
):
    retreat = make_retreat()
    q = questions_of(retreat)
    couple = couple_answering(retreat, q)
    decrypted.clear()

    page = list_page(organizer_client, retreat)
    booking_page = detail_page(organizer_client, retreat, couple)

    assert "Arriving by: Train" in page and detail("Arriving by", "Train") in booking_page
    for html in (page, booking_page):
        assert HEALTH not in html and "Married" not in html and "Relationship:" not in html
        assert "<dt>Relationship</dt>" not in html and "<dt>Health</dt>" not in html
    assert "(Health; Relationship; each viewing is written to the audit log)" in page
    assert HEALTH not in decrypted and "Married" not in decrypted  # not even read
    assert audit_entries_with_action(db, "answers.viewed") == []

    shown = booking_blocks(list_page(organizer_client, retreat, private="1"))[couple.reference]
    heading, _ada, bea = rows_of(shown)
    assert "Relationship: Married" in heading and f"Health: {HEALTH}" in bea
    [entry] = audit_entries_with_action(db, "answers.viewed")
    assert (entry.actor_id, entry.retreat_id) == (organizer.id, retreat.id)

    booking_page = detail_page(organizer_client, retreat, couple, private="1")
    assert detail("Relationship", "Married", private=True) in booking_page
    bea_card = booking_page.split('class="attendee-card"')[2]
    assert detail("Health", HEALTH, private=True) in bea_card
    entries = audit_entries_with_action(db, "answers.viewed")
    assert len(entries) == 2 and entries[1].booking_id == couple.id


def test_answers_to_a_removed_question_still_show_under_the_label_they_were_answered(
    organizer_client, make_retreat, db
):
    retreat = make_retreat()
    tea = add_question(
        retreat, label="Favourite tea", kind=SINGLE, privacy=ORDINARY, options=["Rooibos"]
    )
    booking = paid_booking(retreat, CY, answers=[chose(tea, "Rooibos")])
    tea.label, tea.removed_at = "Favourite drink", utcnow()
    db.session.commit()

    page = list_page(organizer_client, retreat)

    assert "Favourite tea: Rooibos" in booking_blocks(page)[booking.reference]
    assert f'name="answer-{tea.id}"' not in page  # no longer asked: no filter
    assert detail("Favourite tea", "Rooibos") in detail_page(organizer_client, retreat, booking)
    headings, [row] = csv_rows(organizer_client, retreat)
    assert headings == COLUMNS + ["Favourite tea (removed)"]
    assert row["Favourite tea (removed)"] == "Rooibos"


# The CSV ---------------------------------------------------------------------------------------


@on_both_databases  # private answers and their audit
def test_the_csv_has_a_column_per_question_and_the_private_ones_only_when_ticked(
    organizer_client, make_retreat, db, decrypted
):
    retreat = make_retreat()
    q = questions_of(retreat)
    couple_answering(retreat, q)
    ordinary = ["Arriving by", "Experience", "Workshops"]
    decrypted.clear()

    headings, (ada, bea) = csv_rows(organizer_client, retreat)

    assert headings == COLUMNS + ordinary
    assert ada["Arriving by"] == bea["Arriving by"] == "Train"  # the booking's, on each line
    assert (ada["Experience"], bea["Experience"]) == ("None yet", "Many")
    assert (ada["Workshops"], bea["Workshops"]) == ("Yoga, yes", "")
    assert decrypted == []  # neither these nor the private intake answers are even read
    [entry] = audit_entries_with_action(db, "attendees.exported")
    assert entry.detail.startswith("without private answers")

    headings, (ada, bea) = csv_rows(organizer_client, retreat, private="1")

    assert headings == COLUMNS + ordinary + PRIVATE_COLUMNS + ["Health", "Relationship"]
    assert (ada["Health"], bea["Health"]) == ("", HEALTH)
    assert ada["Relationship"] == bea["Relationship"] == "Married"
    assert ada["Experience"] == "None yet"
    entries = audit_entries_with_action(db, "attendees.exported")
    assert len(entries) == 2 and entries[1].detail.startswith("with private answers")


def test_question_headings_are_unique_and_never_formulas(organizer_client, make_retreat):
    retreat = make_retreat()
    first = add_question(retreat, label="Email", kind=QuestionKind.SHORT_TEXT, privacy=ORDINARY)
    second = add_question(retreat, label="=cmd()", kind=QuestionKind.SHORT_TEXT, privacy=ORDINARY)
    third = add_question(retreat, label="=cmd()", kind=QuestionKind.SHORT_TEXT, privacy=ORDINARY)
    paid_booking(
        retreat,
        CY,
        answers=[answered(first, "a"), answered(second, "=1+1"), answered(third, "c")],
    )

    headings, [row] = csv_rows(organizer_client, retreat)

    assert headings[len(COLUMNS) :] == ["Email (2)", "'=cmd()", "'=cmd() (2)"]
    assert (row["Email (2)"], row["'=cmd()"], row["'=cmd() (2)"]) == ("a", "'=1+1", "c")


# Filtering by a choice answer -------------------------------------------------------------------


@on_both_databases  # the match is SQL, and each database has its own
def test_filtering_by_a_single_choice_answer_lists_the_bookings_where_someone_gave_it(
    organizer_client, make_retreat, db
):
    retreat = make_retreat()
    q = questions_of(retreat)
    couple = couple_answering(retreat, q)  # Ada: None yet, Bea: Many
    cy = paid_booking(retreat, CY, answers=[chose(q.experience, "One or two")])
    paid_booking(retreat, CY)  # no answer
    pending = held_booking(retreat, CY, answers=[chose(q.experience, "One or two")])
    experience = f"answer-{q.experience.id}"

    assert listed(organizer_client, retreat, **{experience: "Many"}) == {couple.reference}
    assert listed(organizer_client, retreat, **{experience: "None yet"}) == {couple.reference}
    assert listed(organizer_client, retreat, **{experience: "One or two"}) == {cy.reference}
    assert listed(organizer_client, retreat, status="all", **{experience: "One or two"}) == {
        cy.reference,
        pending.reference,
    }
    by_train = {f"answer-{q.arrival.id}": "Train"}
    assert listed(organizer_client, retreat, **by_train, **{experience: "Many"}) == {
        couple.reference
    }
    assert listed(organizer_client, retreat, q="cy", **{experience: "Many"}) == set()
    page = list_page(organizer_client, retreat, **{experience: "Many"})
    assert '<option value="Many" selected>' in page
    assert f'<input type="hidden" name="{experience}" value="Many">' in page  # export, check-in
    _headings, rows = csv_rows(organizer_client, retreat, **{experience: "Many"})
    assert [row["Name"] for row in rows] == ["Ada Lovelace", "Bea Lovelace"]
    [entry] = audit_entries_with_action(db, "attendees.exported")
    assert '"Experience"="Many"' in entry.detail


def test_checking_someone_in_returns_to_the_list_filtered_as_it_was(organizer_client, make_retreat):
    retreat = make_retreat()
    q = questions_of(retreat)
    couple = couple_answering(retreat, q)
    experience = f"answer-{q.experience.id}"

    response = post_check_in(
        organizer_client,
        retreat,
        couple.attendees[1].id,
        **{experience: "Many", "answer-x": "junk", "private": "1"},
    )

    assert response.status_code == 303
    location = response.headers["Location"]
    assert f"{experience}=Many" in location
    assert "answer-x" not in location and "private" not in location


@on_both_databases  # the match is SQL, and each database has its own
def test_filtering_by_a_several_choices_answer_finds_only_that_whole_choice(
    organizer_client, make_retreat
):
    retreat = make_retreat(capacity=20)
    workshops = add_question(
        retreat, label="Workshops", kind=SEVERAL, privacy=ORDINARY, options=WORKSHOPS
    )
    chosen = {
        "yoga": ["Yoga"],
        "nidra": ["Yoga nidra", 'Say "yes"'],
        "yes": ["yes", "50% off_"],
        "tantra": ["Tantra"],
    }
    reference = {
        name: paid_booking(retreat, CY, answers=[chose(workshops, *options)]).reference
        for name, options in chosen.items()
    }

    def filtered(option: str) -> set[str]:
        found = listed(organizer_client, retreat, **{f"answer-{workshops.id}": option})
        return {name for name, ref in reference.items() if ref in found}

    assert filtered("Yoga") == {"yoga"}
    assert filtered("Yoga nidra") == {"nidra"}
    assert filtered('Say "yes"') == {"nidra"}
    assert filtered("yes") == {"yes"}
    assert filtered("50% off_") == {"yes"}
    assert filtered("Tantra") == {"tantra"}
    assert filtered("tantra") == set()


@on_both_databases  # private answers must not leak through a filter
def test_a_private_question_is_never_a_filter_and_a_forged_one_is_ignored(
    organizer_client, make_retreat, db
):
    retreat = make_retreat()
    q = questions_of(retreat)
    couple = couple_answering(retreat, q)  # Relationship: Married
    single = paid_booking(retreat, CY, answers=[chose(q.relationship, "Single")])
    everyone = {couple.reference, single.reference}

    page = list_page(organizer_client, retreat)

    assert f'name="answer-{q.experience.id}"' in page
    assert f'name="answer-{q.workshops.id}"' in page
    for private in (q.relationship, q.health):
        assert f'name="answer-{private.id}"' not in page
    forged = {f"answer-{q.relationship.id}": "Married"}
    assert listed(organizer_client, retreat, **forged) == everyone
    assert listed(organizer_client, retreat, private="1", **forged) == everyone
    _headings, rows = csv_rows(organizer_client, retreat, private="1", **forged)
    assert len(rows) == 3
    for junk in ({"answer-0": "x"}, {"answer-abc": "x"}, {f"answer-{q.health.id}": HEALTH}):
        assert listed(organizer_client, retreat, **junk) == everyone

    # Made ordinary later, the question is a filter; its answers given as private are not.
    q.relationship.privacy = ORDINARY
    db.session.commit()
    assert f'name="answer-{q.relationship.id}"' in list_page(organizer_client, retreat)
    assert listed(organizer_client, retreat, **forged) == set()


def test_an_option_the_question_does_not_offer_is_a_400(organizer_client, make_retreat, db):
    retreat = make_retreat()
    q = questions_of(retreat)
    base = f"/organizer/retreats/{retreat.id}"

    for path in ("attendees", "attendees.csv"):
        response = organizer_client.get(
            f"{base}/{path}", query_string={f"answer-{q.experience.id}": "Loads"}
        )
        assert response.status_code == 400, path
    assert audit_entries_with_action(db, "attendees.exported") == []


@on_both_databases  # private answers
def test_another_retreats_questions_and_answers_never_appear(
    organizer_client, make_retreat, other_organizer, organizer
):
    mine = make_retreat()
    theirs = make_retreat(organizer=other_organizer)
    my_question = add_question(
        mine, label="Experience", kind=SINGLE, privacy=ORDINARY, options=EXPERIENCE
    )
    their = questions_of(theirs)
    couple_answering(theirs, their)
    own = paid_booking(mine, CY, answers=[chose(my_question, "Many")])
    also_mine = paid_booking(mine, CY)
    theirs_in_mine = {f"answer-{their.experience.id}": "Many"}

    page = list_page(organizer_client, mine, private="1", **theirs_in_mine)
    headings, rows = csv_rows(organizer_client, mine, private="1", **theirs_in_mine)

    assert set(booking_blocks(page)) == {own.reference, also_mine.reference}
    for text in ("Arriving by", "Workshops", HEALTH, "Relationship", "Married", "Train"):
        assert text not in page
    assert headings == COLUMNS + ["Experience"] + PRIVATE_COLUMNS
    assert [row["Experience"] for row in rows] == ["Many", ""]
    assert f'name="answer-{their.experience.id}"' not in page


# Statements and memory --------------------------------------------------------------------------


def many_questions(retreat, *, count: int, private: int) -> list[Question]:
    """`count` questions, `private` of them private: choices, several choices and texts,
    asked of the booking or of each person."""
    made = []
    for number in range(count):
        kind = [SINGLE, SEVERAL, QuestionKind.LONG_TEXT][number % 3]
        made.append(
            add_question(
                retreat,
                label=f"Question {number}",
                kind=kind,
                privacy=PRIVATE if number >= count - private else ORDINARY,
                asked_of=PERSON if number % 2 else BOOKING,
                options=["One", "Two", "Three"] if kind != QuestionKind.LONG_TEXT else [],
            )
        )
    return made


def answer_every_booking(db, retreat, questions: list[Question]) -> None:
    """Every booking of the retreat answers every question, written in bulk (private answers
    through their column's type: encrypted)."""
    people: dict[int, list[int]] = {}
    for booking_id, attendee_id in db.session.execute(
        select(Attendee.booking_id, Attendee.id)
        .join(Booking)
        .where(Booking.retreat_id == retreat.id)
        .order_by(Attendee.booking_id, Attendee.position)
    ):
        people.setdefault(booking_id, []).append(attendee_id)
    rows = []
    for booking_id, attendee_ids in people.items():
        for question in questions:
            text = {SINGLE: "Two", SEVERAL: '["One", "Three"]'}.get(question.kind, "A few words")
            for attendee_id in attendee_ids if question.per_person else [None]:
                rows.append(answer_row(booking_id, attendee_id, question, text, utcnow()))
    db.session.execute(insert(Answer), rows)
    db.session.commit()


def filter_on_first_choice(questions: list[Question]) -> dict[str, str]:
    question = next(q for q in questions if q.kind == SEVERAL and not q.is_private)
    return {f"answer-{question.id}": "Three"}


@on_both_databases  # private answers are loaded by their own rule
@pytest.mark.parametrize("query", [{}, {"private": "1"}, {"status": "all", "q": "guest"}])
def test_the_list_runs_the_same_statements_whatever_the_questions_and_bookings(
    app, organizer_client, make_retreat, count_statements, db, query
):
    small = make_retreat(capacity=1000)
    add_bookings(db, small, 3)
    small_questions = many_questions(small, count=3, private=1)
    answer_every_booking(db, small, small_questions)
    large = make_retreat(capacity=1000)
    add_bookings(db, large, 250)  # three pages
    large_questions = many_questions(large, count=10, private=3)
    answer_every_booking(db, large, large_questions)
    plain = make_retreat(capacity=1000)  # no question, no answer
    add_bookings(db, plain, 3)
    small_id, large_id, plain_id = small.id, large.id, plain.id
    small_filter = filter_on_first_choice(small_questions)
    large_filter = filter_on_first_choice(large_questions)

    def count(retreat_id, **more) -> int:
        return len(
            statements_for_list(
                app, count_statements, organizer_client, retreat_id, **query, **more
            )
        )

    counts = [
        count(plain_id),
        count(small_id),
        count(large_id),
        count(large_id, page=3),
        count(small_id, **small_filter),
        count(large_id, **large_filter),
    ]
    assert len(set(counts)) == 1, counts
    # Shown, private answers add their audit entry, and the retreat and the signed-in organizer
    # read again after its commit.
    assert counts[0] <= (10 if "private" in query else 7), counts


def test_the_export_reads_each_batch_in_three_statements_whatever_the_questions(
    app, organizer_client, make_retreat, count_statements, db, monkeypatch
):
    monkeypatch.setattr(export, "BATCH_SIZE", 10)
    sizes = []
    for bookings, questions in ((6, 2), (60, 10)):
        retreat = make_retreat(capacity=1000)
        add_bookings(db, retreat, bookings)
        answer_every_booking(db, retreat, many_questions(retreat, count=questions, private=3))
        people = bookings + math.ceil(bookings / 3)  # every third a couple
        sizes.append((retreat.id, math.ceil(people / export.BATCH_SIZE)))

    counts = []
    for retreat_id, batches in sizes:
        with app.app_context(), count_statements() as statements:
            response = organizer_client.get(
                f"/organizer/retreats/{retreat_id}/attendees.csv", query_string={"private": "1"}
            )
            assert response.status_code == 200
            response.get_data()
        counts.append((len(statements), batches))

    (few, few_batches), (many, many_batches) = counts
    assert few_batches < many_batches
    assert many - few == 3 * (many_batches - few_batches), counts


def test_exporting_ten_times_the_people_and_their_answers_takes_no_more_memory(
    organizer_client, make_retreat, db, monkeypatch
):
    """Answers are read a batch at a time with their people: an export that read every answer
    first fails this."""
    monkeypatch.setattr(export, "BATCH_SIZE", 50)
    small = make_retreat(capacity=10_000)
    large = make_retreat(capacity=10_000)
    for retreat, bookings in ((small, 150), (large, 1500)):  # 200 and 2,000 people
        add_bookings(db, retreat, bookings)
        answer_every_booking(db, retreat, many_questions(retreat, count=10, private=3))
    lowest_peak_downloading(organizer_client, export_url(small))  # caches and compiled SQL warm

    small_lines, small_peak = lowest_peak_downloading(organizer_client, export_url(small))
    large_lines, large_peak = lowest_peak_downloading(organizer_client, export_url(large))

    assert (small_lines, large_lines) == (1 + 200, 1 + 2000)
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
