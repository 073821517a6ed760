"""Forms of the listing editor's questions: a question, moving one up or down, and adding a
ready one from the library.

QuestionForm turns what was typed into QuestionDetails for the services; the rules of a
question (options of a choice, the text of a consent) are question_editor.question_problems,
asked here so each message stands beside its field.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length

from retreats.listings.questions import (
    CONSENT_TEXT_MAX,
    HELP_MAX,
    LABEL_MAX,
    AskedOf,
    Privacy,
    Question,
    QuestionKind,
)
from retreats.organizer.form_fields import ChoiceBoxes, stripped
from retreats.organizer.listings.question_editor import (
    DOWN,
    UP,
    QuestionDetails,
    question_problems,
)
from retreats.organizer.listings.question_library import BY_KEY

KIND_NAMES = {
    QuestionKind.SHORT_TEXT: "Short text",
    QuestionKind.LONG_TEXT: "Long text",
    QuestionKind.SINGLE_CHOICE: "One choice among several",
    QuestionKind.MULTIPLE_CHOICE: "Several choices",
    QuestionKind.YES_NO: "Yes or no",
    QuestionKind.NUMBER: "Number",
    QuestionKind.DATE: "Date",
    QuestionKind.CONSENT: "Consent (a text to read and accept)",
}
ASKED_OF_NAMES = {
    AskedOf.BOOKING: "Once per booking (the person booking answers)",
    AskedOf.PERSON: "Of each person (both people of a couple answer)",
}
PRIVACY_NAMES = {
    Privacy.ORDINARY: "Ordinary: shown in the attendee list and its exports",
    Privacy.PRIVATE: "Private: encrypted, shown to you only when you ask",
}
# The longest the answers box may be; each answer's own limit is question_problems'.
OPTIONS_TEXT_MAX = 5_000


def options_from_text(text: str | None) -> tuple[str, ...]:
    """The answers offered, one per line; blank lines are not answers."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


class QuestionForm(FlaskForm):
    label = StringField(
        "Question",
        filters=[stripped],
        validators=[
            DataRequired(message="Please write the question."),
            Length(max=LABEL_MAX),
        ],
    )
    help_text = TextAreaField("Help", filters=[stripped], validators=[Length(max=HELP_MAX)])
    kind = SelectField(
        "Kind of answer",
        default=QuestionKind.SHORT_TEXT.value,
        choices=[SelectChoice(kind.value, name) for kind, name in KIND_NAMES.items()],
    )
    options = TextAreaField(
        "Answers offered, one per line", validators=[Length(max=OPTIONS_TEXT_MAX)]
    )
    consent_text = TextAreaField(
        "Text to accept", filters=[stripped], validators=[Length(max=CONSENT_TEXT_MAX)]
    )
    required = BooleanField("People must answer it")
    asked_of = RadioField(
        "Asked",
        default=AskedOf.BOOKING.value,
        choices=[SelectChoice(value.value, name) for value, name in ASKED_OF_NAMES.items()],
    )
    privacy = RadioField(
        "Privacy",
        default=Privacy.ORDINARY.value,
        choices=[SelectChoice(value.value, name) for value, name in PRIVACY_NAMES.items()],
    )
    ticket_types = ChoiceBoxes(
        "Only with these tickets",
        invalid_message="Please choose among this retreat's own ticket types.",
    )
    save = SubmitField("Save question")

    def __init__(self, *args, retreat, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket_types.choices = [
            SelectChoice(ticket.id, ticket.name) for ticket in retreat.ticket_types
        ]

    def validate(self, extra_validators=None) -> bool:
        """The fields one by one, then the rules of the kind chosen (a choice's answers …)."""
        valid = super().validate(extra_validators)
        if any(self[name].errors for name in ("kind", "asked_of", "privacy")):
            return False  # the rules need each of these
        for problem in question_problems(self.details()):
            target = self[problem.field]
            if not target.errors:
                target.errors = [*target.errors, problem.message]
            valid = False
        return valid

    def fill_from(self, question: Question) -> None:
        for name in ("label", "help_text", "required", "consent_text"):
            self[name].data = getattr(question, name)
        self.kind.data = question.kind.value
        self.options.data = "\n".join(question.options or [])
        self.asked_of.data = question.asked_of.value
        self.privacy.data = question.privacy.value
        self.ticket_types.data = [ticket.id for ticket in question.ticket_types]

    def details(self) -> QuestionDetails:
        return QuestionDetails(
            kind=QuestionKind(self.kind.data),
            label=self.label.data or "",
            help_text=self.help_text.data or "",
            required=bool(self.required.data),
            asked_of=AskedOf(self.asked_of.data),
            privacy=Privacy(self.privacy.data),
            options=options_from_text(self.options.data),
            consent_text=self.consent_text.data or "",
            ticket_type_ids=tuple(self.ticket_types.data or ()),
        )


class MoveForm(FlaskForm):
    """Move a question one place up or down the list."""

    direction = HiddenField(validators=[AnyOf([UP, DOWN])])


class LibraryForm(FlaskForm):
    """Add one of the library's ready questions."""

    key = HiddenField(validators=[AnyOf(list(BY_KEY))])
