"""The questions a retreat starts with: a new retreat, the library's starting four
(question_library.STARTING_KEYS); a duplicate (services.duplicate_retreat), copies of what the
original asks, so a retreat run again asks what it asked before (removed questions and answers
are not copied)."""

from __future__ import annotations

from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.listings.questions import Question, asked_questions
from retreats.organizer.listings.question_library import BY_KEY, STARTING_KEYS

COPIED = ("kind", "label", "help_text", "required", "asked_of", "privacy", "consent_text")


def copy_questions(original: Retreat, copy: Retreat) -> None:
    """Add copies of the questions `original` still asks to `copy`, in order, each asked with
    the copies of its ticket types (`copy` has the original's ticket types, in their order)."""
    tickets = dict(zip((t.id for t in original.ticket_types), copy.ticket_types, strict=True))
    for position, question in enumerate(asked_questions(original)):
        db.session.add(
            Question(
                retreat_id=copy.id,
                position=position,
                options=list(question.options or []),
                ticket_types=[tickets[ticket.id] for ticket in question.ticket_types],
                **{name: getattr(question, name) for name in COPIED},
            )
        )


def add_starting_questions(retreat: Retreat) -> None:
    """Give a new retreat (flushed, without questions) the library's starting questions."""
    for position, key in enumerate(STARTING_KEYS):
        fields = {"help_text": "", "required": False, "options": [], "consent_text": ""} | {
            name: value for name, value in BY_KEY[key].items() if name != "key"
        }
        db.session.add(
            Question(
                retreat_id=retreat.id,
                position=position,
                ticket_types=[],
                **fields,
            )
        )
