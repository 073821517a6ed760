"""Rooms, beds and limited add-ons left: what a stay can still be made of.

The same bookings count here as for seats (capacity.py): confirmed ones and pending ones whose
hold is live; and, for rooms, live waitlist offers for a room type, as they count for seats. The
hold (and the waitlist's offer) reads these counts under the retreat's row lock and writes in
that transaction, so a room or an add-on unit is never sold twice; releasing needs no lock.

A room type has `rooms` rooms that sleep `sleeps` each. A booking (or an offer) takes either a
whole room (a private room, or two people on a couple ticket) or one bed of a shared room (one
person in a shared room type). Singles in shared rooms fill rooms up before opening another, so
  rooms free = rooms − whole rooms taken − ceil(beds taken / sleeps)
  beds free  = (rooms − whole rooms taken) × sleeps − beds taken.
A limited add-on has `quantity_limit` units; each booking line of it takes its quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, select, union_all

from retreats.booking.capacity import holds_its_seats
from retreats.booking.models import Booking, BookingLine, WaitlistEntry, WaitlistStatus
from retreats.extensions import db
from retreats.listings.models import AddOn, Retreat, RoomType


@dataclass(frozen=True)
class RoomsTaken:
    whole_rooms: int = 0
    beds: int = 0

    def plus(self, *, whole_room: bool) -> RoomsTaken:
        """These counts with one more booking (or offer): a whole room, or one bed."""
        return RoomsTaken(self.whole_rooms + whole_room, self.beds + (not whole_room))

    def rooms_in_use(self, sleeps: int) -> int:
        """The rooms these take: whole rooms, and beds filling rooms of `sleeps` one by one."""
        return self.whole_rooms + -(-self.beds // sleeps)

    def minus(self, *, whole_room: bool) -> RoomsTaken:
        """These counts without one booking (or offer) among them: a whole room, or one bed."""
        return RoomsTaken(self.whole_rooms - whole_room, self.beds - (not whole_room))


@dataclass(frozen=True)
class RoomLeft:
    """One room type as a visitor may choose it now."""

    room_type: RoomType
    rooms_left: int
    beds_left: int
    # Booking from a waitlist offer: this room (or bed) is the one the offer holds.
    held_for_you: bool = False

    @property
    def sold_out(self) -> bool:
        return self.beds_left <= 0

    def fits(self, people: int) -> bool:
        """Is there room left for a booking of this many people?"""
        if self.room_type.takes_whole_room(people):
            return self.rooms_left >= 1
        return self.beds_left >= 1


_RETREAT_ID, _NOW = bindparam("retreat_id"), bindparam("now")
# An offer takes what the booking made from it will: a bed for one person in a shared room.
_OFFER_TAKES_A_BED = and_(RoomType.shared, WaitlistEntry.seats == 1)


def _rooms_taken_statement(booking_in_retreat, offer_in_retreat, now):
    """Per room type, the whole rooms and beds that live bookings and live waitlist offers
    take, for the retreat(s) the two conditions name."""
    booked = select(
        Booking.room_type_id.label("room_type_id"),
        case((Booking.takes_whole_room, 1), else_=0).label("whole_rooms"),
        case((Booking.takes_whole_room, 0), else_=Booking.seats).label("beds"),
    ).where(booking_in_retreat, Booking.room_type_id.is_not(None), holds_its_seats(now))
    offered = (
        select(
            WaitlistEntry.room_type_id,
            case((_OFFER_TAKES_A_BED, 0), else_=1),
            case((_OFFER_TAKES_A_BED, 1), else_=0),
        )
        .join(RoomType, RoomType.id == WaitlistEntry.room_type_id)
        .where(
            offer_in_retreat,
            WaitlistEntry.status == WaitlistStatus.OFFERED,
            WaitlistEntry.offer_expires_at > now,
        )
    )
    taken = union_all(booked, offered).subquery()
    return select(
        taken.c.room_type_id,
        func.sum(taken.c.whole_rooms).label("whole_rooms"),
        func.sum(taken.c.beds).label("beds"),
    ).group_by(taken.c.room_type_id)


_ROOMS_TAKEN = _rooms_taken_statement(
    Booking.retreat_id == _RETREAT_ID, WaitlistEntry.retreat_id == _RETREAT_ID, _NOW
)

_ADD_ONS_TAKEN = (
    select(BookingLine.add_on_id, func.sum(BookingLine.quantity))
    .join(Booking, Booking.id == BookingLine.booking_id)
    .where(
        Booking.retreat_id == _RETREAT_ID,
        BookingLine.add_on_id.is_not(None),
        holds_its_seats(_NOW),
    )
    .group_by(BookingLine.add_on_id)
)


def rooms_taken(retreat_id: int, *, now: datetime) -> dict[int, RoomsTaken]:
    """Per room type of one retreat, the whole rooms and beds its live bookings and offers take."""
    rows = db.session.execute(_ROOMS_TAKEN, {"retreat_id": retreat_id, "now": now})
    return {
        room_type_id: RoomsTaken(whole_rooms=int(whole or 0), beds=int(beds or 0))
        for room_type_id, whole, beds in rows
    }


def room_left(room_type: RoomType, taken: RoomsTaken | None) -> RoomLeft:
    taken = taken or RoomsTaken()
    rooms_left = max(room_type.rooms - taken.rooms_in_use(room_type.sleeps), 0)
    rooms_not_whole = room_type.rooms - taken.whole_rooms
    return RoomLeft(
        room_type=room_type,
        rooms_left=rooms_left,
        beds_left=max(rooms_not_whole * room_type.sleeps - taken.beds, 0)
        if room_type.shared
        else rooms_left * room_type.sleeps,
    )


def rooms_left(retreat: Retreat, *, now: datetime) -> list[RoomLeft]:
    """Every room type on offer (not hidden) with what is left of it; one query, none when the
    retreat sells no rooms."""
    offered = [room_type for room_type in retreat.room_types if not room_type.hidden]
    if not offered:
        return []
    taken = rooms_taken(retreat.id, now=now)
    return [room_left(room_type, taken.get(room_type.id)) for room_type in offered]


def add_on_units_taken(retreat_id: int, *, now: datetime) -> dict[int, int]:
    rows = db.session.execute(_ADD_ONS_TAKEN, {"retreat_id": retreat_id, "now": now})
    return {add_on_id: int(units or 0) for add_on_id, units in rows}


@dataclass(frozen=True)
class AddOnLeft:
    add_on: AddOn
    units_left: int | None  # None: no limit

    def fits(self, people: int) -> bool:
        return self.units_left is None or self.units_left >= self.add_on.units_for(people)


def add_ons_left(retreat: Retreat, *, now: datetime) -> list[AddOnLeft]:
    """Every add-on on offer (not hidden) with the units left of the limited ones; one query,
    none when no add-on is limited."""
    offered = [add_on for add_on in retreat.add_ons if not add_on.hidden]
    if not any(add_on.quantity_limit is not None for add_on in offered):
        return [AddOnLeft(add_on, None) for add_on in offered]
    taken = add_on_units_taken(retreat.id, now=now)
    return [
        AddOnLeft(
            add_on,
            None
            if add_on.quantity_limit is None
            else max(add_on.quantity_limit - taken.get(add_on.id, 0), 0),
        )
        for add_on in offered
    ]


def room_occupancy(
    retreat_ids: list[int], *, now: datetime
) -> dict[int, list[tuple[RoomType, int, int]]]:
    """Per retreat, each of its room types (hidden ones too) with how much of it is taken and
    how much there is: beds of a shared room type, rooms of a private one. Counted as above
    (confirmed bookings, live holds and live waitlist offers), for any number of retreats in one
    query."""
    if not retreat_ids:
        return {}
    taken = _rooms_taken_statement(
        Booking.retreat_id.in_(retreat_ids), WaitlistEntry.retreat_id.in_(retreat_ids), now
    ).subquery()
    rows = db.session.execute(
        select(RoomType, taken.c.whole_rooms, taken.c.beds)
        .outerjoin(taken, taken.c.room_type_id == RoomType.id)
        .where(RoomType.retreat_id.in_(retreat_ids))
        .order_by(RoomType.retreat_id, RoomType.position, RoomType.id)
    )
    occupancy: dict[int, list[tuple[RoomType, int, int]]] = {}
    for room_type, whole, beds in rows:
        left = room_left(room_type, RoomsTaken(whole_rooms=int(whole or 0), beds=int(beds or 0)))
        if room_type.shared:
            total = room_type.rooms * room_type.sleeps
            used = total - left.beds_left
        else:
            total = room_type.rooms
            used = total - left.rooms_left
        occupancy.setdefault(room_type.retreat_id, []).append((room_type, used, total))
    return occupancy
