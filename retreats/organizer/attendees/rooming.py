"""The rooming list of one retreat: who stays in which room type, and who shares which named room.

The bookings listed are those that hold their place (and so their room): confirmed ones, and
pending ones whose hold is live, marked as awaiting payment. They are grouped by room type, in
the listing's order, then "No accommodation"; within a room type, bookings the organizer gave the
same named room ("Olive 2", compared regardless of case) are listed together, and a named room
that holds more people than its room type sleeps, or a booking that took a whole room together
with another booking, gets a warning (never a refusal: the organizer knows the house).

Reading it takes a fixed number of SQL statements whatever the number of bookings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from retreats.booking.capacity import holds_its_seats
from retreats.booking.inventory import RoomLeft, rooms_left
from retreats.booking.models import Booking, BookingStatus, LineKind
from retreats.booking.pricing import LineItem, Quote, booking_quote
from retreats.extensions import db
from retreats.listings.models import Retreat, RoomType

# As long as Booking.room_label may be.
ROOM_LABEL_MAX = 60
NO_ACCOMMODATION = "No accommodation"


def normalised_room_label(text: str) -> str:
    """A named room as typed, with its spaces trimmed and runs of whitespace made one space."""
    return " ".join(text.split())


def room_label_problem(label: str) -> str | None:
    """Why a (normalised) named room cannot be kept, or None when it can."""
    if len(label) > ROOM_LABEL_MAX:
        return f"Please keep the room's name to {ROOM_LABEL_MAX} characters or fewer."
    if any(unicodedata.category(character) == "Cc" for character in label):
        return "Please use letters, numbers and spaces for the room's name."
    return None


def _label_key(label: str) -> str:
    return label.casefold()


def _natural_order(label: str) -> list:
    """ "Olive 2" before "Olive 10": digits compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label.casefold())]


def add_on_summary(line: LineItem) -> str:
    """ "Airport transfer" or, for more than one unit, "Airport transfer × 2"."""
    return line.name if line.quantity == 1 else f"{line.name} × {line.quantity}"


def stay_in_words(*, room_type_id: int | None, takes_whole_room: bool) -> str:
    """ "Whole room" or "Bed in a shared room"; "" without accommodation."""
    if room_type_id is None:
        return ""
    return "Whole room" if takes_whole_room else "Bed in a shared room"


@dataclass(frozen=True)
class RoomingBooking:
    """One booking as the rooming list shows it, with the lines it was priced at."""

    booking: Booking
    quote: Quote

    @property
    def names(self) -> list[str]:
        return [person.name for person in self.booking.attendees]

    @property
    def people(self) -> int:
        return self.booking.seats

    @property
    def awaiting_payment(self) -> bool:
        return self.booking.status == BookingStatus.PENDING

    @property
    def add_ons(self) -> list[str]:
        return [add_on_summary(line) for line in self.quote.lines if line.kind == LineKind.ADD_ON]

    @property
    def stay(self) -> str:
        return stay_in_words(
            room_type_id=self.booking.room_type_id,
            takes_whole_room=self.booking.takes_whole_room,
        )


@dataclass
class NamedRoom:
    """The bookings the organizer put in one named room of a room type."""

    label: str
    bookings: list[RoomingBooking] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [name for entry in self.bookings for name in entry.names]

    @property
    def people(self) -> int:
        return sum(entry.people for entry in self.bookings)

    def warnings(self, room_type: RoomType) -> list[str]:
        """What looks wrong with this room (it is still kept as the organizer set it)."""
        found = []
        if self.people > room_type.sleeps:
            found.append(
                f"{self.label} holds {self.people} people, but a {room_type.name} room "
                f"sleeps {room_type.sleeps}."
            )
        whole = [
            entry.booking.reference for entry in self.bookings if entry.booking.takes_whole_room
        ]
        if len(whole) == 1 and len(self.bookings) > 1:
            found.append(f"{self.label}: {whole[0]} booked a whole room, yet shares it.")
        elif len(whole) > 1:
            found.append(
                f"{self.label}: {', '.join(whole)} each booked a whole room, yet share one."
            )
        return found


@dataclass
class RoomTypeGroup:
    """One room type (None: no accommodation) with its bookings, by named room."""

    room_type: RoomType | None
    left: RoomLeft | None = None  # None: hidden from sale, or no accommodation
    named_rooms: list[NamedRoom] = field(default_factory=list)
    unassigned: list[RoomingBooking] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.room_type.name if self.room_type is not None else NO_ACCOMMODATION

    @property
    def anchor(self) -> str:
        return f"room-type-{self.room_type.id}" if self.room_type is not None else "no-room"

    @property
    def bookings(self) -> list[RoomingBooking]:
        return [entry for room in self.named_rooms for entry in room.bookings] + self.unassigned

    @property
    def people(self) -> int:
        return sum(entry.people for entry in self.bookings)

    @property
    def warnings(self) -> list[str]:
        if self.room_type is None:
            return []
        return [warning for room in self.named_rooms for warning in room.warnings(self.room_type)]

    @property
    def labels(self) -> list[str]:
        return [room.label for room in self.named_rooms]


@dataclass(frozen=True)
class RoomingList:
    groups: list[RoomTypeGroup]
    sells_rooms: bool

    @property
    def bookings(self) -> int:
        return sum(len(group.bookings) for group in self.groups)

    @property
    def warnings(self) -> int:
        return sum(len(group.warnings) for group in self.groups)


def rooming_bookings(retreat_id: int, *, now: datetime) -> list[Booking]:
    """The bookings that hold their place, oldest first, with people, lines, ticket: 3 queries."""
    statement = (
        select(Booking)
        .options(
            selectinload(Booking.attendees),
            selectinload(Booking.lines),
            joinedload(Booking.ticket_type),
        )
        .where(Booking.retreat_id == retreat_id, holds_its_seats(now))
        .order_by(Booking.created_at, Booking.id)
    )
    return list(db.session.execute(statement).scalars())


def rooming_list(retreat: Retreat, *, now: datetime) -> RoomingList:
    """The retreat's rooming list: every room type (a hidden one only when a booking has it),
    then the bookings without accommodation; 5 queries, or 4 when the retreat sells no rooms."""
    room_types = list(retreat.room_types)
    left = {entry.room_type.id: entry for entry in rooms_left(retreat, now=now)}
    groups = {
        room_type.id: RoomTypeGroup(room_type, left.get(room_type.id)) for room_type in room_types
    }
    no_room = RoomTypeGroup(None)
    for booking in rooming_bookings(retreat.id, now=now):
        entry = RoomingBooking(booking, booking_quote(booking))
        group = groups.get(booking.room_type_id, no_room) if booking.room_type_id else no_room
        _place(group, entry)
    for group in groups.values():
        group.named_rooms.sort(key=lambda room: _natural_order(room.label))
    listed = [group for group in groups.values() if not group.room_type.hidden or group.bookings]
    if no_room.bookings or not room_types or retreat.allows_no_accommodation:
        listed.append(no_room)
    return RoomingList(groups=listed, sells_rooms=bool(room_types))


def _place(group: RoomTypeGroup, entry: RoomingBooking) -> None:
    label = entry.booking.room_label
    if group.room_type is None or not label:
        group.unassigned.append(entry)
        return
    key = _label_key(label)
    room = next((room for room in group.named_rooms if _label_key(room.label) == key), None)
    if room is None:
        room = NamedRoom(label)
        group.named_rooms.append(room)
    room.bookings.append(entry)
