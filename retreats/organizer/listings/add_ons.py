"""Add-on services: add, change, hide and remove the extras a retreat sells (a transfer, a
private session, an extra night).

Like ticket_types.py, each function owns its transaction under the retreat's row lock (the lock
a hold takes to count limited add-ons) and raises ListingError, whose `field` names the form
field the message belongs beside.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.booking.inventory import add_on_units_taken
from retreats.booking.models import BookingLine
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import AddOn, PricePer, Retreat
from retreats.organizer.listings.room_types import changeable_retreat
from retreats.organizer.listings.services import ListingError, assign_changed, has_bookings

WHAT = "its add-ons"


@dataclass(frozen=True)
class AddOnDetails:
    """An add-on as typed; the ids are the only ticket and room types it comes with (none:
    it comes with any)."""

    name: str
    description: str
    price_minor: int
    price_per: PricePer
    quantity_limit: int | None
    ticket_type_ids: tuple[int, ...] = ()
    room_type_ids: tuple[int, ...] = ()


def units_in_use(retreat: Retreat) -> dict[int, int]:
    """Per add-on, the units taken or held; no query for a retreat without add-ons."""
    if not retreat.add_ons:
        return {}
    return add_on_units_taken(retreat.id, now=utcnow())


def _add_on_of(retreat: Retreat, add_on_id: int) -> AddOn:
    add_on = db.session.get(AddOn, add_on_id)
    if add_on is None or add_on.retreat_id != retreat.id:
        raise ListingError("That add-on does not exist any more.")
    return add_on


def _own(options: list, ids: tuple[int, ...], *, field: str, message: str) -> list:
    """The retreat's own ticket or room types with these ids, in the retreat's order."""
    chosen = set(ids)
    if not chosen <= {option.id for option in options}:
        raise ListingError(message, field=field)
    return [option for option in options if option.id in chosen]


def _apply_add_on(add_on: AddOn, retreat: Retreat, details: AddOnDetails) -> list[str]:
    if details.price_per not in (PricePer.PERSON, PricePer.BOOKING):
        raise ListingError("Please choose per person or per booking.", field="price_per")
    if details.quantity_limit is not None and details.quantity_limit < 1:
        raise ListingError(
            "The limit must be at least 1 (empty: no limit).", field="quantity_limit"
        )
    tickets = _own(
        retreat.ticket_types,
        details.ticket_type_ids,
        field="ticket_types",
        message="Please choose among this retreat's own ticket types.",
    )
    rooms = _own(
        retreat.room_types,
        details.room_type_ids,
        field="room_types",
        message="Please choose among this retreat's own room types.",
    )
    changed = assign_changed(
        add_on,
        {
            "name": details.name,
            "description": details.description,
            "price_minor": details.price_minor,
            "price_per": details.price_per,
            "quantity_limit": details.quantity_limit,
        },
    )
    for name, chosen in (("ticket_types", tickets), ("room_types", rooms)):
        if {option.id for option in getattr(add_on, name)} != {option.id for option in chosen}:
            setattr(add_on, name, chosen)
            changed.append(name)
    return changed


def create_add_on(*, retreat_id: int, actor_id: int, details: AddOnDetails) -> AddOn:
    """Add an add-on at the end of the retreat's list."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        last = db.session.execute(
            select(func.max(AddOn.position)).where(AddOn.retreat_id == retreat.id)
        ).scalar_one()
        add_on = AddOn(retreat_id=retreat.id, position=0 if last is None else last + 1)
        _apply_add_on(add_on, retreat, details)
        db.session.add(add_on)
        db.session.flush()
        record_audit("add_on.created", actor_id=actor_id, retreat_id=retreat.id, detail=add_on.name)
        db.session.commit()
    return add_on


def update_add_on(
    *, retreat_id: int, add_on_id: int, actor_id: int, details: AddOnDetails
) -> list[str]:
    """Change an add-on; its limit cannot go below the units taken, and bookings keep the price
    they were made at."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        add_on = _add_on_of(retreat, add_on_id)
        taken = add_on_units_taken(retreat.id, now=utcnow()).get(add_on.id, 0)
        if details.quantity_limit is not None and details.quantity_limit < taken:
            raise ListingError(
                f"{taken} of “{add_on.name}” {'is' if taken == 1 else 'are'} already taken or "
                f"held, so the limit must be at least {taken}.",
                field="quantity_limit",
            )
        changed = _apply_add_on(add_on, retreat, details)
        if changed:
            record_audit(
                "add_on.updated",
                actor_id=actor_id,
                retreat_id=retreat.id,
                detail=f"{add_on.name}: {', '.join(changed)}",
            )
        db.session.commit()
    return changed


def set_add_on_hidden(*, retreat_id: int, add_on_id: int, actor_id: int, hidden: bool) -> bool:
    """Hide an add-on from new bookings (its bookings keep it), or offer it again; returns
    whether anything changed."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        add_on = _add_on_of(retreat, add_on_id)
        if add_on.hidden == hidden:
            db.session.rollback()
            return False
        add_on.hidden = hidden
        action = "add_on.hidden" if hidden else "add_on.shown"
        record_audit(action, actor_id=actor_id, retreat_id=retreat.id, detail=add_on.name)
        db.session.commit()
    return True


def delete_add_on(*, retreat_id: int, add_on_id: int, actor_id: int) -> None:
    """Remove an add-on nobody has booked (a booked one can be hidden instead)."""
    with rolled_back_on_error():
        retreat = changeable_retreat(retreat_id, what=WHAT)
        add_on = _add_on_of(retreat, add_on_id)
        if has_bookings(BookingLine.add_on_id == add_on.id):
            raise ListingError(
                f"People have booked “{add_on.name}”, so it cannot be deleted. "
                "Hide it instead: it leaves the booking form and their bookings keep it."
            )
        record_audit("add_on.deleted", actor_id=actor_id, retreat_id=retreat.id, detail=add_on.name)
        retreat.add_ons.remove(add_on)
        db.session.commit()
