"""The catalog's search box: which listings a visitor's words match, on either database.

Every word must match somewhere in the title, the summary, the place (venue, city, country) or
the name of one of its facilitators;
the listings keep the catalog's order, soonest first.

- PostgreSQL: full-text search over listings.models.search_document (GIN-indexed, 'simple'
  configuration: no stemming, no stop words, so names of people and places and the several
  languages listings are written in all match as typed). Each word is a prefix ("tant" finds
  "Tantra"). The tsquery is built here from letters and digits only, so nothing a visitor types
  can reach to_tsquery's syntax: no quote, operator or parenthesis is ever a syntax error.
- SQLite: a LIKE per word on each column, both sides lowered and without accents (the
  connection's `folded` function, retreats/database.py), the wildcards % and _ (and the escape
  character) in the visitor's text escaped, so they match themselves.

Accents never matter: "zurich" finds "Zürich", "málaga" finds "Malaga" and "strasse" finds
"Straße", on both databases (retreats/accents.py: one table for both sides).
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true

from retreats.accents import without_accents
from retreats.database import folded
from retreats.listings.hosts import Facilitator, retreat_facilitators
from retreats.listings.models import (
    SEARCH_CONFIG,
    SEARCHED_COLUMNS,
    Retreat,
    search_document,
    without_accents_in_sql,
)

MAX_SEARCH_LENGTH = 100  # characters: a longer text is cut, not refused
MAX_SEARCH_WORDS = 8  # more words than this narrow nothing a person would miss
LIKE_ESCAPE = "\\"
# A word for the full-text search: letters and digits, as PostgreSQL's parser splits them
# ("co-creation" is "co" and "creation"; "O'Brien" is "o" and "brien").
_TEXT_SEARCH_WORD = re.compile(r"[^\W_]+")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def normalised_search(text: str | None) -> str:
    """The visitor's text as searched and shown back: control characters (PostgreSQL refuses a
    NUL) as spaces, spaces collapsed, cut to 100 characters."""
    collapsed = " ".join(_CONTROL_CHARACTERS.sub(" ", text or "").split())
    return collapsed[:MAX_SEARCH_LENGTH].strip()


def matching(text: str, dialect: str) -> ColumnElement[bool]:
    """The condition on Retreat that every word of `text` matches (true for no words)."""
    words = normalised_search(text).split()[:MAX_SEARCH_WORDS]
    if not words:
        return true()
    if dialect == "postgresql":
        return _matching_full_text(words)
    return and_(*(_word_matches_like(word) for word in words))


def _matching_full_text(words: list[str]) -> ColumnElement[bool]:
    lexemes = [
        lexeme for word in words for lexeme in _TEXT_SEARCH_WORD.findall(without_accents(word))
    ]
    if not lexemes:
        return false()  # only punctuation: nothing is written that way in a tsvector
    return and_(*(_lexeme_matches_full_text(lexeme) for lexeme in lexemes[:MAX_SEARCH_WORDS]))


def _lexeme_matches_full_text(lexeme: str) -> ColumnElement[bool]:
    # Letters and digits only (see _TEXT_SEARCH_WORD): safe inside to_tsquery's syntax.
    query = func.to_tsquery(SEARCH_CONFIG, f"{lexeme}:*")
    # One id list per word, so that each place a word may match is its own indexed search.
    ids_matching = select(Retreat.id).where(search_document().op("@@")(query))
    # A facilitator's name matches the word too: its own arm of the id list (a UNION rather
    # than `OR EXISTS`, which would keep the planner from using ix_retreats_search).
    ids_matching = ids_matching.union(
        select(retreat_facilitators.c.retreat_id)
        .join(Facilitator, Facilitator.id == retreat_facilitators.c.facilitator_id)
        .where(
            func.to_tsvector(SEARCH_CONFIG, without_accents_in_sql(Facilitator.name)).op("@@")(
                query
            )
        )
    )
    return Retreat.id.in_(ids_matching)


def _word_matches_like(word: str) -> ColumnElement[bool]:
    pattern = f"%{_escaped_for_like(folded(word))}%"

    def matches(column) -> ColumnElement[bool]:
        return func.folded(column).like(pattern, escape=LIKE_ESCAPE)

    places = [matches(getattr(Retreat, name)) for name in SEARCHED_COLUMNS]
    # A facilitator's name matches the word too.
    places.append(Retreat.facilitators.any(matches(Facilitator.name)))
    return or_(*places)


def _escaped_for_like(word: str) -> str:
    return (
        word.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
