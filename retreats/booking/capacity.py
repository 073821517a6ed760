"""How many seats a retreat has left. The one definition every page and service uses."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, func, or_, select

from retreats.booking.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from retreats.database import utcnow
from retreats.extensions import db

if TYPE_CHECKING:
    from retreats.listings.models import Retreat, TicketType


def holds_its_seats(now: datetime):
    """Confirmed, or pending with a live hold: a booking that counts against capacity."""
    return or_(
        Booking.status == BookingStatus.CONFIRMED,
        and_(Booking.status == BookingStatus.PENDING, Booking.hold_expires_at > now),
    )


def seats_taken_subquery(retreat_id_column, *, now: datetime | None = None):
    """Seats of confirmed bookings, of pending bookings whose hold is live, and of live offers.

    `retreat_id_column` and `now` may be bound parameters, for a statement built once."""
    if now is None:
        now = utcnow()
    booked = (
        select(func.coalesce(func.sum(Booking.seats), 0))
        .where(Booking.retreat_id == retreat_id_column, holds_its_seats(now))
        .scalar_subquery()
    )
    offered = (
        select(func.coalesce(func.sum(WaitlistEntry.seats), 0))
        .where(
            WaitlistEntry.retreat_id == retreat_id_column,
            WaitlistEntry.status == WaitlistStatus.OFFERED,
            WaitlistEntry.offer_expires_at > now,
        )
        .scalar_subquery()
    )
    return booked + offered


# Built once and run with parameters: a statement reused skips being built and keyed each time
# (SQLAlchemy memoises its cache key), which is most of what counting costs in Python.
_SEATS_TAKEN = select(seats_taken_subquery(bindparam("retreat_id"), now=bindparam("now")))


def seats_taken(retreat_id: int, *, now: datetime | None = None) -> int:
    return db.session.execute(
        _SEATS_TAKEN, {"retreat_id": retreat_id, "now": now or utcnow()}
    ).scalar_one()


def seats_left(retreat, *, now: datetime | None = None) -> int:
    return max(retreat.capacity - seats_taken(retreat.id, now=now), 0)


def tickets_taken(retreat_id: int, *, now: datetime | None = None) -> dict[int, int]:
    """Per ticket type of one retreat, how many of its tickets are confirmed or held.

    A ticket type's optional `quantity_limit` caps this number (e.g. five early-bird tickets).
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(Booking.ticket_type_id, func.count())
        .where(Booking.retreat_id == retreat_id, holds_its_seats(now))
        .group_by(Booking.ticket_type_id)
    )
    return {ticket_type_id: count for ticket_type_id, count in rows}


def ticket_limit_reached(ticket: TicketType, taken: dict[int, int]) -> bool:
    """All of this ticket type's `quantity_limit` tickets are taken (`taken`: tickets_taken)."""
    return ticket.quantity_limit is not None and taken.get(ticket.id, 0) >= ticket.quantity_limit


def tickets_for_sale(retreat: Retreat, *, now: datetime) -> list[TicketType]:
    """The retreat's ticket types a visitor can choose now: on sale, and not all taken."""
    on_sale = [ticket for ticket in retreat.ticket_types if ticket.on_sale_at(now)]
    if all(ticket.quantity_limit is None for ticket in on_sale):
        return on_sale
    taken = tickets_taken(retreat.id, now=now)
    return [ticket for ticket in on_sale if not ticket_limit_reached(ticket, taken)]
