"""Booking forms: the booking itself (ticket, people, intake, consent), cancelling, the waitlist."""

from __future__ import annotations

import uuid

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from retreats.booking.services import AttendeeDetails
from retreats.listings.models import RoomType, TicketType

LONG_TEXT = 2000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AttendeeForm(Form):
    """One person. Which fields are required depends on the ticket, so the parent checks that."""

    name = StringField("Full name", filters=[_strip], validators=[Length(max=200)])
    email = EmailField("Email", filters=[_strip], validators=[Optional(), Email(), Length(max=254)])
    dietary_needs = TextAreaField(
        "Dietary needs", filters=[_strip], validators=[Length(max=LONG_TEXT)]
    )
    accessibility_needs = TextAreaField(
        "Accessibility needs", filters=[_strip], validators=[Length(max=LONG_TEXT)]
    )
    emergency_contact = StringField(
        "Emergency contact (name and phone)", filters=[_strip], validators=[Length(max=300)]
    )
    hopes = TextAreaField(
        "What do you hope for from this time?", filters=[_strip], validators=[Length(max=LONG_TEXT)]
    )


class BookingForm(FlaskForm):
    # Made when the form is shown; a second submit of the same form finds the first booking.
    submission_key = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$")])
    ticket_type = RadioField(
        "Ticket", coerce=int, validators=[InputRequired(message="Please choose a ticket.")]
    )
    attendees = FieldList(FormField(AttendeeForm), min_entries=2, max_entries=2)
    code_of_conduct = BooleanField(
        "I have read the code of conduct and agree to it, for everyone on this booking.",
        validators=[DataRequired(message="Please agree to the code of conduct to book.")],
    )

    def __init__(self, *args, ticket_types: list[TicketType], **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket_types_by_id = {ticket.id: ticket for ticket in ticket_types}
        self.ticket_type.choices = [SelectChoice(ticket.id, ticket.name) for ticket in ticket_types]

    def prepare(self, *, offer=None) -> None:
        """Fill in what a fresh form starts with: its submission key, the obvious choices."""
        self.submission_key.data = uuid.uuid4().hex
        if len(self.ticket_types_by_id) == 1:
            self.ticket_type.data = next(iter(self.ticket_types_by_id))
        if offer is not None:
            self.attendees.entries[0].form.name.data = offer.name
            self.attendees.entries[0].form.email.data = offer.email

    @property
    def selected_ticket(self) -> TicketType | None:
        return self.ticket_types_by_id.get(self.ticket_type.data)

    @property
    def people_needed(self) -> int:
        ticket = self.selected_ticket
        return ticket.seats_per_ticket if ticket else 1

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        needed = self.people_needed
        for position, entry in enumerate(self.attendees.entries):
            person = entry.form
            if position >= needed:
                # The partner fields of a single ticket are ignored, whatever is in them.
                for field in person:
                    field.errors = []
            elif not person.name.data:
                person.name.errors = [*person.name.errors, "Please enter a name."]
        contact = self.attendees.entries[0].form.email
        if not contact.data and not contact.errors:
            contact.errors = ["We need your email to send your confirmation."]
        top_level_ok = all(not field.errors for field in self if field.name != "attendees")
        people_ok = all(
            not field.errors for entry in self.attendees.entries[:needed] for field in entry.form
        )
        return top_level_ok and people_ok

    def attendee_details(self) -> list[AttendeeDetails]:
        return [
            AttendeeDetails(
                name=entry.form.name.data,
                email=entry.form.email.data or None,
                dietary_needs=entry.form.dietary_needs.data or "",
                accessibility_needs=entry.form.accessibility_needs.data or "",
                emergency_contact=entry.form.emergency_contact.data or "",
                hopes=entry.form.hopes.data or "",
            )
            for entry in self.attendees.entries[: self.people_needed]
        ]

    @property
    def contact_email(self) -> str:
        return self.attendees.entries[0].form.email.data


class CancelBookingForm(FlaskForm):
    confirm = BooleanField(
        "Yes, cancel my booking",
        validators=[DataRequired(message="Please tick the box to confirm.")],
    )


class WaitlistForm(FlaskForm):
    name = StringField(
        "Your name",
        filters=[_strip],
        validators=[DataRequired("Please enter your name."), Length(max=200)],
    )
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[DataRequired("We need your email to tell you."), Email(), Length(max=254)],
    )
    seats = RadioField(
        "Places",
        coerce=int,
        choices=[
            SelectChoice(1, "One place, for me"),
            SelectChoice(2, "Two places, for me and my partner"),
        ],
        default=1,
        validators=[InputRequired(message="Please choose one or two places.")],
    )
    # Only where the retreat sells rooms (removed otherwise); NO_ROOM: no accommodation.
    room_type = RadioField(
        "Room", coerce=int, validators=[InputRequired(message="Please choose a room.")]
    )

    NO_ROOM = 0  # no room type has this id

    def __init__(self, *args, room_types: list[RoomType], allows_no_accommodation: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not room_types:
            del self.room_type
            return
        self.room_types_by_id = {room.id: room for room in room_types}
        self.room_type.choices = [SelectChoice(room.id, room.name) for room in room_types]
        if allows_no_accommodation:
            self.room_type.choices.append(SelectChoice(self.NO_ROOM, "No accommodation"))

    @property
    def room_type_id(self) -> int | None:
        """The room type chosen; None for none (or a retreat without rooms)."""
        if "room_type" not in self or self.room_type.data == self.NO_ROOM:
            return None
        return self.room_type.data
