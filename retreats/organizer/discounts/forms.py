"""The new-discount-code form: what was typed turned into CodeDetails for the service. The form
reads values (a number, an amount, a date); every rule about them (the code's letters, the
percentage's range, an amount more than nothing, the order of the dates, a code in use, a type
of an unticked retreat, the currency of the chosen retreats) is the service's."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from retreats.discounts.rules import normalized_code
from retreats.listings.models import Retreat
from retreats.organizer.discounts.services import CodeDetails
from retreats.organizer.form_fields import ChoiceBoxes, sensible_year, stripped
from retreats.organizer.money_input import amount_in_minor_units

# Capitals and digits that cannot be mistaken for one another on a flyer (no I, O, 0, 1).
SUGGESTION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SUGGESTION_LENGTH = 10


def suggested_code() -> str:
    """A random code to start from, e.g. "K7QM2XWA9P"."""
    return "".join(secrets.choice(SUGGESTION_ALPHABET) for _ in range(SUGGESTION_LENGTH))


def _upper(value):
    return normalized_code(value) if isinstance(value, str) else value


class DiscountCodeForm(FlaskForm):
    code = StringField(
        "Code",
        default=suggested_code,
        filters=[_upper],
        validators=[DataRequired(message="Please enter the code."), Length(max=40)],
    )
    kind = RadioField(
        "The code takes off",
        default="percent",
        choices=[SelectChoice("percent", "A percentage"), SelectChoice("amount", "An amount")],
    )
    percent = StringField(
        "Percentage off",
        filters=[stripped],
        validators=[Length(max=20)],
        render_kw={"inputmode": "numeric"},
    )
    amount = StringField(
        "Amount off",
        filters=[stripped],
        validators=[Length(max=20)],
        render_kw={"inputmode": "decimal"},
    )
    currency = SelectField("Currency of the amount", validate_choice=False)
    retreats = ChoiceBoxes("Retreats", invalid_message="Please choose among your own retreats.")
    ticket_types = ChoiceBoxes(
        "Only these tickets", invalid_message="Please choose among your own ticket types."
    )
    room_types = ChoiceBoxes(
        "Only these rooms", invalid_message="Please choose among your own room types."
    )
    valid_from = DateField("First day", validators=[Optional(), sensible_year])
    valid_until = DateField("Last day (included)", validators=[Optional(), sensible_year])
    max_uses = IntegerField(
        "At most this many uses in all",
        validators=[Optional(), NumberRange(min=0, max=1_000_000, message="Enter 0 or more.")],
    )
    max_uses_per_email = IntegerField(
        "At most this many uses per email address",
        validators=[Optional(), NumberRange(min=1, max=1_000_000, message="Enter 1 or more.")],
    )
    save = SubmitField("Create code")

    percent_off: int | None = None
    amount_minor: int | None = None

    def __init__(self, *args, retreats: list[Retreat], **kwargs):
        super().__init__(*args, **kwargs)
        self.offered_retreats = retreats
        currencies = sorted({retreat.currency for retreat in retreats})
        self.currency.choices = [SelectChoice(currency) for currency in currencies]
        if self.currency.data is None and currencies:
            self.currency.data = currencies[0]
        self.retreats.choices = [SelectChoice(r.id, r.title) for r in retreats]
        self.ticket_types.choices = [
            SelectChoice(ticket.id, ticket.name) for r in retreats for ticket in r.ticket_types
        ]
        self.room_types.choices = [
            SelectChoice(room.id, room.name) for r in retreats for room in r.room_types
        ]

    @property
    def is_percent(self) -> bool:
        return self.kind.data != "amount"

    def options_by_retreat(self, field) -> list[tuple[Retreat, list]]:
        """The checkboxes of `ticket_types` or `room_types`, grouped under their retreat."""
        types_of = "ticket_types" if field is self.ticket_types else "room_types"
        options = {option.data: option for option in field}
        groups = []
        for retreat in self.offered_retreats:
            mine = [options[item.id] for item in getattr(retreat, types_of) if item.id in options]
            if mine:
                groups.append((retreat, mine))
        return groups

    def validate_percent(self, field) -> None:
        if not self.is_percent:
            return
        text = field.data or ""
        if not (text.isascii() and text.isdigit()):
            raise ValidationError("Enter a whole percentage from 1 to 100.")
        self.percent_off = int(text)  # its range is the service's rule

    def validate_currency(self, field) -> None:
        if not self.is_percent and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Choose the currency of one of your retreats.")

    def validate_amount(self, field) -> None:
        if self.is_percent:
            return
        try:
            self.amount_minor = amount_in_minor_units(field.data, self.currency.data or "EUR")
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def details(self) -> CodeDetails:
        return CodeDetails(
            code=self.code.data,
            percent_off=self.percent_off if self.is_percent else None,
            amount_off_minor=None if self.is_percent else self.amount_minor,
            currency=None if self.is_percent else self.currency.data,
            retreat_ids=tuple(self.retreats.data or ()),
            ticket_type_ids=tuple(self.ticket_types.data or ()),
            room_type_ids=tuple(self.room_types.data or ()),
            valid_from=self.valid_from.data,
            valid_until=self.valid_until.data,
            max_uses=self.max_uses.data,
            max_uses_per_email=self.max_uses_per_email.data,
        )
