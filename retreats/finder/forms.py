"""The finder's form: one radio group per question, read from the query string (no CSRF)."""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import Form, RadioField, SelectChoice
from wtforms.validators import AnyOf, InputRequired

from retreats.finder.questions import ALL_QUESTIONS, Question
from retreats.finder.scoring import Answers


def _radio_group(question: Question) -> RadioField:
    return RadioField(
        question.text,
        choices=[SelectChoice(choice.value, choice.label) for choice in question.choices],
        description=question.hint or "",
        # Checked below with a kinder message than "Not a valid choice".
        validate_choice=False,
        validators=[
            InputRequired(message="Please choose an answer."),
            AnyOf(question.values, message="Please choose one of the answers shown."),
        ],
    )


class FinderForm(Form):
    """The eight questions; nothing is stored, so no CSRF token and no session."""

    @staticmethod
    def has_answers(args: Mapping[str, str]) -> bool:
        """Whether the query string carries any answer at all (else the page just asks)."""
        return any(question.name in args for question in ALL_QUESTIONS)

    def answers(self) -> Answers:
        """The validated answers; call after validate()."""
        return Answers(**{question.name: self[question.name].data for question in ALL_QUESTIONS})


for _question in ALL_QUESTIONS:
    setattr(FinderForm, _question.name, _radio_group(_question))
