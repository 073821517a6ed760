"""Test helpers: the finder's answers with a few changed, and counting SQL statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

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


@contextmanager
def counted_statements(engine) -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
