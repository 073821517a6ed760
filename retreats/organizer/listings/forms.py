"""Forms of the listing editor: the retreat itself, its ticket types, and the one-button actions.

Each form turns what was typed into plain values (ListingDetails, TicketDetails) for the
services; rules that need the database (a slug in use, seats already taken) live there.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from retreats.base.stored_files import UploadRejected, prepare_cover_image, prepare_guide_pdf
from retreats.formatting import major_units
from retreats.listings.models import Audience, DepositRule, Focus, RetreatKind
from retreats.organizer.form_fields import sensible_year, stripped
from retreats.organizer.listings.services import ListingDetails
from retreats.organizer.listings.ticket_types import TicketDetails
from retreats.organizer.money_input import price_as_text, price_in_minor_units

CURRENCIES = ["EUR", "USD", "GBP", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "JPY"]
ZONE_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
                "Europe/", "Indian/", "Pacific/")  # fmt: skip
TIME_ZONES = [
    "UTC",
    *sorted(zone for zone in zoneinfo.available_timezones() if zone.startswith(ZONE_REGIONS)),
]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
LONG_MARKDOWN = 50_000
AUDIENCE_LABELS = {
    Audience.COUPLES: "Couples",
    Audience.INDIVIDUALS: "Individuals",
    Audience.EVERYONE: "Couples and individuals",
}


def _choices(enum_class, labels=None) -> list[SelectChoice]:
    labels = labels or {}
    return [
        SelectChoice(member.value, labels.get(member, member.value.capitalize()))
        for member in enum_class
    ]


def _local_time(label: str, *validators) -> DateTimeLocalField:
    return DateTimeLocalField(label, format=DATETIME_FORMATS, validators=list(validators))


def _chosen_file(field) -> FileStorage | None:
    data = field.data
    return data if isinstance(data, FileStorage) and data.filename else None


class RetreatForm(FlaskForm):
    title = StringField("Title", filters=[stripped], validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Web address",
        filters=[stripped, lambda value: value.lower() if isinstance(value, str) else value],
        validators=[
            Optional(),
            Length(max=100),
            Regexp(SLUG_PATTERN, message="Use lowercase letters, digits and single hyphens only."),
        ],
    )
    kind = SelectField("Kind", choices=_choices(RetreatKind))
    focus = SelectField("Focus", choices=_choices(Focus))
    audience = SelectField("For", choices=_choices(Audience, AUDIENCE_LABELS))
    summary = TextAreaField(
        "Summary", filters=[stripped], validators=[DataRequired(), Length(max=500)]
    )
    description_md = TextAreaField(
        "Description", filters=[stripped], validators=[Length(max=LONG_MARKDOWN)]
    )
    where = RadioField(
        "Where",
        choices=[SelectChoice("in_person", "In person"), SelectChoice("online", "Online")],
        default="in_person",
    )
    venue = StringField("Venue", filters=[stripped], validators=[Length(max=200)])
    city = StringField("City", filters=[stripped], validators=[Length(max=120)])
    country = StringField("Country", filters=[stripped], validators=[Length(max=120)])
    online_join_url = URLField(
        "Join link",
        filters=[stripped],
        validators=[
            Optional(),
            Length(max=500),
            Regexp(r"^https?://\S+$", message="Enter the full link, starting with https://"),
        ],
    )
    timezone = SelectField(
        "Time zone", choices=[SelectChoice(zone) for zone in TIME_ZONES], default="Europe/London"
    )
    starts_at = _local_time("Starts", InputRequired(), sensible_year)
    ends_at = _local_time("Ends", InputRequired(), sensible_year)
    capacity = IntegerField("Places", validators=[InputRequired(), NumberRange(min=1, max=100_000)])
    currency = SelectField(
        "Currency", choices=[SelectChoice(code) for code in CURRENCIES], default="EUR"
    )
    refund_full_days_before = IntegerField(
        "Full refund until (days before)", validators=[Optional(), NumberRange(min=0, max=3650)]
    )
    refund_partial_days_before = IntegerField(
        "Partial refund until (days before)",
        validators=[Optional(), NumberRange(min=0, max=3650)],
    )
    refund_partial_percent = IntegerField(
        "Partial refund (%)", default=50, validators=[InputRequired(), NumberRange(0, 100)]
    )
    deposit_rule = SelectField(
        "Deposit",
        choices=[
            SelectChoice(DepositRule.NONE.value, "No deposit: paid in full when booking"),
            SelectChoice(DepositRule.PERCENT.value, "A percentage of the total"),
            SelectChoice(DepositRule.PER_PERSON.value, "An amount per person"),
        ],
        default=DepositRule.NONE.value,
    )
    deposit_amount = StringField(
        "Deposit: percentage or amount per person",
        filters=[stripped],
        validators=[Length(max=20)],
        render_kw={"inputmode": "decimal"},
    )
    # No default: an empty (or absent) field keeps the retreat's value, 45 for a new one.
    balance_due_days = IntegerField(
        "Balance due (days before the start)",
        validators=[Optional(), NumberRange(min=1, max=365, message="Between 1 and 365.")],
        render_kw={"placeholder": "45"},
    )
    # Empty (or absent): the default, 7.
    balance_grace_days = IntegerField(
        "Cancel an unpaid balance after (days past its due date)",
        validators=[Optional(), NumberRange(min=0, max=60, message="Between 0 and 60 days.")],
        render_kw={"placeholder": "7"},
    )
    overdue_keeps_deposit = RadioField(
        "When a booking is cancelled for an unpaid balance",
        choices=[
            SelectChoice("keep", "Keep the deposit"),
            SelectChoice("refund", "Refund the deposit"),
        ],
        default="keep",
    )
    cancellation_policy = TextAreaField(
        "Cancellation policy in your words", filters=[stripped], validators=[Length(max=5000)]
    )
    preparation_guide_md = TextAreaField(
        "Preparation guide", filters=[stripped], validators=[Length(max=LONG_MARKDOWN)]
    )
    # No default: an empty (or absent) field keeps the retreat's value, 7 for a new one.
    guide_days_before = IntegerField(
        "Send the guide (days before the start)",
        validators=[Optional(), NumberRange(min=0, max=60, message="Between 0 and 60 days.")],
        render_kw={"placeholder": "7"},
    )
    discreet_emails = BooleanField("Discreet emails")
    allows_no_accommodation = BooleanField(
        "Guests may book without a room (commuting or staying elsewhere)"
    )
    cover_image = FileField("Cover image")
    remove_cover_image = BooleanField("Remove the cover image")
    guide_pdf = FileField("Preparation guide (PDF)")
    remove_guide_pdf = BooleanField("Remove the guide PDF")
    save = SubmitField("Save")
    preview = SubmitField("Preview")

    prepared_cover = None
    prepared_guide = None

    def __init__(self, *args, current_timezone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if current_timezone and current_timezone not in TIME_ZONES:
            self.timezone.choices = [SelectChoice(current_timezone), *self.timezone.choices]

    @property
    def is_preview(self) -> bool:
        return bool(self.preview.data)

    def validate_city(self, field) -> None:
        if self.where.data == "in_person" and not field.data:
            raise ValidationError("Please enter the city, or choose Online.")

    def validate_country(self, field) -> None:
        if self.where.data == "in_person" and not field.data:
            raise ValidationError("Please enter the country, or choose Online.")

    def validate_deposit_amount(self, field) -> None:
        self.deposit_value = 0
        rule = self.deposit_rule.data
        if rule == DepositRule.PERCENT.value:
            if not (field.data or "").isdigit() or not 1 <= int(field.data) <= 99:
                raise ValidationError("Enter a whole percentage between 1 and 99.")
            self.deposit_value = int(field.data)
        elif rule == DepositRule.PER_PERSON.value:
            try:
                self.deposit_value = price_in_minor_units(field.data, self.currency.data or "EUR")
            except ValueError as error:
                raise ValidationError(str(error)) from error
            if self.deposit_value <= 0:
                raise ValidationError("Enter the deposit per person, more than nothing.")

    def validate_ends_at(self, field) -> None:
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError("The end must be after the start.")

    def validate_cover_image(self, field) -> None:
        upload = _chosen_file(field)
        if upload is not None:
            try:
                self.prepared_cover = prepare_cover_image(upload.stream)
            except UploadRejected as error:
                raise ValidationError(error.message) from error

    def validate_guide_pdf(self, field) -> None:
        upload = _chosen_file(field)
        if upload is not None:
            try:
                self.prepared_guide = prepare_guide_pdf(upload.stream)
            except UploadRejected as error:
                raise ValidationError(error.message) from error

    def fill_from(self, retreat) -> None:
        """Show a saved retreat: its fields, with times on the retreat's own clock."""
        for name in ListingDetails.__dataclass_fields__:
            if name in self and name not in ("starts_at", "ends_at", "is_online"):
                self[name].data = getattr(retreat, name)
        for name in ("kind", "focus", "audience"):
            self[name].data = getattr(retreat, name).value
        self.where.data = "online" if retreat.is_online else "in_person"
        self.deposit_rule.data = retreat.deposit_rule.value
        if retreat.deposit_rule == DepositRule.PERCENT:
            self.deposit_amount.data = str(retreat.deposit_value)
        elif retreat.deposit_rule == DepositRule.PER_PERSON:
            self.deposit_amount.data = major_units(retreat.deposit_value, retreat.currency)
        self.overdue_keeps_deposit.data = "keep" if retreat.overdue_keeps_deposit else "refund"
        self.starts_at.data = retreat.local_starts_at.replace(tzinfo=None)
        self.ends_at.data = retreat.local_ends_at.replace(tzinfo=None)

    def details(self) -> ListingDetails:
        online = self.where.data == "online"
        return ListingDetails(
            title=self.title.data,
            slug=self.slug.data or None,
            kind=RetreatKind(self.kind.data),
            focus=Focus(self.focus.data),
            audience=Audience(self.audience.data),
            summary=self.summary.data,
            description_md=self.description_md.data or "",
            is_online=online,
            venue=None if online else self.venue.data or None,
            city=None if online else self.city.data or None,
            country=None if online else self.country.data or None,
            online_join_url=(self.online_join_url.data or None) if online else None,
            timezone=self.timezone.data,
            starts_at=self.starts_at.data,
            ends_at=self.ends_at.data,
            capacity=self.capacity.data,
            currency=self.currency.data,
            refund_full_days_before=self.refund_full_days_before.data,
            refund_partial_days_before=self.refund_partial_days_before.data,
            refund_partial_percent=self.refund_partial_percent.data,
            cancellation_policy=self.cancellation_policy.data or "",
            preparation_guide_md=self.preparation_guide_md.data or "",
            guide_days_before=self.guide_days_before.data,
            discreet_emails=bool(self.discreet_emails.data),
            allows_no_accommodation=bool(self.allows_no_accommodation.data),
            deposit_rule=DepositRule(self.deposit_rule.data),
            deposit_value=getattr(self, "deposit_value", 0),
            balance_due_days=self.balance_due_days.data,
            balance_grace_days=self.balance_grace_days.data,
            overdue_keeps_deposit=self.overdue_keeps_deposit.data != "refund",
        )


class TicketTypeForm(FlaskForm):
    name = StringField("Name", filters=[stripped], validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", filters=[stripped], validators=[Length(max=300)])
    price = StringField("Price", filters=[stripped], validators=[InputRequired()])
    seats_per_ticket = RadioField(
        "For",
        coerce=int,
        default=1,
        choices=[SelectChoice(1, "One person"), SelectChoice(2, "Two people (a couple)")],
    )
    sale_starts_at = _local_time("Sale starts", Optional(), sensible_year)
    sale_ends_at = _local_time("Sale ends (for an early-bird price)", Optional(), sensible_year)
    quantity_limit = IntegerField(
        "At most this many tickets",
        validators=[Optional(), NumberRange(min=1, max=100_000)],
    )
    save = SubmitField("Save ticket type")

    price_minor: int | None = None

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def validate_price(self, field) -> None:
        try:
            self.price_minor = price_in_minor_units(field.data, self.currency)
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def validate_sale_ends_at(self, field) -> None:
        starts = self.sale_starts_at.data
        if field.data and starts and field.data <= starts:
            raise ValidationError("The sale must end after it starts.")

    def fill_from(self, ticket, zone) -> None:
        self.name.data = ticket.name
        self.description.data = ticket.description
        self.price.data = price_as_text(ticket.price_minor, self.currency)
        self.seats_per_ticket.data = ticket.seats_per_ticket
        for name in ("sale_starts_at", "sale_ends_at"):
            moment: datetime | None = getattr(ticket, name)
            self[name].data = moment.astimezone(zone).replace(tzinfo=None) if moment else None
        self.quantity_limit.data = ticket.quantity_limit

    def details(self) -> TicketDetails:
        return TicketDetails(
            name=self.name.data,
            description=self.description.data or "",
            price_minor=self.price_minor,
            seats_per_ticket=self.seats_per_ticket.data,
            sale_starts_at=self.sale_starts_at.data,
            sale_ends_at=self.sale_ends_at.data,
            quantity_limit=self.quantity_limit.data,
        )


class CancelRetreatForm(FlaskForm):
    confirm = BooleanField(
        "I understand: every booking is cancelled and refunded in full, and everyone is emailed.",
        validators=[DataRequired(message="Please tick the box to confirm the cancellation.")],
    )
    submit = SubmitField("Cancel this retreat and refund everyone")
