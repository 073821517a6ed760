"""One published retreat as the public sees it: its tickets on sale and the seats left, and
where it sells a stay, its room types and add-ons with what is left of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from retreats.booking.capacity import seats_taken_subquery
from retreats.booking.inventory import AddOnLeft, RoomLeft, add_ons_left, rooms_left
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import AddOn, Retreat, RetreatStatus, RoomType


@dataclass(frozen=True)
class Stay:
    """What a retreat sells beside its tickets, with what is left of it now: every room type
    and add-on on offer (not hidden), the sold-out ones too."""

    rooms: tuple[RoomLeft, ...] = ()
    add_ons: tuple[AddOnLeft, ...] = ()
    allows_no_accommodation: bool = False

    @property
    def rooms_on_sale(self) -> list[RoomLeft]:
        return [room for room in self.rooms if not room.sold_out]

    @property
    def add_ons_on_sale(self) -> list[AddOnLeft]:
        return [left for left in self.add_ons if left.units_left is None or left.units_left > 0]

    @property
    def offers_no_accommodation(self) -> bool:
        """Is "No accommodation" a choice? Only where rooms are sold and the organizer allows it."""
        return bool(self.rooms) and self.allows_no_accommodation

    @property
    def has_shared_rooms(self) -> bool:
        return any(room.room_type.shared for room in self.rooms_on_sale)


NO_STAY = Stay()


@dataclass(frozen=True)
class Listing:
    """A published retreat with what is left of it: seats, and the cheapest ticket on sale."""

    retreat: Retreat
    seats_left: int
    lowest_price_minor: int | None
    # When the soonest-ending early-bird price on sale now stops selling (None: no early bird).
    early_bird_until: datetime | None = None
    # Its rooms and add-ons with what is left (published_listing only; empty for a workshop).
    stay: Stay = field(default=NO_STAY)

    @property
    def sold_out(self) -> bool:
        return self.seats_left <= 0


# Built once, run with parameters (see capacity.py): these run on every booking page. The ticket
# types come in the same statement (a retreat has a handful): one round trip, not two. Whether it
# has room types or add-ons comes too, so a workshop (most listings) sends nothing more for them.
_PUBLISHED = (
    select(
        Retreat,
        exists().where(RoomType.retreat_id == Retreat.id).label("has_room_types"),
        exists().where(AddOn.retreat_id == Retreat.id).label("has_add_ons"),
    )
    .where(
        Retreat.slug == bindparam("slug"),
        Retreat.status != RetreatStatus.DRAFT,
        # A suspended organizer's retreat answers 404, as a draft does.
        Retreat.organizer_suspended.is_(False),
    )
    .options(joinedload(Retreat.ticket_types))
)
_PUBLISHED_WITH_SEATS_TAKEN = _PUBLISHED.add_columns(
    seats_taken_subquery(Retreat.id, now=bindparam("now"))
)
# Room types and add-ons in one statement: every pair (a retreat has a handful of each), each
# side empty (NULL) when the retreat has none of it.
_ROOM_TYPES_AND_ADD_ONS = (
    select(RoomType, AddOn)
    .select_from(Retreat)
    .outerjoin(RoomType, RoomType.retreat_id == Retreat.id)
    .outerjoin(AddOn, AddOn.retreat_id == Retreat.id)
    .where(Retreat.id == bindparam("retreat_id"))
    .order_by(RoomType.position, RoomType.id, AddOn.position, AddOn.id)
)


def _load_room_types_and_add_ons(retreat: Retreat, has_room_types: bool, has_add_ons: bool):
    """Fill in `retreat.room_types` and `retreat.add_ons` as their relationships would: with no
    statement when it has neither, with one when it has either."""
    room_types: dict[int, RoomType] = {}  # by id, in the order of the relationship
    add_ons: dict[int, AddOn] = {}
    if has_room_types or has_add_ons:
        rows = db.session.execute(_ROOM_TYPES_AND_ADD_ONS, {"retreat_id": retreat.id})
        for room_type, add_on in rows:
            if room_type is not None:
                room_types.setdefault(room_type.id, room_type)
            if add_on is not None:
                add_ons.setdefault(add_on.id, add_on)
    set_committed_value(retreat, "room_types", list(room_types.values()))
    set_committed_value(retreat, "add_ons", list(add_ons.values()))


def published_retreat(slug: str) -> Retreat | None:
    """A published retreat (past ones included) with its ticket types, room types and add-ons,
    without counting seats: for a booking POST, whose hold counts them under the lock anyway."""
    row = db.session.execute(_PUBLISHED, {"slug": slug}).unique().first()
    if row is None:
        return None
    retreat, has_room_types, has_add_ons = row
    _load_room_types_and_add_ons(retreat, has_room_types, has_add_ons)
    return retreat


def published_retreat_and_seats_taken(slug: str, *, now: datetime) -> tuple[Retreat, int] | None:
    """A published retreat as published_retreat gives it, with its seats taken at `now` counted
    in the same statement, unlocked: for a booking POST, whose hold refuses a retreat already
    full without queueing for its lock (the locked count decides every other hold)."""
    row = (
        db.session.execute(_PUBLISHED_WITH_SEATS_TAKEN, {"slug": slug, "now": now}).unique().first()
    )
    if row is None:
        return None
    retreat, has_room_types, has_add_ons, taken = row
    _load_room_types_and_add_ons(retreat, has_room_types, has_add_ons)
    return retreat, taken


def published_listing(slug: str, *, now: datetime | None = None) -> Listing | None:
    """A published retreat with its tickets and seats left, and the rooms and add-ons left where
    it sells them, or None (past ones included)."""
    now = now or utcnow()
    row = (
        db.session.execute(_PUBLISHED_WITH_SEATS_TAKEN, {"slug": slug, "now": now}).unique().first()
    )
    if row is None:
        return None
    retreat, has_room_types, has_add_ons, taken = row
    _load_room_types_and_add_ons(retreat, has_room_types, has_add_ons)
    on_sale = [ticket for ticket in retreat.ticket_types if ticket.on_sale_at(now)]
    sale_ends = [ticket.sale_ends_at for ticket in on_sale if ticket.sale_ends_at]
    return Listing(
        retreat=retreat,
        seats_left=max(retreat.capacity - taken, 0),
        lowest_price_minor=min(t.price_minor for t in on_sale) if on_sale else None,
        early_bird_until=min(sale_ends) if sale_ends else None,
        stay=stay_left(retreat, now=now),
    )


def stay_left(retreat: Retreat, *, now: datetime) -> Stay:
    """The retreat's rooms and add-ons on offer with what is left of them: a statement to count
    rooms only where it sells some, one for add-ons only where one is limited."""
    if not retreat.room_types and not retreat.add_ons:
        return NO_STAY
    return Stay(
        rooms=tuple(rooms_left(retreat, now=now)),
        add_ons=tuple(add_ons_left(retreat, now=now)),
        allows_no_accommodation=retreat.allows_no_accommodation,
    )
