"""Forms of the listing editor for a stay: its room types, its add-ons, and hiding either.

Each form turns what was typed into plain values (RoomTypeDetails, AddOnDetails) for the
services; rules that need the database (rooms or units already taken) live there.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
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

from retreats.listings.models import PricePer
from retreats.organizer.form_fields import ChoiceBoxes, stripped
from retreats.organizer.listings.add_ons import AddOnDetails
from retreats.organizer.listings.room_types import (
    MAX_ROOMS,
    MAX_SLEEPS,
    RoomTypeDetails,
    room_type_problem,
)
from retreats.organizer.money_input import price_as_text, price_in_minor_units


class _PricedForm(FlaskForm):
    """A name, a description and a price in the retreat's currency."""

    name = StringField("Name", filters=[stripped], validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", filters=[stripped], validators=[Length(max=300)])
    price = StringField("Price", filters=[stripped], validators=[InputRequired()])

    price_minor: int | None = None

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def validate_price(self, field) -> None:
        try:
            self.price_minor = price_in_minor_units(field.data, self.currency)
        except ValueError as error:
            raise ValidationError(str(error)) from error


class RoomTypeForm(_PricedForm):
    rooms = IntegerField(
        "How many rooms",
        validators=[
            InputRequired(),
            NumberRange(min=1, max=MAX_ROOMS, message=f"Between 1 and {MAX_ROOMS:,} rooms."),
        ],
    )
    sleeps = IntegerField(
        "Sleeps (people in one room)",
        default=2,
        validators=[
            InputRequired(),
            NumberRange(
                min=1, max=MAX_SLEEPS, message=f"A room sleeps between 1 and {MAX_SLEEPS} people."
            ),
        ],
    )
    shared = RadioField(
        "Rooms are",
        default="private",
        choices=[
            SelectChoice("private", "Private: each booking takes a whole room"),
            SelectChoice("shared", "Shared: a single guest takes one bed, beside other guests"),
        ],
    )
    suits_couple = BooleanField("Suits a couple (two people on a couple ticket)", default=True)
    price_per = RadioField(
        "The price is",
        default=PricePer.ROOM.value,
        choices=[
            SelectChoice(PricePer.PERSON.value, "Per person"),
            SelectChoice(PricePer.ROOM.value, "Per room"),
        ],
    )
    save = SubmitField("Save room type")

    def validate(self, extra_validators=None) -> bool:
        """The fields one by one, then the rules between them (a shared room sleeps two …)."""
        valid = super().validate(extra_validators)
        if any(self[name].errors for name in ("rooms", "sleeps", "shared", "price_per")):
            return False  # the rules between them need all of these
        problem = room_type_problem(self.details())
        if problem is not None:
            self[problem.field].errors = [*self[problem.field].errors, problem.message]
            return False
        return valid

    def fill_from(self, room_type) -> None:
        for name in ("name", "description", "rooms", "sleeps", "suits_couple"):
            self[name].data = getattr(room_type, name)
        self.shared.data = "shared" if room_type.shared else "private"
        self.price.data = price_as_text(room_type.price_minor, self.currency)
        self.price_per.data = room_type.price_per.value

    def details(self) -> RoomTypeDetails:
        return RoomTypeDetails(
            name=self.name.data,
            description=self.description.data or "",
            rooms=self.rooms.data,
            sleeps=self.sleeps.data,
            shared=self.shared.data == "shared",
            suits_couple=bool(self.suits_couple.data),
            price_minor=self.price_minor,
            price_per=PricePer(self.price_per.data),
        )


class AddOnForm(_PricedForm):
    price_per = RadioField(
        "The price is",
        default=PricePer.BOOKING.value,
        choices=[
            SelectChoice(PricePer.BOOKING.value, "Per booking"),
            SelectChoice(PricePer.PERSON.value, "Per person (a couple pays it twice)"),
        ],
    )
    quantity_limit = IntegerField(
        "At most this many",
        validators=[Optional(), NumberRange(min=1, max=100_000)],
    )
    ticket_types = ChoiceBoxes(
        "Only with these tickets",
        invalid_message="Please choose among this retreat's own ticket types.",
    )
    room_types = ChoiceBoxes(
        "Only with these rooms",
        invalid_message="Please choose among this retreat's own room types.",
    )
    save = SubmitField("Save add-on")

    def __init__(self, *args, retreat, **kwargs):
        super().__init__(*args, currency=retreat.currency, **kwargs)
        self.ticket_types.choices = [
            SelectChoice(ticket.id, ticket.name) for ticket in retreat.ticket_types
        ]
        self.room_types.choices = [
            SelectChoice(room.id, f"{room.name} (hidden)" if room.hidden else room.name)
            for room in retreat.room_types
        ]

    def fill_from(self, add_on) -> None:
        for name in ("name", "description", "quantity_limit"):
            self[name].data = getattr(add_on, name)
        self.price.data = price_as_text(add_on.price_minor, self.currency)
        self.price_per.data = add_on.price_per.value
        self.ticket_types.data = [ticket.id for ticket in add_on.ticket_types]
        self.room_types.data = [room.id for room in add_on.room_types]

    def details(self) -> AddOnDetails:
        return AddOnDetails(
            name=self.name.data,
            description=self.description.data or "",
            price_minor=self.price_minor,
            price_per=PricePer(self.price_per.data),
            quantity_limit=self.quantity_limit.data,
            ticket_type_ids=tuple(self.ticket_types.data or ()),
            room_type_ids=tuple(self.room_types.data or ()),
        )


class VisibilityForm(FlaskForm):
    """Hide a room type or add-on from new bookings ("1"), or offer it again ("0")."""

    hidden = HiddenField(validators=[AnyOf(["0", "1"])])

    @property
    def hide(self) -> bool:
        return self.hidden.data == "1"
