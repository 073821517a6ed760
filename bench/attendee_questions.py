"""The attendees benchmark retreat's own questions, and every booking's answers to them.

Ten questions, as an organizer of a large gathering might ask: seven ordinary (choices, a yes/no,
a consent), three private (health, relationship, boundaries). Some are asked once per booking,
the rest of each person, so a couple's booking holds about twice the answers. Everyone answers
every question; the private answers are encrypted as the app stores them (the answers table's
EncryptedText column, which calls base/encryption.py encrypt_answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from retreats.extensions import db
from retreats.listings.questions import AskedOf, Privacy, Question, QuestionKind

CODE_OF_CONDUCT = "I will treat everyone with care, ask before touching and accept a no."


@dataclass(frozen=True)
class AskedQuestion:
    label: str
    kind: QuestionKind
    asked_of: AskedOf
    privacy: Privacy = Privacy.ORDINARY
    options: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # what people answer, in turn


QUESTIONS = [
    AskedQuestion(
        "How did you hear about the festival?",
        QuestionKind.SINGLE_CHOICE,
        AskedOf.BOOKING,
        options=["A friend", "Instagram", "Our newsletter", "A search engine"],
    ),
    AskedQuestion(
        "Experience with retreats like this one",
        QuestionKind.SINGLE_CHOICE,
        AskedOf.PERSON,
        options=["None yet", "One or two", "Many"],
    ),
    AskedQuestion(
        "Workshops you would like to join",
        QuestionKind.MULTIPLE_CHOICE,
        AskedOf.PERSON,
        options=["Breathwork", "Tantra", "Yoga", "Nonviolent communication", "Massage"],
    ),
    AskedQuestion(
        "Arriving by",
        QuestionKind.SINGLE_CHOICE,
        AskedOf.BOOKING,
        options=["Car", "Train", "Plane", "Bicycle"],
    ),
    AskedQuestion(
        "T-shirt size", QuestionKind.SINGLE_CHOICE, AskedOf.PERSON, options=["S", "M", "L", "XL"]
    ),
    AskedQuestion(
        "May we show a photo of you in the festival's recap?",
        QuestionKind.YES_NO,
        AskedOf.PERSON,
        answers=["yes", "no", "no"],
    ),
    AskedQuestion("Code of conduct", QuestionKind.CONSENT, AskedOf.PERSON, answers=["yes"]),
    AskedQuestion(
        "Anything the facilitators should know about your health?",
        QuestionKind.LONG_TEXT,
        AskedOf.PERSON,
        Privacy.PRIVATE,
        answers=[
            "Nothing in particular.",
            "Asthma: I carry an inhaler, and breathwork sessions can set it off.",
            "Recovering from a knee operation: no kneeling for long, please.",
            "I take medication that makes me tired after lunch.",
        ],
    ),
    AskedQuestion(
        "Your relationship",
        QuestionKind.SINGLE_CHOICE,
        AskedOf.BOOKING,
        Privacy.PRIVATE,
        options=["Married", "Together", "Open relationship", "Single", "It is complicated"],
    ),
    AskedQuestion(
        "Boundaries the facilitators should respect",
        QuestionKind.LONG_TEXT,
        AskedOf.PERSON,
        Privacy.PRIVATE,
        answers=[
            "No partner exercises with anyone but my partner.",
            "Please do not touch my neck or face.",
            "I would rather not share in the big circle; small groups are fine.",
        ],
    ),
]


def add_questions(retreat) -> None:
    """The ten questions, on a retreat being created (in the caller's transaction)."""
    for position, asked in enumerate(QUESTIONS):
        db.session.add(
            Question(
                retreat=retreat,
                position=position,
                kind=asked.kind,
                label=asked.label,
                asked_of=asked.asked_of,
                privacy=asked.privacy,
                options=asked.options,
                consent_text=CODE_OF_CONDUCT if asked.kind == QuestionKind.CONSENT else "",
            )
        )


ANSWER_COLUMNS = [
    "booking_id",
    "attendee_id",
    "question_id",
    "label",
    "kind",
    "privacy",
    "text",
    "private_text",
    "consent_text",
    "answered_at",
]


def answer_rows(
    questions: list[Question],
    booking_id: int,
    people: list[int],
    number: int,
    answered_at: datetime,
):
    """The rows (ANSWER_COLUMNS) of booking `number`'s answers: the booking's own, then each of
    its `people`'s (their attendee ids, in order)."""
    for question in questions:
        persons = list(enumerate(people)) if question.per_person else [(0, None)]
        for position, attendee_id in persons:
            text = _answer(question, number * 2 + position)
            yield (
                booking_id,
                attendee_id,
                question.id,
                question.label,
                question.kind,
                question.privacy,
                None if question.is_private else text,
                text if question.is_private else None,
                question.consent_text if question.kind == QuestionKind.CONSENT else None,
                answered_at,
            )


_ANSWERS = {asked.label: asked for asked in QUESTIONS}


def _answer(question: Question, seed: int) -> str:
    """What person `seed` answers, stored as read_answer would store it."""
    asked = _ANSWERS[question.label]
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        options = question.options
        chosen = [option for turn, option in enumerate(options) if (seed + turn) % 3 == 0]
        return json.dumps(chosen or options[:1], ensure_ascii=False)
    if question.options:
        return question.options[seed % len(question.options)]
    return asked.answers[seed % len(asked.answers)]
