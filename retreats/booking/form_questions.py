"""The retreat's own questions on the booking form: which field is asked with which ticket, what
each field sent, and the message beside each.

A question asked of the booking has one field; one asked of each person has a field per person
(the partner's only with the tickets for two). The form shows every question asked with some
ticket on sale; one asked with only some of them names those tickets (`ticket_ids`), so the page
shows it only for them. The answers are read for the ticket chosen alone (answers.read_answers),
so a field of a question the ticket is not asked, or of another retreat's question, is never read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import inspect

from retreats.booking.answers import GivenAnswer, answer_field, read_answers
from retreats.listings.models import Retreat, TicketType
from retreats.listings.questions import Question, asked_questions

PARTNER = "your partner"  # whose answer the second person's field is, beside its label


@dataclass(frozen=True)
class QuestionField:
    """One field of one question on the form, as its template partial shows it."""

    question: Question
    name: str
    values: list[str]
    error: str | None
    for_whom: str | None
    # The tickets (of those on sale) this field is read for; None: every one of them.
    ticket_ids: frozenset[int] | None

    def hidden_with(self, ticket: TicketType | None) -> bool:
        """Is the field left out for the ticket chosen (none chosen yet: every field shows)?"""
        return (
            ticket is not None and self.ticket_ids is not None and ticket.id not in self.ticket_ids
        )


class BookingQuestions:
    """The questions of a booking form, with what it sent (`sent`: field → every value sent)."""

    def __init__(
        self,
        questions: Sequence[Question],
        *,
        tickets: Sequence[TicketType],
        sent: Mapping[str, list[str]] | None = None,
    ):
        self.tickets = list(tickets)
        self._asked_with = {
            question.id: frozenset(t.id for t in self.tickets if question.asked_with(t))
            for question in questions
        }
        self.questions = [question for question in questions if self._asked_with[question.id]]
        self.sent = sent or {}
        self.given: list[GivenAnswer] = []
        self.problems: dict[str, str] = {}

    def read_again_if_rolled_back(self, retreat: Retreat) -> None:
        """A hold refused under the lock rolled the session back, expiring the questions the
        page shows: read them again in one statement (the same one), not one each as the page
        reads them. A refusal without the lock leaves them loaded."""
        if self.questions and inspect(self.questions[0]).expired:
            asked_questions(retreat)

    def read(self, ticket: TicketType) -> bool:
        """Read the answers of a booking of `ticket` into `given`; False when a field has a
        message instead (in `problems`)."""
        asked = [
            question for question in self.questions if ticket.id in self._asked_with[question.id]
        ]
        self.given, self.problems = read_answers(asked, self.sent, people=ticket.seats_per_ticket)
        return not self.problems

    def of_booking(self) -> list[QuestionField]:
        """The fields of the questions asked once per booking."""
        return [self._field(q, None) for q in self.questions if not q.per_person]

    def of_person(self, position: int) -> list[QuestionField]:
        """The fields of the `position`-th person (0: the person booking)."""
        fields = [self._field(q, position) for q in self.questions if q.per_person]
        return [field for field in fields if field.ticket_ids is None or field.ticket_ids]

    @property
    def limits_some(self) -> bool:
        """Does some field show for some tickets only (so choosing one changes the form)?"""
        fields = [*self.of_booking(), *self.of_person(0), *self.of_person(1)]
        return any(field.ticket_ids is not None for field in fields)

    @staticmethod
    def all_hidden_with(fields: Sequence[QuestionField], ticket: TicketType | None) -> bool:
        """Are all these fields left out for the ticket chosen (their fieldset too, then)?"""
        return all(field.hidden_with(ticket) for field in fields)

    def only_for(self, question: Question) -> list[TicketType]:
        """The tickets on sale a question is asked with, when not every one of them."""
        asked = self._asked_with[question.id]
        if len(asked) == len(self.tickets):
            return []
        return [ticket for ticket in self.tickets if ticket.id in asked]

    def _field(self, question: Question, person: int | None) -> QuestionField:
        name = answer_field(question, person)
        tickets = self._asked_with[question.id]
        if person:  # the partner's field: read only for the tickets with that many people
            seats = {t.id: t.seats_per_ticket for t in self.tickets}
            tickets = frozenset(t for t in tickets if seats[t] > person)
        return QuestionField(
            question=question,
            name=name,
            values=list(self.sent.get(name, [])),
            error=self.problems.get(name),
            for_whom=PARTNER if person else None,
            ticket_ids=None if len(tickets) == len(self.tickets) else tickets,
        )
