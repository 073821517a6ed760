"""Ticket-type services: add, change and remove the tickets a retreat sells.

Like listings.py, each function owns its transaction and raises ListingError, whose `field`
names the form field the message belongs beside.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import func, select

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.booking.capacity import tickets_taken
from retreats.booking.models import Booking
from retreats.database import lock_row
from retreats.extensions import db
from retreats.listings.models import Retreat, RetreatStatus, TicketType, add_on_ticket_types
from retreats.organizer.listings.room_types import refuse_orphaned_add_ons
from retreats.organizer.listings.services import (
    ListingError,
    assign_changed,
    has_bookings,
    utc_from_local,
)


@dataclass(frozen=True)
class TicketDetails:
    """A ticket type as typed; the sale window is naive, on the retreat's own clock."""

    name: str
    description: str
    price_minor: int
    seats_per_ticket: int
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    quantity_limit: int | None


def _changeable_retreat(retreat_id: int) -> Retreat:
    """The retreat under its seat lock (holds count tickets under it too), unless cancelled."""
    retreat = lock_row(Retreat, retreat_id)
    if retreat is None:
        raise ListingError("That retreat does not exist any more.")
    if retreat.status == RetreatStatus.CANCELLED:
        raise ListingError("This retreat is cancelled, so its tickets can no longer change.")
    return retreat


def _ticket_of(retreat: Retreat, ticket_type_id: int) -> TicketType:
    ticket = db.session.get(TicketType, ticket_type_id)
    if ticket is None or ticket.retreat_id != retreat.id:
        raise ListingError("That ticket type does not exist any more.")
    return ticket


def _apply_ticket(ticket: TicketType, retreat: Retreat, details: TicketDetails) -> list[str]:
    values = {f.name: getattr(details, f.name) for f in fields(details)}
    for name in ("sale_starts_at", "sale_ends_at"):
        if values[name] is not None:
            values[name] = utc_from_local(values[name], retreat.timezone, field=name)
    starts, ends = values["sale_starts_at"], values["sale_ends_at"]
    if starts and ends and ends <= starts:
        raise ListingError("The sale must end after it starts.", field="sale_ends_at")
    return assign_changed(ticket, values)


def create_ticket_type(*, retreat_id: int, actor_id: int, details: TicketDetails) -> TicketType:
    """Add a ticket type at the end of the retreat's list."""
    with rolled_back_on_error():
        retreat = _changeable_retreat(retreat_id)
        last = db.session.execute(
            select(func.max(TicketType.position)).where(TicketType.retreat_id == retreat.id)
        ).scalar_one()
        ticket = TicketType(retreat_id=retreat.id, position=0 if last is None else last + 1)
        _apply_ticket(ticket, retreat, details)
        db.session.add(ticket)
        db.session.flush()
        record_audit(
            "ticket_type.created", actor_id=actor_id, retreat_id=retreat.id, detail=ticket.name
        )
        db.session.commit()
    return ticket


def _refuse_unsafe_ticket_changes(
    retreat: Retreat, ticket: TicketType, details: TicketDetails
) -> None:
    """Once booked, a ticket type keeps its size, and its limit cannot go below what is taken."""
    if details.seats_per_ticket != ticket.seats_per_ticket and has_bookings(
        Booking.ticket_type_id == ticket.id
    ):
        raise ListingError(
            "People have booked this ticket, so it stays for the same number of people. "
            "Add a new ticket type instead.",
            field="seats_per_ticket",
        )
    taken = tickets_taken(retreat.id).get(ticket.id, 0)
    if details.quantity_limit is not None and details.quantity_limit < taken:
        raise ListingError(
            f"{taken} of these tickets are already taken or held, so the limit must be at "
            f"least {taken}.",
            field="quantity_limit",
        )


def update_ticket_type(
    *, retreat_id: int, ticket_type_id: int, actor_id: int, details: TicketDetails
) -> list[str]:
    """Change a ticket type; once booked, it stays for the same number of people."""
    with rolled_back_on_error():
        retreat = _changeable_retreat(retreat_id)
        ticket = _ticket_of(retreat, ticket_type_id)
        _refuse_unsafe_ticket_changes(retreat, ticket, details)
        changed = _apply_ticket(ticket, retreat, details)
        if changed:
            record_audit(
                "ticket_type.updated",
                actor_id=actor_id,
                retreat_id=retreat.id,
                detail=f"{ticket.name}: {', '.join(changed)}",
            )
        db.session.commit()
    return changed


def delete_ticket_type(*, retreat_id: int, ticket_type_id: int, actor_id: int) -> None:
    """Remove a ticket type nobody has booked (a published retreat keeps at least one)."""
    with rolled_back_on_error():
        retreat = lock_row(Retreat, retreat_id)
        if retreat is None or retreat.status == RetreatStatus.CANCELLED:
            raise ListingError("This retreat is cancelled, so its tickets can no longer change.")
        ticket = _ticket_of(retreat, ticket_type_id)
        if has_bookings(Booking.ticket_type_id == ticket.id):
            raise ListingError(
                f"People have booked “{ticket.name}”, so it cannot be deleted. "
                "End its sale instead (give it a sale end date)."
            )
        refuse_orphaned_add_ons(add_on_ticket_types.c.ticket_type_id, ticket.id, "ticket type")
        if retreat.status == RetreatStatus.PUBLISHED and len(retreat.ticket_types) <= 1:
            raise ListingError(
                "A published retreat needs at least one ticket type. Unpublish it first."
            )
        record_audit(
            "ticket_type.deleted", actor_id=actor_id, retreat_id=retreat.id, detail=ticket.name
        )
        retreat.ticket_types.remove(ticket)
        db.session.commit()
