"""The answers a booking gives to its retreat's own questions (listings/questions.py).

The booking form has one field per question asked of the booking and, for a question asked of
each person, one per person (`answer_field`). `read_answers` reads exactly those fields for the
questions this booking is asked, so a field naming a question of another retreat (or none) is
never read, let alone stored; it returns the answers to keep or the message for each field that
cannot be kept. `attach_answers` puts them on the booking in the hold's transaction, so a booking
is never without the answers it was made with, and a refused booking keeps none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from retreats.booking.models import Answer, Booking
from retreats.listings.questions import Question, QuestionKind, read_answer


@dataclass(frozen=True)
class GivenAnswer:
    """What one person (or the booking) answered to one question, ready to store."""

    question: Question
    text: str
    person: int | None = None  # the attendee's position for a question asked of each person


def answer_field(question: Question, person: int | None = None) -> str:
    """The form field of `question` (of the `person`-th attendee when asked of each person)."""
    return f"q{question.id}" if person is None else f"q{question.id}-p{person}"


def read_answers(
    questions: Sequence[Question], sent: Mapping[str, list[str]], *, people: int
) -> tuple[list[GivenAnswer], dict[str, str]]:
    """The answers to keep from the form's `sent` values (field → values), and a message per
    field that cannot be kept. Questions left unanswered and optional are not kept."""
    given: list[GivenAnswer] = []
    problems: dict[str, str] = {}
    for question in questions:
        persons = range(people) if question.per_person else [None]
        for person in persons:
            field = answer_field(question, person)
            read = read_answer(question, list(sent.get(field, [])))
            if read.problem:
                problems[field] = read.problem
            elif read.text:
                given.append(GivenAnswer(question=question, text=read.text, person=person))
    return given, problems


def attach_answers(booking: Booking, given: Sequence[GivenAnswer], *, now: datetime) -> None:
    """Put the answers on a booking being made (its attendees already on it, in order)."""
    for answer in given:
        question = answer.question
        attendee = booking.attendees[answer.person] if answer.person is not None else None
        booking.answers.append(
            Answer(
                attendee=attendee,
                question_id=question.id,
                label=question.label,
                kind=question.kind,
                privacy=question.privacy,
                text=None if question.is_private else answer.text,
                private_text=answer.text if question.is_private else None,
                consent_text=(
                    question.consent_text if question.kind == QuestionKind.CONSENT else None
                ),
                answered_at=now,
            )
        )
