"""Form pieces the organizer's pages share: a button's form, checkboxes of ids, a filter that
strips spaces and a check that a date's year is sensible."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


def stripped(value):
    """A filter: text without the spaces around it (anything else as it is)."""
    return value.strip() if isinstance(value, str) else value


def sensible_year(form, field) -> None:
    """A validator: a date typed with a year between 2000 and 2200 (not 0203 or 20255)."""
    if field.data is not None and not 2000 <= field.data.year <= 2200:
        raise ValidationError("Please enter a date between the years 2000 and 2200.")


class ActionForm(FlaskForm):
    """A button that changes something (publish, duplicate, delete, disable): only its CSRF
    token."""


class ChoiceBoxes(SelectMultipleField):
    """Checkboxes of ids, each kept once; an id not offered (or not a number) gets
    `invalid_message`."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str, *, invalid_message: str, **kwargs):
        super().__init__(label, coerce=int, validate_choice=False, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist) -> None:
        try:
            self.data = list(dict.fromkeys(int(value) for value in valuelist))
        except ValueError as error:
            self.data = []
            raise ValueError(self.invalid_message) from error

    def pre_validate(self, form) -> None:
        offered = {choice.value for choice in self.choices or []}
        if not set(self.data or []) <= offered:
            raise ValidationError(self.invalid_message)
