"""The organizer's own questions: what a retreat asks the people who book it, as data.

A question has a kind (what an answer looks like), a label and help text, is required or not,
is asked once per booking or once per person, of every ticket type or only some, and has a
privacy level:

- **ordinary**: shown in the attendee list and the exports, like a name;
- **private**: every guarantee of the private answers (DESIGN.md rule 6): encrypted at rest,
  shown to the retreat's own organizers only when they ask (and that is audited), left out of
  exports unless asked for (audited), purged after the retention period, in the attendee's own
  data download and deletion.

Questions are never deleted once answered: removing one sets `removed_at` (it is no longer asked)
and each answer keeps the label, kind and privacy it was given under (booking/models.py Answer),
so editing a question later never changes what someone answered or agreed to.

`read_answer` turns what a form sent for one question into the stored text, or a message for the
person; it is the one place a kind's rules live (the booking form, the editor's preview and the
tests use it).
"""

from __future__ import annotations

import enum
import functools
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    bindparam,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from retreats.database import UTCDateTime, string_enum, utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat, TicketType


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    NUMBER = "number"
    DATE = "date"
    CONSENT = "consent"  # a text the person must accept; the text accepted is kept


class AskedOf(enum.StrEnum):
    BOOKING = "booking"  # once per booking (the person booking answers)
    PERSON = "person"  # once per person: both people of a couple answer


class Privacy(enum.StrEnum):
    ORDINARY = "ordinary"
    PRIVATE = "private"


CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
LABEL_MAX = 200
HELP_MAX = 500
OPTION_MAX = 100
OPTIONS_MAX = 20
CONSENT_TEXT_MAX = 5000
# The longest answer of each text kind, in characters.
ANSWER_MAX = {QuestionKind.SHORT_TEXT: 200, QuestionKind.LONG_TEXT: 2000}
NUMBER_LIMIT = Decimal("1000000000")
YES, NO = "yes", "no"

question_ticket_types = Table(
    "question_ticket_types",
    db.metadata,
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("ticket_type_id", ForeignKey("ticket_types.id", ondelete="CASCADE"), primary_key=True),
)


class Question(db.Model):
    """One question a retreat asks (see the module's docstring)."""

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint("length(label) > 0", name="label_not_empty"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    retreat_id: Mapped[int] = mapped_column(
        ForeignKey("retreats.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(string_enum(QuestionKind, "question_kind"))
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    help_text: Mapped[str] = mapped_column(String(HELP_MAX), default="")
    required: Mapped[bool] = mapped_column(default=False)
    asked_of: Mapped[AskedOf] = mapped_column(
        string_enum(AskedOf, "question_asked_of"), default=AskedOf.BOOKING
    )
    privacy: Mapped[Privacy] = mapped_column(
        string_enum(Privacy, "question_privacy"), default=Privacy.ORDINARY
    )
    # The choices offered, in order (choice kinds only).
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What a consent question asks the person to accept (consent only).
    consent_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Removed by the organizer: no longer asked; its answers stay, with the label they answered.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    retreat: Mapped[Retreat] = relationship()
    # When not empty, the only ticket types it is asked of.
    ticket_types: Mapped[list[TicketType]] = relationship(secondary=question_ticket_types)

    @property
    def is_private(self) -> bool:
        return self.privacy == Privacy.PRIVATE

    @property
    def per_person(self) -> bool:
        return self.asked_of == AskedOf.PERSON

    @property
    def answer_max(self) -> int | None:
        """The longest answer a text question takes, in characters (None: not a text)."""
        return ANSWER_MAX.get(self.kind)

    def asked_with(self, ticket: TicketType) -> bool:
        """Is this question asked of a booking of `ticket`?"""
        if self.removed_at is not None:
            return False
        return not self.ticket_types or ticket.id in {t.id for t in self.ticket_types}

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.kind.value} {self.label!r}>"


def questions_asked(retreat: Retreat, ticket: TicketType) -> list[Question]:
    """The questions a booking of `ticket` answers, in the organizer's order."""
    return [question for question in asked_questions(retreat) if question.asked_with(ticket)]


def asked_questions(retreat: Retreat) -> list[Question]:
    """Every question the retreat still asks (not removed), in order, with the ticket types
    each is limited to: one statement (a question is limited to a handful of ticket types)."""
    return list(db.session.scalars(_asked_questions(), {"retreat_id": retreat.id}).unique())


@functools.cache
def _asked_questions():
    """Built once (when the models are all mapped) and run with parameters: it runs on every
    booking POST."""
    return (
        db.select(Question)
        .where(Question.retreat_id == bindparam("retreat_id"), Question.removed_at.is_(None))
        .order_by(Question.position, Question.id)
        .options(joinedload(Question.ticket_types))
    )


# --- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadAnswer:
    """What one question's field held: the text to store ("" when left empty), or a message
    for the person (`problem`)."""

    text: str = ""
    problem: str | None = None


def read_answer(question: Question, sent: list[str]) -> ReadAnswer:
    """The answer to store for `question` from the values its field sent (a list: a several-
    choices field sends one per ticked box), or the message to show beside the field."""
    values = [value.strip() for value in sent if value is not None]
    values = [value for value in values if value]
    if not values:
        if question.required:
            return ReadAnswer(problem=_missing(question))
        return ReadAnswer()
    reader = _READERS[question.kind]
    return reader(question, values)


def _missing(question: Question) -> str:
    if question.kind == QuestionKind.CONSENT:
        return "Please read and accept this to book."
    if question.kind in (*CHOICE_KINDS, QuestionKind.YES_NO):
        return "Please choose an answer."
    return "Please answer this question."


def _text(question: Question, values: list[str]) -> ReadAnswer:
    # A browser sends each line break as CRLF; counted as one character, as its maxlength does.
    text = "\n".join(values).replace("\r\n", "\n").replace("\r", "\n")
    if question.kind == QuestionKind.SHORT_TEXT:
        text = " ".join(text.split())
    text = _without_control_characters(text)
    limit = ANSWER_MAX[question.kind]
    if len(text) > limit:
        return ReadAnswer(problem=f"Please keep this under {limit} characters ({len(text)} now).")
    return ReadAnswer(text=text)


def _single_choice(question: Question, values: list[str]) -> ReadAnswer:
    if len(values) != 1 or values[0] not in question.options:
        return ReadAnswer(problem="Please choose one of the answers offered.")
    return ReadAnswer(text=values[0])


def _multiple_choice(question: Question, values: list[str]) -> ReadAnswer:
    if any(value not in question.options for value in values):
        return ReadAnswer(problem="Please choose among the answers offered.")
    chosen = [option for option in question.options if option in values]  # the offered order
    return ReadAnswer(text=json.dumps(chosen, ensure_ascii=False))


def _yes_no(question: Question, values: list[str]) -> ReadAnswer:
    if len(values) != 1 or values[0] not in (YES, NO):
        return ReadAnswer(problem="Please answer yes or no.")
    return ReadAnswer(text=values[0])


def _number(question: Question, values: list[str]) -> ReadAnswer:
    if len(values) != 1:
        return ReadAnswer(problem="Please enter one number.")
    try:
        number = Decimal(values[0].replace(",", "."))
    except InvalidOperation:
        return ReadAnswer(problem="Please enter a number, like 3 or 2.5.")
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        return ReadAnswer(problem="Please enter a number, like 3 or 2.5.")
    return ReadAnswer(text=format(number.normalize(), "f"))  # "2.5", "10", never "1E+1"


def _date(question: Question, values: list[str]) -> ReadAnswer:
    if len(values) != 1:
        return ReadAnswer(problem="Please enter one date.")
    try:
        day = date.fromisoformat(values[0])
    except ValueError:
        return ReadAnswer(problem="Please enter a date as year-month-day, like 1990-05-31.")
    return ReadAnswer(text=day.isoformat())


def _consent(question: Question, values: list[str]) -> ReadAnswer:
    if values != [YES]:
        return ReadAnswer(problem="Please read and accept this to book.")
    return ReadAnswer(text=YES)


_READERS = {
    QuestionKind.SHORT_TEXT: _text,
    QuestionKind.LONG_TEXT: _text,
    QuestionKind.SINGLE_CHOICE: _single_choice,
    QuestionKind.MULTIPLE_CHOICE: _multiple_choice,
    QuestionKind.YES_NO: _yes_no,
    QuestionKind.NUMBER: _number,
    QuestionKind.DATE: _date,
    QuestionKind.CONSENT: _consent,
}

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _without_control_characters(text: str) -> str:
    return _CONTROL_CHARACTERS.sub("", text)


def shown_answer(kind: QuestionKind, text: str) -> str:
    """A stored answer as a person reads it: several choices joined, yes/no in words."""
    if not text:
        return ""
    if kind == QuestionKind.MULTIPLE_CHOICE:
        try:
            return ", ".join(json.loads(text))
        except (ValueError, TypeError):
            return text
    if kind == QuestionKind.YES_NO:
        return "Yes" if text == YES else "No"
    if kind == QuestionKind.CONSENT:
        return "Accepted" if text == YES else ""
    return text
