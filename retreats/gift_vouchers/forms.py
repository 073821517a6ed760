"""The gift voucher form: how much, in which currency, from whom, for whom, the message, the
day it is delivered, and whether its email is discreet."""

from __future__ import annotations

import uuid
from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from retreats.gift_vouchers.purchase import (
    MESSAGE_MAX_LENGTH,
    VoucherOrder,
    amount_in_minor_units,
    delivery_days,
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _name(label: str, missing: str) -> StringField:
    return StringField(
        label, filters=[_strip], validators=[InputRequired(message=missing), Length(max=200)]
    )


def _email(label: str, missing: str) -> EmailField:
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            InputRequired(message=missing),
            Email(message="Please enter a valid email address."),
            Length(max=254),
        ],
    )


class GiftVoucherForm(FlaskForm):
    """One voucher; the amount charged is read here and checked again by the service."""

    amount = StringField(
        "Amount",
        filters=[_strip],
        validators=[InputRequired(message="Please enter the amount."), Length(max=20)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    currency = SelectField(
        "Currency",
        validators=[InputRequired(message="Please choose a currency.")],
        validate_choice=True,
    )
    buyer_name = _name("Your name", "Please enter your name.")
    buyer_email = _email("Your email", "We need your email to send your receipt.")
    recipient_name = _name("Their name", "Please enter the name of the person it is for.")
    recipient_email = _email("Their email", "We need their email to send them the voucher.")
    message = TextAreaField(
        "Your message",
        filters=[_strip],
        validators=[
            Optional(),
            Length(
                max=MESSAGE_MAX_LENGTH,
                message=f"Please keep the message within {MESSAGE_MAX_LENGTH} characters.",
            ),
        ],
    )
    deliver_on = DateField(
        "Day we email it to them",
        validators=[InputRequired(message="Please choose the day we email it.")],
    )
    discreet = BooleanField(
        "Keep it discreet: the email's subject reads “A message for you” and its sender is "
        "a neutral name, so nobody glancing at their inbox sees that it is a retreat voucher (your "
        "receipt is discreet too)."
    )
    # Made when the form is shown; a second submit of the same form finds the first voucher.
    submission_key = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$")])

    def __init__(self, *args, currencies: list[str], today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = [(code, code) for code in currencies]
        self.today = today

    def prepare(self) -> None:
        """What a fresh form starts with: its submission key and the obvious choices."""
        self.submission_key.data = uuid.uuid4().hex
        self.deliver_on.data = self.today
        if len(self.currency.choices) == 1:
            self.currency.data = self.currency.choices[0][0]

    @property
    def has_one_currency(self) -> bool:
        return len(self.currency.choices) == 1

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.currency.errors:
            # Not one offered (a tampered form): said plainly, whatever WTForms says.
            self.currency.errors = ["Please choose one of the currencies offered."]
        elif not self.amount.errors:
            try:
                self.amount_minor = amount_in_minor_units(self.amount.data, self.currency.data)
            except ValueError as error:
                self.amount.errors = [str(error)]
        first, last = delivery_days(self.today)
        day = self.deliver_on.data
        if day is None and self.deliver_on.raw_data and self.deliver_on.raw_data[0]:
            self.deliver_on.errors = ["Please enter the day as a date, like 2027-02-14."]
        elif day is not None and not first <= day <= last:
            self.deliver_on.errors = ["Please choose a day from today up to a year ahead."]
        return valid and not any(field.errors for field in self)

    def order(self, *, organizer_id: int | None) -> VoucherOrder:
        """The valid form as an order for the service."""
        return VoucherOrder(
            organizer_id=organizer_id,
            amount_minor=self.amount_minor,
            currency=self.currency.data,
            buyer_name=self.buyer_name.data,
            buyer_email=self.buyer_email.data,
            recipient_name=self.recipient_name.data,
            recipient_email=self.recipient_email.data,
            message=self.message.data or "",
            deliver_on=self.deliver_on.data,
            discreet=bool(self.discreet.data),
            submission_key=self.submission_key.data or None,
        )
