"""Forms of the attendee pages: the list's filter, check-in, cancel, resend, the message, and
the rooming list's named rooms."""

from __future__ import annotations

import unicodedata

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from retreats.organizer.attendees.actions import RefundChoice
from retreats.organizer.attendees.balances import NOTE_MAX
from retreats.organizer.attendees.queries import DEFAULT_STATUS, STATUS_CHOICES, AttendeeFilter
from retreats.organizer.attendees.rooming import normalised_room_label, room_label_problem
from retreats.organizer.form_fields import stripped
from retreats.organizer.money_input import amount_in_minor_units

SEARCH_MAX = 200
# Far past any real list, and small enough that its OFFSET never overflows a database integer.
PAGE_MAX = 100_000
SUBJECT_MAX = 200
BODY_MAX = 10_000

STATUS_LABELS = {
    "confirmed": "Confirmed",
    "overdue": "Balance overdue",
    "pending": "Awaiting payment",
    "cancelled": "Cancelled",
    "expired": "Expired",
    "all": "All bookings",
}


def _plain_text(value):
    """Trim, with one kind of line break whichever browser sent it."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _one_line(value):
    """Collapse all whitespace, line breaks included: a subject is one header line."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _status_or_default(value):
    return value or DEFAULT_STATUS


class AttendeeFilterForm(Form):
    """The list's filter, read from the query string (a GET: no CSRF token)."""

    status = SelectField(
        "Bookings",
        choices=[SelectChoice(value, STATUS_LABELS[value]) for value in STATUS_CHOICES],
        default=DEFAULT_STATUS,
        filters=[_status_or_default],
    )
    q = StringField("Search name or email", filters=[stripped], validators=[Length(max=SEARCH_MAX)])
    private = BooleanField("Show private answers", false_values=(False, "", "0", "false"))
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=PAGE_MAX)])

    def chosen(self) -> AttendeeFilter:
        return AttendeeFilter(status=self.status.data, search=self.q.data or "")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status.data]


class RoomingListForm(Form):
    """The rooming list's one choice, read from the query string: show the private answers?"""

    private = BooleanField("Show private answers", false_values=(False, "", "0", "false"))


def _room_label(value):
    return normalised_room_label(value) if isinstance(value, str) else value


def _usable_room_label(form, field) -> None:
    problem = room_label_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class NamedRoomForm(FlaskForm):
    """One booking's named room on the rooming list; empty takes it out of its room."""

    room_label = StringField("Named room", filters=[_room_label], validators=[_usable_room_label])
    # "1" when the list showed private answers, to show them again after the change.
    private = HiddenField()

    @property
    def shows_private(self) -> bool:
        return self.private.data == "1"


class CheckInForm(FlaskForm):
    """One person's check-in button; status, q and page lead back to the same page of the list."""

    checked_in = HiddenField(validators=[AnyOf(["1", "0"])])
    status = HiddenField(filters=[_status_or_default], validators=[AnyOf(STATUS_CHOICES)])
    q = HiddenField(filters=[stripped], validators=[Length(max=SEARCH_MAX)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=PAGE_MAX)])


class CancelBookingForm(FlaskForm):
    refund = RadioField(
        "Refund",
        choices=[
            SelectChoice(RefundChoice.FULL.value, "Full refund"),
            SelectChoice(RefundChoice.POLICY.value, "As the policy gives"),
        ],
        validators=[InputRequired(message="Please choose how much to refund.")],
    )
    confirm = BooleanField(
        "Yes, cancel this booking and email the person who booked",
        validators=[DataRequired(message="Please tick the box to confirm the cancellation.")],
    )

    def label_amounts(self, *, full: str, policy: str) -> None:
        """Show what each choice gives back, in money."""
        self.refund.choices = [
            SelectChoice(RefundChoice.FULL.value, f"Full refund: {full}"),
            SelectChoice(
                RefundChoice.POLICY.value, f"As the cancellation policy gives today: {policy}"
            ),
        ]


class ResendConfirmationForm(FlaskForm):
    """Nothing to fill in: the CSRF token is the form."""


class MessageAttendeesForm(FlaskForm):
    subject = StringField(
        "Subject",
        filters=[_one_line],
        validators=[DataRequired("Please write a subject."), Length(max=SUBJECT_MAX)],
    )
    body = TextAreaField(
        "Message",
        filters=[_plain_text],
        validators=[DataRequired("Please write your message."), Length(max=BODY_MAX)],
    )
    preview = SubmitField("Preview")
    send = SubmitField("Send")


def _without_control_characters(value):
    """Line breaks and tabs stay; NUL and the like go (PostgreSQL refuses NUL in text)."""
    if not isinstance(value, str):
        return value
    return "".join(c for c in value if c in "\n\t" or unicodedata.category(c) != "Cc")


def _version_field():
    """The booking's version the page was shown with (see attendees/balances.py)."""
    return IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class BalanceDueForm(FlaskForm):
    """A later due date for a booking's balance, a date on the retreat's clock."""

    due_on = DateField(
        "New due date", validators=[InputRequired(message="Please choose the new due date.")]
    )
    version = _version_field()


class OfflinePaymentForm(FlaskForm):
    """Money received outside Stripe, in the booking's currency, and how it came."""

    amount = StringField(
        "Amount received",
        filters=[stripped],
        validators=[InputRequired(message="Enter the amount received."), Length(max=20)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    note = TextAreaField(
        "How it came",
        filters=[_plain_text, _without_control_characters],
        validators=[
            DataRequired(message="Say how the money came: a bank transfer, cash …"),
            Length(max=NOTE_MAX, message=f"At most {NOTE_MAX} characters, please."),
        ],
    )
    version = _version_field()

    amount_minor: int | None = None

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def validate_amount(self, field) -> None:
        try:
            self.amount_minor = amount_in_minor_units(field.data, self.currency)
        except ValueError as error:
            raise ValidationError(str(error)) from error
        if self.amount_minor <= 0:
            raise ValidationError("Enter an amount more than nothing.")


class RefundReturnedForm(FlaskForm):
    """A refund of money paid offline, returned by hand: how it went back."""

    note = StringField(
        "How you returned it",
        filters=[_one_line, _without_control_characters],
        validators=[
            DataRequired(message="Say how you returned it: a bank transfer and its date, cash …"),
            Length(max=NOTE_MAX, message=f"At most {NOTE_MAX} characters, please."),
        ],
        render_kw={"autocomplete": "off"},
    )
    version = _version_field()
