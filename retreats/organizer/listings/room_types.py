"""Room-type services: add, change, hide and remove the rooms a residential retreat sells.

Like ticket_types.py, each function owns its transaction under the retreat's row lock (the lock
a hold takes to count rooms, so a capacity cannot drop below rooms taken meanwhile) and raises
ListingError, whose `field` names the form field the message belongs beside.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import func, select

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.booking.capacity import holds_its_seats
from retreats.booking.inventory import RoomsTaken, room_occupancy, rooms_taken
from retreats.booking.models import Booking
from retreats.database import lock_row, utcnow
from retreats.extensions import db
from retreats.listings.models import (
    AddOn,
    PricePer,
    Retreat,
    RetreatStatus,
    RoomType,
    add_on_room_types,
)
from retreats.organizer.listings.services import ListingError, assign_changed, has_bookings

MAX_SLEEPS = 12
MAX_ROOMS = 1_000


@dataclass(frozen=True)
class RoomTypeDetails:
    """A room type as typed."""

    name: str
    description: str
    rooms: int
    sleeps: int
    shared: bool
    suits_couple: bool
    price_minor: int
    price_per: PricePer


def room_type_problem(details: RoomTypeDetails) -> ListingError | None:
    """What is wrong with a room type on its own (the form and the services both ask)."""
    if not 1 <= details.rooms <= MAX_ROOMS:
        return ListingError(f"Between 1 and {MAX_ROOMS:,} rooms.", field="rooms")
    if not 1 <= details.sleeps <= MAX_SLEEPS:
        return ListingError(f"A room sleeps between 1 and {MAX_SLEEPS} people.", field="sleeps")
    if details.shared and details.sleeps < 2:
        return ListingError("A shared room must sleep at least 2 people.", field="sleeps")
    if details.suits_couple and details.sleeps < 2:
        return ListingError(
            "A room that suits a couple must sleep at least 2 people.", field="suits_couple"
        )
    if details.shared and details.price_per != PricePer.PERSON:
        return ListingError(
            "A shared room is sold bed by bed, so its price is per person.", field="price_per"
        )
    if details.price_per not in (PricePer.PERSON, PricePer.ROOM):
        return ListingError("Please choose per person or per room.", field="price_per")
    return None


def changeable_retreat(retreat_id: int, *, what: str) -> Retreat:
    """The retreat under its row lock (holds count rooms and add-ons under it), unless
    cancelled; `what` names what can no longer change ("its rooms")."""
    retreat = lock_row(Retreat, retreat_id)
    if retreat is None:
        raise ListingError("That retreat does not exist any more.")
    if retreat.status == RetreatStatus.CANCELLED:
        raise ListingError(f"This retreat is cancelled, so {what} can no longer change.")
    return retreat


def room_use(retreat: Retreat) -> dict[int, tuple[int, int]]:
    """Per room type, what is taken or held of it and what there is (beds of a shared room
    type, rooms of a private one); no query for a retreat without rooms."""
    if not retreat.room_types:
        return {}
    uses = room_occupancy([retreat.id], now=utcnow()).get(retreat.id, [])
    return {room_type.id: (taken, total) for room_type, taken, total in uses}


def _room_type_of(retreat: Retreat, room_type_id: int) -> RoomType:
    room_type = db.session.get(RoomType, room_type_id)
    if room_type is None or room_type.retreat_id != retreat.id:
        raise ListingError("That room type does not exist any more.")
    return room_type


def _refuse_unsafe_room_changes(retreat: Retreat, room_type: RoomType, details: RoomTypeDetails):
    """Once booked, a room type stays shared or private, and rooms taken are a floor."""
    if details.shared != room_type.shared and has_bookings(Booking.room_type_id == room_type.id):
        kind = "shared" if room_type.shared else "private"
        raise ListingError(
            f"People have booked this room type, so its rooms stay {kind}. "
            "Add a new room type instead.",
            field="shared",
        )
    now = utcnow()
    largest = db.session.execute(
        select(func.max(Booking.seats)).where(
            Booking.room_type_id == room_type.id, Booking.takes_whole_room, holds_its_seats(now)
        )
    ).scalar_one()
    if largest and details.sleeps < largest:
        raise ListingError(
            f"A booking for {largest} people holds a room of this type, so it must sleep at "
            f"least {largest}.",
            field="sleeps",
        )
    taken = rooms_taken(retreat.id, now=now).get(room_type.id, RoomsTaken())
    needed = taken.rooms_in_use(details.sleeps)
    if details.rooms < needed:
        raise ListingError(
            f"{_rooms_in_words(taken, needed)}, so there must be at least {needed}.",
            field="rooms",
        )


def _rooms_in_words(taken: RoomsTaken, needed: int) -> str:
    """ "3 of these rooms are already taken or held (1 whole, and 3 beds filling 2)"."""
    verb = "is" if needed == 1 else "are"
    words = f"{needed} of these rooms {verb} already taken or held"
    if taken.beds:
        beds = "1 bed" if taken.beds == 1 else f"{taken.beds} beds"
        words += f" ({taken.whole_rooms} whole, and {beds} filling {needed - taken.whole_rooms})"
    return words


def _apply_room_type(room_type: RoomType, details: RoomTypeDetails) -> list[str]:
    problem = room_type_problem(details)
    if problem is not None:
        raise problem
    return assign_changed(room_type, {f.name: getattr(details, f.name) for f in fields(details)})


def create_room_type(*, retreat_id: int, actor_id: int, details: RoomTypeDetails) -> RoomType:
    """Add a room type at the end of the retreat's list."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what="its rooms")
        last = db.session.execute(
            select(func.max(RoomType.position)).where(RoomType.retreat_id == retreat.id)
        ).scalar_one()
        room_type = RoomType(retreat_id=retreat.id, position=0 if last is None else last + 1)
        _apply_room_type(room_type, details)
        db.session.add(room_type)
        db.session.flush()
        record_audit(
            "room_type.created", actor_id=actor_id, retreat_id=retreat.id, detail=room_type.name
        )
        db.session.commit()
    return room_type


def update_room_type(
    *, retreat_id: int, room_type_id: int, actor_id: int, details: RoomTypeDetails
) -> list[str]:
    """Change a room type; bookings keep the price they were made at."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what="its rooms")
        room_type = _room_type_of(retreat, room_type_id)
        _refuse_unsafe_room_changes(retreat, room_type, details)
        changed = _apply_room_type(room_type, details)
        if changed:
            record_audit(
                "room_type.updated",
                actor_id=actor_id,
                retreat_id=retreat.id,
                detail=f"{room_type.name}: {', '.join(changed)}",
            )
        db.session.commit()
    return changed


def set_room_type_hidden(
    *, retreat_id: int, room_type_id: int, actor_id: int, hidden: bool
) -> bool:
    """Hide a room type from new bookings (its bookings keep it), or offer it again; returns
    whether anything changed."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what="its rooms")
        room_type = _room_type_of(retreat, room_type_id)
        if room_type.hidden == hidden:
            db.session.rollback()
            return False
        room_type.hidden = hidden
        action = "room_type.hidden" if hidden else "room_type.shown"
        record_audit(action, actor_id=actor_id, retreat_id=retreat.id, detail=room_type.name)
        db.session.commit()
    return True


def add_ons_only_with(column, value: int) -> list[str]:
    """The names of add-ons offered only with this ticket or room type (`column` of an add-on
    restriction table): deleting it would leave them offered with everything."""
    table = column.table
    restricted_to = select(table.c.add_on_id).where(column == value)
    own_count = (
        select(func.count())
        .select_from(table)
        .where(table.c.add_on_id == AddOn.id)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(AddOn.name)
            .where(AddOn.id.in_(restricted_to), own_count == 1)
            .order_by(AddOn.position, AddOn.id)
        )
    )


def refuse_orphaned_add_ons(column, value: int, what: str) -> None:
    """Refuse to delete the one ticket or room type that some add-on is offered with."""
    names = add_ons_only_with(column, value)
    if names:
        listed = ", ".join(f"“{name}”" for name in names)
        raise ListingError(
            f"{listed} {'is' if len(names) == 1 else 'are'} offered only with this {what}. "
            "Change or delete that first, or hide this instead."
        )


def delete_room_type(*, retreat_id: int, room_type_id: int, actor_id: int) -> None:
    """Remove a room type nobody has booked (a booked one can be hidden instead)."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what="its rooms")
        room_type = _room_type_of(retreat, room_type_id)
        if has_bookings(Booking.room_type_id == room_type.id):
            raise ListingError(
                f"People have booked “{room_type.name}”, so it cannot be deleted. "
                "Hide it instead: it leaves the booking form and their bookings keep it."
            )
        refuse_orphaned_add_ons(add_on_room_types.c.room_type_id, room_type.id, "room type")
        record_audit(
            "room_type.deleted", actor_id=actor_id, retreat_id=retreat.id, detail=room_type.name
        )
        retreat.room_types.remove(room_type)
        db.session.commit()
