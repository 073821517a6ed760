"""A retreat's questions copied onto its duplicate (services.duplicate_retreat), so a retreat
run again asks what it asked before. Removed questions and answers are not copied."""

from __future__ import annotations

from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.listings.questions import Question, asked_questions

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
