"""The attendees benchmark retreat's questions, and every booking's answers to them.

First the four every retreat starts with (question_library.STARTING_KEYS): dietary needs, and
private accessibility needs, emergency contact and hopes, left empty by some as real people do.
Then ten, as an organizer of a large gathering might ask: seven ordinary (choices, a yes/no, a
consent), three private (health, relationship, boundaries), which everyone answers. Some are
asked once per booking, the rest of each person, so a couple's booking holds about twice the
answers. The private answers are encrypted as the app stores them (the answers table's
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


STARTING = [
    AskedQuestion(
        "Dietary needs",
        QuestionKind.LONG_TEXT,
        AskedOf.PERSON,
        answers=[
            "",
            "",
            "Vegetarian",
            "Vegan",
            "No gluten",
            "No nuts, please",
            'No "dairy"\nNo eggs',
        ],
    ),
    AskedQuestion(
        "Accessibility needs",
        QuestionKind.LONG_TEXT,
        AskedOf.PERSON,
        Privacy.PRIVATE,
        answers=[
            "",
            "",
            "",
            "",
            "Ground-floor room, please",
            "I use a wheelchair; step-free access to the hall and the dining room",
            "Hard of hearing: I sit at the front",
        ],
    ),
    AskedQuestion(
        "Emergency contact",
        QuestionKind.SHORT_TEXT,
        AskedOf.PERSON,
        Privacy.PRIVATE,
        answers=[
            "Rita Sousa, +351 912 345 678",
            "Tomás Lima, +351 913 456 789",
            "Joana Reis, +351 914 567 890",
        ],
    ),
    AskedQuestion(
        "What do you hope for from this time?",
        QuestionKind.LONG_TEXT,
        AskedOf.PERSON,
        Privacy.PRIVATE,
        answers=[
            "To slow down together and listen to each other again, without the phones.",
            "We have been together twelve years and want to find the curiosity we started with.",
            "Rest. And to learn how to talk about the hard things without it turning into a fight.",
            "I am coming alone to understand what I want from my next relationship.",
            "=To laugh more (and yes, this starts with an equals sign)",
        ],
    ),
]

QUESTIONS = [
    *STARTING,
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
    """The fourteen questions, on a retreat being created (in the caller's transaction)."""
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
    its `people`'s (their attendee ids, in order); an optional question left empty has none."""
    for question in questions:
        persons = list(enumerate(people)) if question.per_person else [(0, None)]
        for position, attendee_id in persons:
            text = _answer(question, number * 2 + position)
            if not text:
                continue
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
