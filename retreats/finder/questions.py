"""The finder's questions, their answers, and how many points each answer gives each kind.

Four questions score the four kinds of closeness; four more are the visitor's practical wishes
(coming as a couple or alone, budget, dates, online or in person), used as filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from retreats.listings.models import Focus

EMOTIONAL, PHYSICAL, INTELLECTUAL, SPIRITUAL = Focus


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    # Points this answer adds to each kind; practical answers add none.
    points: Mapping[Focus, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    name: str
    text: str
    choices: tuple[Choice, ...]
    hint: str | None = None

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)

    def choice(self, value: str) -> Choice:
        return next(choice for choice in self.choices if choice.value == value)


SCORING_QUESTIONS: tuple[Question, ...] = (
    Question(
        name="wish",
        text="What would you most like more of?",
        choices=(
            Choice("talk", "Talks where you truly hear and are heard", {EMOTIONAL: 3}),
            Choice("touch", "Touch, and feeling at ease in your body", {PHYSICAL: 3}),
            Choice("ideas", "Curiosity, and ideas shared and explored", {INTELLECTUAL: 3}),
            Choice("meaning", "Meaning, stillness or ritual", {SPIRITUAL: 3}),
        ),
    ),
    Question(
        name="evening",
        text="A perfect evening would be…",
        choices=(
            Choice("heart_to_heart", "A long heart-to-heart by candlelight", {EMOTIONAL: 2}),
            Choice("massage", "A massage, a dance or a slow walk hand in hand", {PHYSICAL: 2}),
            Choice(
                "big_question",
                "A lively talk about a book, a film or a big question",
                {INTELLECTUAL: 2},
            ),
            Choice(
                "stars", "Quiet time under the stars, or meditating side by side", {SPIRITUAL: 2}
            ),
        ),
    ),
    Question(
        name="missing",
        text="When closeness feels far away, what is usually missing?",
        choices=(
            Choice("understood", "Feeling understood", {EMOTIONAL: 2}),
            Choice("affection", "Affection, rest and being near each other", {PHYSICAL: 2}),
            Choice("interest", "Real interest in each other's thoughts", {INTELLECTUAL: 2}),
            Choice(
                "purpose", "A shared sense of purpose, something bigger than us", {SPIRITUAL: 2}
            ),
            Choice("time", "Simply time without distractions", {EMOTIONAL: 1, PHYSICAL: 1}),
        ),
    ),
    Question(
        name="first_step",
        text="Which would you happily try first?",
        choices=(
            Choice(
                "questions",
                "A guided conversation with questions you'd never think to ask",
                {EMOTIONAL: 2, INTELLECTUAL: 1},
            ),
            Choice("breath", "Breathing, massage or movement exercises", {PHYSICAL: 2}),
            Choice("talk", "A talk that leaves you thinking for weeks", {INTELLECTUAL: 2}),
            Choice(
                "ritual",
                "A silent morning, a ceremony or a gratitude ritual",
                {SPIRITUAL: 2, EMOTIONAL: 1},
            ),
        ),
    ),
)

COMPANY = Question(
    name="company",
    text="Will you come as a couple or on your own?",
    choices=(
        Choice("couple", "As a couple"),
        Choice("alone", "On my own"),
    ),
)

# Per person, in euros; other currencies are converted roughly (see scoring.py).
BUDGET_LIMITS: dict[str, int | None] = {"200": 200, "500": 500, "any": None}
BUDGET = Question(
    name="budget",
    text="What would you like to spend, per person?",
    hint="A couple ticket counts as half per person. Other currencies are converted roughly.",
    choices=(
        Choice("200", "Up to about €200"),
        Choice("500", "Up to about €500"),
        Choice("any", "Any amount"),
    ),
)

WHEN_DAYS: dict[str, int | None] = {"month": 31, "3months": 92, "any": None}
WHEN_PHRASES = {"month": "within the next month", "3months": "within the next 3 months"}
WHEN = Question(
    name="when",
    text="When would you like to go?",
    choices=(
        Choice("month", "Within the next month"),
        Choice("3months", "Within the next 3 months"),
        Choice("any", "Any time"),
    ),
)

FORMAT = Question(
    name="format",
    text="Online or in person?",
    choices=(
        Choice("in_person", "In person"),
        Choice("online", "Online, from home"),
        Choice("either", "Either is fine"),
    ),
)

PRACTICAL_QUESTIONS: tuple[Question, ...] = (COMPANY, BUDGET, WHEN, FORMAT)
ALL_QUESTIONS: tuple[Question, ...] = SCORING_QUESTIONS + PRACTICAL_QUESTIONS
