"""Question services: add, change, reorder and remove the questions a retreat asks the people
who book it (listings/questions.py), and add ready ones from the library.

Like room_types.py, each function owns its transaction under the retreat's row lock (the lock a
hold takes, and so the one the answers are written under) and raises ListingError, whose `field`
names the form field the message belongs beside. Nothing here changes an answer already given:
each Answer keeps the label, kind, privacy and consent text it was given under, so an edit
applies to later bookings only, and a question someone answered is never deleted, only removed
(no longer asked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.booking.models import Answer
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat
from retreats.listings.questions import (
    CHOICE_KINDS,
    CONSENT_TEXT_MAX,
    HELP_MAX,
    LABEL_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    AskedOf,
    Privacy,
    Question,
    QuestionKind,
)
from retreats.organizer.listings.question_library import BY_KEY
from retreats.organizer.listings.room_types import changeable_retreat
from retreats.organizer.listings.services import ListingError, assign_changed

WHAT = "its questions"
UP, DOWN = "up", "down"


@dataclass(frozen=True)
class QuestionDetails:
    """A question as typed; `options` only count for the choice kinds, `consent_text` only for
    a consent, and `ticket_type_ids` are the only tickets it is asked of (none: every ticket)."""

    kind: QuestionKind
    label: str
    help_text: str = ""
    required: bool = False
    asked_of: AskedOf = AskedOf.BOOKING
    privacy: Privacy = Privacy.ORDINARY
    options: tuple[str, ...] = ()
    consent_text: str = ""
    ticket_type_ids: tuple[int, ...] = field(default=())


def question_problems(details: QuestionDetails) -> list[ListingError]:
    """What is wrong with a question on its own, one message per field at most (the form and
    the services both ask)."""
    problems = [_label_problem(details.label)]
    if len(details.help_text) > HELP_MAX:
        problems.append(
            ListingError(f"The help can be at most {HELP_MAX} characters long.", field="help_text")
        )
    if details.kind in CHOICE_KINDS:
        problems.append(_options_problem(details.options))
    if details.kind == QuestionKind.CONSENT:
        problems.append(_consent_problem(details.consent_text))
    return [problem for problem in problems if problem is not None]


def _label_problem(label: str) -> ListingError | None:
    if not label.strip():
        return ListingError("Please write the question.", field="label")
    if len(label) > LABEL_MAX:
        return ListingError(
            f"The question can be at most {LABEL_MAX} characters long.", field="label"
        )
    return None


def _consent_problem(text: str) -> ListingError | None:
    if not text.strip():
        return ListingError("Please write the text people accept.", field="consent_text")
    if len(text) > CONSENT_TEXT_MAX:
        return ListingError(
            f"The text can be at most {CONSENT_TEXT_MAX:,} characters long.", field="consent_text"
        )
    return None


def _options_problem(options: Sequence[str]) -> ListingError | None:
    if any(not option.strip() for option in options):
        return ListingError("An answer offered cannot be empty.", field="options")
    if len(options) < 2:
        return ListingError("Please offer at least two answers, one per line.", field="options")
    if len(options) > OPTIONS_MAX:
        return ListingError(f"Please offer at most {OPTIONS_MAX} answers.", field="options")
    too_long = next((option for option in options if len(option) > OPTION_MAX), None)
    if too_long is not None:
        return ListingError(
            f"Each answer can be at most {OPTION_MAX} characters long (“{too_long[:30]}…”).",
            field="options",
        )
    seen: set[str] = set()
    for option in options:
        if option.strip().casefold() in seen:
            return ListingError(f"“{option.strip()}” is offered twice.", field="options")
        seen.add(option.strip().casefold())
    return None


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRow:
    """A question as the listing editor lists it, with how many answers it has."""

    question: Question
    answers: int


@dataclass(frozen=True)
class QuestionList:
    """The questions a retreat asks, in order, and the labels of those it no longer asks."""

    asked: list[QuestionRow]
    removed: list[str]

    @property
    def asked_labels(self) -> set[str]:
        return {row.question.label for row in self.asked}


def question_list(retreat: Retreat) -> QuestionList:
    """The retreat's questions for the listing editor, in three statements whatever their
    number (the questions, their tickets, their answer counts)."""
    questions = list(
        db.session.scalars(
            select(Question)
            .where(Question.retreat_id == retreat.id)
            .options(selectinload(Question.ticket_types))
            .order_by(Question.position, Question.id)
        )
    )
    counts = _answer_counts([q.id for q in questions if q.removed_at is None])
    return QuestionList(
        asked=[
            QuestionRow(question=q, answers=counts.get(q.id, 0))
            for q in questions
            if q.removed_at is None
        ],
        removed=[q.label for q in questions if q.removed_at is not None],
    )


def _answer_counts(question_ids: list[int]) -> dict[int, int]:
    if not question_ids:
        return {}
    rows = db.session.execute(
        select(Answer.question_id, func.count(Answer.id))
        .where(Answer.question_id.in_(question_ids))
        .group_by(Answer.question_id)
    )
    return dict(rows.all())


def answer_count(question: Question) -> int:
    """How many answers `question` has been given."""
    return _answer_counts([question.id]).get(question.id, 0)


# --- writing --------------------------------------------------------------------------------


def _question_of(retreat: Retreat, question_id: int) -> Question:
    """The retreat's question still asked, else ListingError."""
    question = db.session.get(Question, question_id)
    if question is None or question.retreat_id != retreat.id:
        raise ListingError("That question does not exist any more.")
    if question.removed_at is not None:
        raise ListingError(f"“{question.label}” was removed, so it can no longer change.")
    return question


def _apply_question(question: Question, retreat: Retreat, details: QuestionDetails) -> list[str]:
    """Copy the details onto the question; returns the names of the fields that changed."""
    problems = question_problems(details)
    if problems:
        raise problems[0]
    wanted = set(details.ticket_type_ids)
    if not wanted <= {ticket.id for ticket in retreat.ticket_types}:
        raise ListingError(
            "Please choose among this retreat's own ticket types.", field="ticket_types"
        )
    is_choice = details.kind in CHOICE_KINDS
    changed = assign_changed(
        question,
        {
            "kind": details.kind,
            "label": details.label.strip(),
            "help_text": details.help_text.strip(),
            "required": details.required,
            "asked_of": details.asked_of,
            "privacy": details.privacy,
            "options": [option.strip() for option in details.options] if is_choice else [],
            "consent_text": (
                details.consent_text.strip() if details.kind == QuestionKind.CONSENT else ""
            ),
        },
    )
    tickets = [ticket for ticket in retreat.ticket_types if ticket.id in wanted]
    if {ticket.id for ticket in question.ticket_types} != wanted:
        question.ticket_types = tickets
        changed.append("ticket_types")
    return changed


def create_question(*, retreat_id: int, actor_id: int, details: QuestionDetails) -> Question:
    """Add a question at the end of the retreat's list; later bookings are asked it."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        question = _new_question(retreat, details)
        record_audit(
            "question.created", actor_id=actor_id, retreat_id=retreat.id, detail=question.label
        )
        db.session.commit()
    return question


def _new_question(retreat: Retreat, details: QuestionDetails) -> Question:
    last = db.session.execute(
        select(func.max(Question.position)).where(Question.retreat_id == retreat.id)
    ).scalar_one()
    question = Question(retreat_id=retreat.id, position=0 if last is None else last + 1)
    question.ticket_types = []
    _apply_question(question, retreat, details)
    db.session.add(question)
    db.session.flush()
    return question


def update_question(
    *, retreat_id: int, question_id: int, actor_id: int, details: QuestionDetails
) -> list[str]:
    """Change a question for the bookings made from now on; the answers already given keep
    the question as they answered it."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        question = _question_of(retreat, question_id)
        changed = _apply_question(question, retreat, details)
        if changed:
            record_audit(
                "question.updated",
                actor_id=actor_id,
                retreat_id=retreat.id,
                detail=f"{question.label}: {', '.join(changed)}",
            )
        db.session.commit()
    return changed


def remove_question(*, retreat_id: int, question_id: int, actor_id: int) -> bool:
    """Stop asking a question. One somebody answered is kept, marked removed, so its answers
    stay with their label; one nobody answered is deleted. Returns whether it was kept."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        question = _question_of(retreat, question_id)
        answered = db.session.execute(
            select(exists().where(Answer.question_id == question.id))
        ).scalar_one()
        action = "question.removed" if answered else "question.deleted"
        record_audit(action, actor_id=actor_id, retreat_id=retreat.id, detail=question.label)
        if answered:
            question.removed_at = utcnow()
        else:
            db.session.delete(question)
        db.session.commit()
    return answered


def move_question(*, retreat_id: int, question_id: int, actor_id: int, direction: str) -> bool:
    """Swap a question with the one above or below it; returns whether it moved (the first
    cannot go up, nor the last down)."""
    if direction not in (UP, DOWN):
        raise ListingError("Please move a question up or down.")
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        question = _question_of(retreat, question_id)
        order = list(
            db.session.scalars(
                select(Question)
                .where(Question.retreat_id == retreat.id, Question.removed_at.is_(None))
                .order_by(Question.position, Question.id)
            )
        )
        at = order.index(question)
        to = at - 1 if direction == UP else at + 1
        if not 0 <= to < len(order):
            db.session.rollback()
            return False
        order[at], order[to] = order[to], order[at]
        for position, each in enumerate(order):  # renumbered: ties and gaps go too
            each.position = position
        record_audit(
            "question.moved",
            actor_id=actor_id,
            retreat_id=retreat.id,
            detail=f"{question.label}: {direction} to {to + 1} of {len(order)}",
        )
        db.session.commit()
    return True


def library_details(key: str) -> QuestionDetails | None:
    """The ready question under `key` as the editor's form would hold it, or None."""
    entry = BY_KEY.get(key)
    if entry is None:
        return None
    values = {name: value for name, value in entry.items() if name != "key"}
    return QuestionDetails(**{**values, "options": tuple(values.get("options", ()))})


def add_library_question(*, retreat_id: int, actor_id: int, key: str) -> Question:
    """Add a ready question from the library at the end of the retreat's list, unless the
    retreat already asks a question with its label (a second click adds nothing)."""
    details = library_details(key)
    if details is None:
        raise ListingError("There is no such ready question.")
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        already = db.session.execute(
            select(
                exists().where(
                    Question.retreat_id == retreat.id,
                    Question.removed_at.is_(None),
                    Question.label == details.label,
                )
            )
        ).scalar_one()
        if already:
            raise ListingError(f"This retreat already asks “{details.label}”.")
        question = _new_question(retreat, details)
        record_audit(
            "question.created",
            actor_id=actor_id,
            retreat_id=retreat.id,
            detail=f"{question.label} (from the library)",
        )
        db.session.commit()
    return question
