"""A discount code used on a hold: found, checked, and its uses counted under the code's lock,
so a code with 5 uses left is never used 6 times, even by holds of different retreats at once.

A use is a booking that carries the code and holds its seats (confirmed, or pending with a live
hold): a booking cancelled or expired gives its use back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select

from retreats.booking.capacity import holds_its_seats
from retreats.booking.models import Booking
from retreats.database import lock_row
from retreats.discounts.models import DiscountCode
from retreats.discounts.rules import FIELD, check_code_applies, code_named
from retreats.errors import DomainError, SoldOut
from retreats.extensions import db
from retreats.listings.models import Retreat, RoomType, TicketType


def code_uses(code_id: int, *, now: datetime, email: str | None = None) -> int:
    """The bookings holding their seats with this code (with `email`: of that contact email)."""
    statement = select(func.count()).where(
        Booking.discount_code_id == bindparam("code_id"), holds_its_seats(now)
    )
    if email is not None:
        statement = statement.where(func.lower(Booking.contact_email) == email.lower())
    return db.session.execute(statement, {"code_id": code_id}).scalar_one()


def apply_discount_code(
    text: str,
    *,
    retreat: Retreat,
    ticket: TicketType,
    room_type: RoomType | None,
    contact_email: str,
    now: datetime,
    lock_timeout_ms: int,
) -> DiscountCode:
    """The code `text` names, if it applies to this booking and has uses left, counted under
    its row lock (taken after the retreat's, as every hold takes them); DomainError beside the
    field else. Call inside the hold's transaction: the lock lasts until it commits."""
    code = lock_row(
        DiscountCode, code_named(retreat.organizer_id, text).id, timeout_ms=lock_timeout_ms
    )
    check_code_applies(code, retreat=retreat, ticket=ticket, room_type=room_type, now=now)
    if code.max_uses is not None and code_uses(code.id, now=now) >= code.max_uses:
        raise SoldOut("This code has been used as many times as it may be.", field=FIELD)
    if code.max_uses_per_email is not None:
        used = code_uses(code.id, now=now, email=contact_email)
        if used >= code.max_uses_per_email:
            raise DomainError("This code was already used with this email address.", field=FIELD)
    return code
