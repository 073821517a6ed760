"""The answers to a retreat's own questions (listings/questions.py) where its organizers look:
the attendee list's filters by a choice answer, the answers a page loads, the CSV's columns.

A private answer (booking/models.py Answer) is read from the database only when the organizer
asked to see private answers, which the caller writes to the audit log first: otherwise every
statement here leaves it out, so it is not even decrypted. Each answer keeps the label it was
given under, so an answer to a question edited or removed since still shows as it was answered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Row, Text, and_, exists, func, literal, or_, select
from sqlalchemy.orm import selectinload

from retreats.booking.models import Answer, Booking
from retreats.extensions import db
from retreats.listings.questions import (
    CHOICE_KINDS,
    AskedOf,
    Privacy,
    Question,
    QuestionKind,
    shown_answer,
)

ANSWER_PARAMETER = "answer-"  # the query string's answer-<question id>=<option>


@dataclass(frozen=True)
class AnswerFilter:
    """Bookings in which someone chose `option` in answer to a choice question."""

    question_id: int
    label: str
    option: str
    multiple: bool  # a several-choices question: its answers are JSON lists

    @property
    def parameter(self) -> str:
        return f"{ANSWER_PARAMETER}{self.question_id}"


def questions_still_asked(retreat_id: int) -> list[Row]:
    """The questions the retreat still asks, in the organizer's order, as plain rows (id, label,
    kind, privacy, asked_of, options): one statement. Not Question objects: the commit of a
    "show private answers" audit entry would expire them, and each would be read again."""
    return list(
        db.session.execute(
            select(
                Question.id,
                Question.label,
                Question.kind,
                Question.privacy,
                Question.asked_of,
                Question.options,
            )
            .where(Question.retreat_id == retreat_id, Question.removed_at.is_(None))
            .order_by(Question.position, Question.id)
        )
    )


def filterable(question: Row) -> bool:
    """Can the attendee list be filtered by the answers to this question still asked?

    Ordinary choice questions only. Never a private one: the bookings such a filter lists are
    those who gave that answer, so it would reveal private answers without the audited "show
    private answers" (and the filter would have to decrypt every answer to match it).
    """
    return question.kind in CHOICE_KINDS and question.privacy == Privacy.ORDINARY


def answer_filters(
    questions: Iterable[Row], sent: Mapping[str, str]
) -> tuple[AnswerFilter, ...] | None:
    """The answer filters the query string `sent` chooses among the retreat's questions still
    asked (questions_still_asked) that are filterable; None when one names an option its
    question does not offer.

    A parameter naming any other question (private, removed, not a choice, of another retreat,
    no question at all) is ignored: the list offers no such filter, so nothing is filtered by it.
    """
    chosen = []
    for question in questions:
        if not filterable(question):
            continue
        option = sent.get(f"{ANSWER_PARAMETER}{question.id}", "")
        if not option:
            continue
        if option not in question.options:
            return None
        multiple = question.kind == QuestionKind.MULTIPLE_CHOICE
        chosen.append(AnswerFilter(question.id, question.label, option, multiple))
    return tuple(chosen)


def answer_parameters(sent: Mapping[str, str]) -> dict[str, str]:
    """The answer-<question id> filters a form carried back (the check-in form), for the list's
    address: the list checks them again."""
    return {
        name: value
        for name, value in sent.items()
        if name.startswith(ANSWER_PARAMETER) and name[len(ANSWER_PARAMETER) :].isdigit()
    }


def answer_filter_clause(chosen: AnswerFilter):
    """The bookings in which the booking, or one of its people, gave that ordinary answer.

    The answer's own privacy is checked too: a question made ordinary later keeps the answers it
    was given as private, private (and their `text` empty: they are only in `private_text`).
    """
    if chosen.multiple:
        matches = _holds(_listed_choices(Answer.text), _listed_choice(chosen.option))
    else:
        matches = Answer.text == chosen.option
    return Booking.answers.any(
        and_(
            Answer.question_id == chosen.question_id,
            Answer.privacy == Privacy.ORDINARY,
            matches,
        )
    )


def _listed_choices(stored):
    """A several-choices answer as stored, json.dumps(["Yoga", "Tantra"]) with its ", "
    separators, turned into ', "Yoga", "Tantra",': each choice between ", " and ","."""
    inside = func.substr(stored, 2, func.length(stored) - 2, type_=Text)
    return literal(", ", Text) + inside + literal(",", Text)


def _listed_choice(option: str) -> str:
    """One choice as _listed_choices writes it.

    It is found only as a whole choice: a '"' inside a choice is escaped as '\\"', so one that
    follows ", " opens a choice (choices are stored trimmed: none ends with a space, whose
    closing '"' would follow one), and from there the JSON string ends where the choice does.
    """
    return f", {json.dumps(option, ensure_ascii=False)},"


def _holds(text, part: str):
    """Does `text` contain `part`, exactly? Not LIKE: SQLite's ignores case, so "Yoga" would
    match "yoga"; replace() compares exactly on both databases, and needs no escaping."""
    return func.length(func.replace(text, part, "")) < func.length(text)


# --- loading answers ----------------------------------------------------------------------------


def answers_loader(*, with_private: bool):
    """A loader option for a page of bookings: their answers in one more statement, the private
    ones only `with_private` (the organizer asked, and it is audited)."""
    if with_private:
        return selectinload(Booking.answers)
    return selectinload(Booking.answers.and_(Answer.privacy == Privacy.ORDINARY))


def answers_of_booking(booking_id: int, *, with_private: bool) -> list[Answer]:
    """A booking's answers in the order given, the private ones only `with_private`."""
    statement = select(Answer).where(Answer.booking_id == booking_id).order_by(Answer.id)
    if not with_private:
        statement = statement.where(Answer.privacy == Privacy.ORDINARY)
    return list(db.session.scalars(statement))


@dataclass(frozen=True)
class PageAnswers:
    """The answers of a page of bookings (loaded with answers_loader), sorted once for the page:
    each booking's own and each person's, in the order given."""

    of_booking: dict[int, list[Answer]]
    of_person: dict[int, list[Answer]]

    @classmethod
    def of(cls, bookings: Iterable[Booking]) -> PageAnswers:
        of_booking: dict[int, list[Answer]] = defaultdict(list)
        of_person: dict[int, list[Answer]] = defaultdict(list)
        for booking in bookings:
            for answer in booking.answers:
                if answer.attendee_id is None:
                    of_booking[booking.id].append(answer)
                else:
                    of_person[answer.attendee_id].append(answer)
        return cls(dict(of_booking), dict(of_person))


def questions_on_the_list(questions: list[Row], bookings: list[Booking]) -> dict:
    """What the attendee list shows of the retreat's own questions (still asked, from
    questions_still_asked): the page's answers, whether they need a column (a question asked of
    each person, or such an answer on the page, to a question since removed or changed), the
    filters offered, and the private questions' labels."""
    answers = PageAnswers.of(bookings)
    per_person = any(question.asked_of == AskedOf.PERSON for question in questions)
    return {
        "answers": answers,
        "answer_column": per_person or bool(answers.of_person),
        "answer_filters": [question for question in questions if filterable(question)],
        "private_questions": [q.label for q in questions if q.privacy == Privacy.PRIVATE],
    }


# --- the CSV's columns ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerColumn:
    """One question's column in the CSV."""

    question_id: int
    heading: str
    private: bool


def answer_columns(retreat_id: int, *, include_private: bool) -> list[AnswerColumn]:
    """A column per question the retreat asks, and per question removed after people answered it
    (headed with the label last answered, "… (removed)"), in the organizer's order; the private
    ones only `include_private`. One statement."""
    answered = exists().where(Answer.question_id == Question.id)
    answered_label = (
        select(Answer.label)
        .where(Answer.question_id == Question.id)
        .order_by(Answer.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(
            Question.id,
            Question.label,
            Question.privacy,
            Question.removed_at,
            answered_label.label("answered_label"),
        )
        .where(Question.retreat_id == retreat_id, or_(Question.removed_at.is_(None), answered))
        .order_by(Question.position, Question.id)
    )
    if not include_private:
        statement = statement.where(Question.privacy == Privacy.ORDINARY)
    return [
        AnswerColumn(
            question_id=row.id,
            heading=(row.label if row.removed_at is None else f"{row.answered_label} (removed)"),
            private=row.privacy == Privacy.PRIVATE,
        )
        for row in db.session.execute(statement)
    ]


# (booking id, attendee id or None for the booking's own answers) → question id → shown answer
AnswersByPerson = dict[tuple[int, int | None], dict[int, str]]


def answers_for_bookings(booking_ids: Iterable[int], *, include_private: bool) -> AnswersByPerson:
    """The answers of these bookings, as a person reads them, in one statement (private ones
    only `include_private`)."""
    statement = select(
        Answer.booking_id,
        Answer.attendee_id,
        Answer.question_id,
        Answer.kind,
        Answer.privacy,
        Answer.text,
        Answer.private_text,
    ).where(Answer.booking_id.in_(list(booking_ids)), Answer.question_id.is_not(None))
    if not include_private:
        statement = statement.where(Answer.privacy == Privacy.ORDINARY)
    found: AnswersByPerson = defaultdict(dict)
    for row in db.session.execute(statement):
        stored = row.private_text if row.privacy == Privacy.PRIVATE else row.text
        found[(row.booking_id, row.attendee_id)][row.question_id] = shown_answer(
            row.kind, stored or ""
        )
    return found


def answer_cell(
    answers: AnswersByPerson, column: AnswerColumn, *, booking_id: int, attendee_id: int
) -> str:
    """One person's answer to the column's question, or the booking's when it was asked once
    for the whole booking."""
    own = answers.get((booking_id, attendee_id), {}).get(column.question_id)
    if own is not None:
        return own
    return answers.get((booking_id, None), {}).get(column.question_id, "")
