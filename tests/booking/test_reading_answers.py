"""Each kind of question reads what the form sent into the answer to keep, or a message
(listings/questions.py read_answer), and a booking's fields are read per question and person
(booking/answers.py read_answers)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from retreats.booking.answers import answer_field, read_answers
from retreats.booking.models import Booking
from retreats.listings.questions import (
    AskedOf,
    Privacy,
    Question,
    QuestionKind,
    read_answer,
    shown_answer,
)
from tests.conftest import on_both_databases
from tests.factories import ADA, BEA, add_question, answered, paid_booking

EXPERIENCE = ["None yet", "Some", "A lot"]


def question(kind: QuestionKind, *, required=False, options=(), asked_of=AskedOf.BOOKING, id=7):
    return Question(
        id=id, kind=kind, label="Q", required=required, options=list(options), asked_of=asked_of
    )


@pytest.mark.parametrize(
    ("kind", "sent", "kept"),
    [
        (QuestionKind.SHORT_TEXT, ["  Ada   Lovelace "], "Ada Lovelace"),
        (QuestionKind.LONG_TEXT, ["line one\nline two\x07"], "line one\nline two"),
        (QuestionKind.LONG_TEXT, ["one\r\ntwo"], "one\ntwo"),
        (QuestionKind.LONG_TEXT, ["x\r\n" * 1000], "x\n" * 999 + "x"),
        (QuestionKind.YES_NO, ["yes"], "yes"),
        (QuestionKind.NUMBER, ["2,50"], "2.5"),
        (QuestionKind.NUMBER, ["10"], "10"),
        (QuestionKind.DATE, ["1990-05-31"], "1990-05-31"),
        (QuestionKind.CONSENT, ["yes"], "yes"),
        (QuestionKind.SHORT_TEXT, [], ""),
        (QuestionKind.SHORT_TEXT, ["   "], ""),
    ],
)
def test_each_kind_keeps_a_good_answer(kind, sent, kept):
    assert read_answer(question(kind), sent).text == kept
    assert read_answer(question(kind), sent).problem is None


def test_choices_keep_only_what_is_offered_in_the_offered_order():
    single = question(QuestionKind.SINGLE_CHOICE, options=EXPERIENCE)
    several = question(QuestionKind.MULTIPLE_CHOICE, options=EXPERIENCE)

    assert read_answer(single, ["Some"]).text == "Some"
    kept = read_answer(several, ["A lot", "None yet"]).text
    assert json.loads(kept) == ["None yet", "A lot"]
    assert shown_answer(QuestionKind.MULTIPLE_CHOICE, kept) == "None yet, A lot"


@pytest.mark.parametrize(
    ("kind", "options", "sent", "says"),
    [
        (QuestionKind.SINGLE_CHOICE, EXPERIENCE, ["Everything"], "one of the answers offered"),
        (QuestionKind.SINGLE_CHOICE, EXPERIENCE, ["Some", "A lot"], "one of the answers offered"),
        (QuestionKind.MULTIPLE_CHOICE, EXPERIENCE, ["Some", "Other"], "among the answers offered"),
        (QuestionKind.YES_NO, (), ["maybe"], "yes or no"),
        (QuestionKind.NUMBER, (), ["three"], "a number"),
        (QuestionKind.NUMBER, (), ["1e12"], "a number"),
        (QuestionKind.NUMBER, (), ["NaN"], "a number"),
        (QuestionKind.DATE, (), ["31/05/1990"], "year-month-day"),
        (QuestionKind.CONSENT, (), ["no"], "accept"),
        (QuestionKind.SHORT_TEXT, (), ["x" * 201], "under 200 characters (201 now)"),
        (QuestionKind.LONG_TEXT, (), ["x" * 2001], "under 2000 characters"),
    ],
)
def test_a_bad_answer_gets_a_message_and_keeps_nothing(kind, options, sent, says):
    read = read_answer(question(kind, options=options), sent)
    assert read.text == ""
    assert says in read.problem


@pytest.mark.parametrize("kind", list(QuestionKind))
def test_a_required_question_left_empty_is_asked_again(kind):
    read = read_answer(question(kind, required=True, options=EXPERIENCE), [""])
    assert read.problem and read.text == ""


def test_a_booking_reads_one_field_per_question_and_per_person_and_nothing_else():
    booking_level = question(QuestionKind.SHORT_TEXT, id=1)
    per_person = question(QuestionKind.YES_NO, id=2, asked_of=AskedOf.PERSON, required=True)
    sent = {
        answer_field(booking_level): ["Sintra, last year"],
        answer_field(per_person, 0): ["yes"],
        answer_field(per_person, 1): ["perhaps"],
        "q999": ["a question of another retreat"],
    }

    given, problems = read_answers([booking_level, per_person], sent, people=2)

    assert [(a.question.id, a.person, a.text) for a in given] == [
        (1, None, "Sintra, last year"),
        (2, 0, "yes"),
    ]
    assert problems == {"q2-p1": "Please answer yes or no."}


@on_both_databases
def test_a_booking_keeps_its_answers_private_ones_encrypted_and_the_consent_text_read(
    db, make_retreat
):
    retreat = make_retreat()
    health = add_question(retreat)  # private, asked of each person
    agree = add_question(
        retreat,
        label="Code of conduct",
        kind=QuestionKind.CONSENT,
        privacy=Privacy.ORDINARY,
        asked_of=AskedOf.BOOKING,
        consent_text="I will respect everyone's boundaries.",
    )
    booking = paid_booking(
        retreat,
        ADA,
        BEA,
        answers=[answered(health, "Asthma; inhaler in my bag"), answered(agree, "yes")],
    )
    agree.consent_text = "A later wording."
    db.session.commit()

    rows = db.session.execute(
        text("SELECT label, text, private_text, consent_text FROM answers ORDER BY id")
    ).all()
    (health_row, agree_row) = rows
    assert health_row.text is None and health_row.private_text.startswith("gAAAAA")
    assert "Asthma" not in health_row.private_text
    assert agree_row == (
        "Code of conduct",
        "yes",
        None,
        "I will respect everyone's boundaries.",
    )
    db.session.expire_all()
    kept = db.session.get(Booking, booking.id)
    assert [(a.attendee_id, a.shown) for a in kept.answers] == [
        (kept.attendees[0].id, "Asthma; inhaler in my bag"),
        (None, "Accepted"),
    ]


def test_answers_are_kept_in_the_order_given(db, make_retreat):
    retreat = make_retreat()
    first = add_question(retreat, label="Code", kind=QuestionKind.CONSENT, asked_of=AskedOf.BOOKING)
    second = add_question(retreat, label="Health")  # asked of each person
    booking = paid_booking(
        retreat,
        ADA,
        BEA,
        answers=[
            answered(first, "yes"),
            answered(second, "none", person=0),
            answered(second, "asthma", person=1),
        ],
    )
    db.session.expire_all()
    kept = db.session.get(Booking, booking.id)
    assert [(a.label, a.stored_text) for a in kept.answers] == [
        ("Code", "yes"),
        ("Health", "none"),
        ("Health", "asthma"),
    ]
