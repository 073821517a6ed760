"""Test helpers: the finder's answers with a few changed."""

from __future__ import annotations

from retreats.finder.scoring import Answers

# Everything leans emotional; no practical answer narrows anything.
EMOTIONAL_ANSWERS = {
    "wish": "talk",
    "evening": "heart_to_heart",
    "missing": "understood",
    "first_step": "questions",
    "company": "couple",
    "budget": "any",
    "when": "any",
    "format": "either",
}


def answers(**changes: str) -> Answers:
    return Answers(**(EMOTIONAL_ANSWERS | changes))
