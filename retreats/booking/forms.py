"""Booking forms: the booking itself (ticket, room, add-ons, people, the retreat's own questions,
consent), cancelling, the waitlist."""

from __future__ import annotations

import re
import uuid

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from retreats.booking.availability import NO_STAY, Stay
from retreats.booking.form_questions import BookingQuestions
from retreats.booking.inventory import AddOnLeft, RoomLeft
from retreats.booking.services import AttendeeDetails
from retreats.database import LARGEST_ID
from retreats.discounts.rules import CODE_MAX_LENGTH
from retreats.gift_vouchers import codes as voucher_codes
from retreats.listings.models import RoomType, TicketType


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AttendeeForm(Form):
    """One person. Which fields are required depends on the ticket, so the parent checks that."""

    name = StringField("Full name", filters=[_strip], validators=[Length(max=200)])
    email = EmailField("Email", filters=[_strip], validators=[Optional(), Email(), Length(max=254)])


NO_ACCOMMODATION = "none"  # the room_type value of "No accommodation"
MOST_ADD_ONS = 50  # more ticked than any retreat offers is not a person filling in the form
_AN_ID = re.compile(r"[0-9]{1,10}")


def _an_id(value: str | None) -> int | None:
    """The id a choice's value names, or None when it names none (garbage, out of range)."""
    if value is None or not _AN_ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= LARGEST_ID else None


def _a_room_choice(form, field) -> None:
    if field.data in (None, "", NO_ACCOMMODATION):
        return
    if _an_id(field.data) is None:
        raise ValidationError("Please choose one of the rooms offered.")


def _add_on_choices(form, field) -> None:
    values = field.data or []
    if len(values) > MOST_ADD_ONS or any(_an_id(value) is None for value in values):
        raise ValidationError("Please choose among the extras offered.")


class StayChoiceForm(FlaskForm):
    """The choices that make a booking's price: its ticket, where the guests stay, its add-ons,
    a discount code, a gift voucher.

    Which rooms and add-ons may be chosen is the hold's to decide, under the lock (a room may
    sell out after the form was shown): this form only reads ids. The quote endpoint reads
    these fields alone; the booking form adds the people.
    """

    # An organizer's discount code (discounts/): the total shows it; the hold checks it again
    # and counts its use.
    discount_code = StringField(
        "Discount code", filters=[_strip], validators=[Length(max=CODE_MAX_LENGTH)]
    )
    # A gift voucher's code (gift_vouchers/): the total shows what it pays and what the card
    # pays; the hold takes it under the voucher's lock.
    gift_voucher_code = StringField(
        "Gift voucher code",
        filters=[_strip],
        validators=[Length(max=voucher_codes.CODE_MAX_LENGTH)],
    )
    ticket_type = RadioField(
        "Ticket",
        coerce=int,
        validators=[InputRequired(message="Please choose a ticket.")],
        invalid_value_message="Please choose one of the tickets offered.",
        invalid_choice_message="Please choose one of the tickets offered.",
    )
    # The value is a room type's id, or NO_ACCOMMODATION.
    room_type = RadioField("Where you stay", validate_choice=False, validators=[_a_room_choice])
    # Checkboxes named add_ons, each valued with an add-on's id.
    add_ons = SelectMultipleField(
        "Extras",
        validate_choice=False,
        validators=[_add_on_choices],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )

    def __init__(self, *args, ticket_types: list[TicketType], sells_rooms: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket_types_by_id = {ticket.id: ticket for ticket in ticket_types}
        self.ticket_type.choices = [SelectChoice(ticket.id, ticket.name) for ticket in ticket_types]
        # Where rooms are sold, one (or "No accommodation", where allowed) must be chosen.
        self.sells_rooms = sells_rooms
        self.room_type.choices = []
        self.add_ons.choices = []
        self.stay: Stay = NO_STAY
        # What each choice shown is, by its value: the template describes it from these.
        self.rooms_by_choice: dict[str, RoomLeft] = {}
        self.add_ons_by_choice: dict[str, AddOnLeft] = {}

    def offer_stay(self, stay: Stay) -> None:
        """Show these rooms and add-ons as the choices: those on offer and not sold out."""
        self.stay = stay
        self.rooms_by_choice = {str(left.room_type.id): left for left in stay.rooms_on_sale}
        self.add_ons_by_choice = {str(left.add_on.id): left for left in stay.add_ons_on_sale}
        choices = [
            SelectChoice(value, left.room_type.name) for value, left in self.rooms_by_choice.items()
        ]
        if stay.offers_no_accommodation:
            choices.append(SelectChoice(NO_ACCOMMODATION, "No accommodation"))
        self.room_type.choices = choices
        self.add_ons.choices = [
            SelectChoice(value, left.add_on.name) for value, left in self.add_ons_by_choice.items()
        ]

    def keep_offered_room(self, offer) -> None:
        """Booking from a waitlist offer that holds a room: that room type is the only choice,
        chosen already (the hold allows no other)."""
        if offer is None or offer.room_type is None:
            return
        value = str(offer.room_type_id)
        self.rooms_by_choice = {
            value: RoomLeft(offer.room_type, rooms_left=1, beds_left=1, held_for_you=True)
        }
        self.room_type.choices = [SelectChoice(value, offer.room_type.name)]
        self.room_type.data = value

    @property
    def offers_stay(self) -> bool:
        """Does the form show rooms or add-ons (and so a total)? Not for tickets alone."""
        return bool(self.stay.rooms or self.stay.add_ons)

    def shows(self, field_name: str) -> bool:
        """Is this stay field on the form as shown, for a message to go beside it?"""
        if field_name == "room_type":
            return bool(self.stay.rooms)
        if field_name == "add_ons":
            return bool(self.stay.add_ons)
        return field_name in self._fields

    @property
    def selected_ticket(self) -> TicketType | None:
        return self.ticket_types_by_id.get(self.ticket_type.data)

    @property
    def room_type_id(self) -> int | None:
        """The room type chosen; None for none chosen or "No accommodation"."""
        return _an_id(self.room_type.data)

    @property
    def room_chosen(self) -> bool:
        """Has a room, or "No accommodation", been chosen?"""
        return bool(self.room_type.data)

    @property
    def add_on_ids(self) -> list[int]:
        return [number for number in map(_an_id, self.add_ons.data or []) if number is not None]

    def validate_stay_choice(self) -> bool:
        """Check the ticket (when one is chosen), room, add-on and code fields alone: a total can be
        shown before the rest is filled in."""
        fields = [self.room_type, self.add_ons, self.discount_code, self.gift_voucher_code]
        if self.ticket_type.raw_data:
            fields.append(self.ticket_type)
        return all([field.validate(self) for field in fields])


class BookingForm(StayChoiceForm):
    # Made when the form is shown; a second submit of the same form finds the first booking.
    submission_key = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$")])
    room_share_with = StringField(
        "Whom would you like to share your room with?",
        filters=[_strip],
        validators=[Length(max=200)],
    )
    attendees = FieldList(FormField(AttendeeForm), min_entries=2, max_entries=2)
    # Shown only where a deposit may be asked (retreat.deposit_rule): the consent Stripe needs
    # before a card is kept and charged later with its owner away.
    save_card_for_balance = BooleanField(
        "Keep my card with Stripe and charge the balance to it on its due date. You can pay it "
        "earlier from your booking's page, and we email you before we charge."
    )
    code_of_conduct = BooleanField(
        "I have read the code of conduct and agree to it, for everyone on this booking.",
        validators=[DataRequired(message="Please agree to the code of conduct to book.")],
    )

    def __init__(self, *args, questions: BookingQuestions | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The retreat's own questions (form_questions.py): read with the ticket chosen.
        self.questions = questions or BookingQuestions((), tickets=())

    def prepare(self, *, offer=None) -> None:
        """Fill in what a fresh form starts with: its submission key, the obvious choices."""
        self.submission_key.data = new_submission_key()
        if len(self.ticket_types_by_id) == 1:
            self.ticket_type.data = next(iter(self.ticket_types_by_id))
        if offer is not None:
            self.attendees.entries[0].form.name.data = offer.name
            self.attendees.entries[0].form.email.data = offer.email

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
        if self.sells_rooms and not self.room_chosen and not self.room_type.errors:
            self.room_type.errors = ["Please choose where you stay."]
        contact = self.attendees.entries[0].form.email
        if not contact.data and not contact.errors:
            contact.errors = ["We need your email to send your confirmation."]
        top_level_ok = all(not field.errors for field in self if field.name != "attendees")
        people_ok = all(
            not field.errors for entry in self.attendees.entries[:needed] for field in entry.form
        )
        ticket = self.selected_ticket
        answers_ok = ticket is not None and self.questions.read(ticket)
        return top_level_ok and people_ok and answers_ok

    @property
    def has_problems(self) -> bool:
        """Is a field marked, one of the retreat's questions included?"""
        return bool(self.errors or self.questions.problems)

    def attendee_details(self) -> list[AttendeeDetails]:
        return [
            AttendeeDetails(
                name=entry.form.name.data,
                email=entry.form.email.data or None,
            )
            for entry in self.attendees.entries[: self.people_needed]
        ]

    @property
    def contact_email(self) -> str:
        return self.attendees.entries[0].form.email.data


class BalanceForm(FlaskForm):
    """The "Pay the balance" button (manage page, emailed link): the amount it showed, so that a
    page or link older than what is owed now pays nothing."""

    amount = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,9}$")])

    def shown_amount(self) -> int | None:
        return int(self.amount.data) if self.amount.data else None


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


def new_submission_key() -> str:
    """The key of one blank booking form: a second submit of that form finds the first booking."""
    return uuid.uuid4().hex


_HIDDEN_FIELD = Markup('<input id="{0}" name="{0}" type="hidden" value="{1}">')


def visitor_fields(submission_key: str | None) -> Markup:
    """The booking form's hidden fields that differ from one visitor to the next, as WTForms
    writes them: the CSRF token (when CSRF is on) and the submission key. Everything else on a
    blank form is the same for everyone, and kept (catalog/booking_form.py)."""
    config = current_app.config
    fields = []
    if config.get("WTF_CSRF_ENABLED", True):
        csrf_field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        fields.append(_HIDDEN_FIELD.format(csrf_field, generate_csrf()))
    fields.append(_HIDDEN_FIELD.format("submission_key", submission_key or ""))
    return Markup("\n").join(fields)
