"""The dashboard's figures: per retreat, seats confirmed and held, revenue, balances owed (not
yet due, and overdue), refunds of offline money the organizer still has to return, waitlist,
emails that could not be delivered, and how full each room type is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from retreats.booking.capacity import seats_taken_subquery
from retreats.booking.inventory import room_occupancy
from retreats.booking.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from retreats.extensions import db
from retreats.listings.models import Retreat, RoomType
from retreats.notifications.retry import failed_emails_per_retreat
from retreats.organizer.access import manages_retreat_clause
from retreats.organizer.accounts.models import Organizer
from retreats.payments.ledger import paid_sum, refunded_sum, unpaid_sum
from retreats.payments.models import Refund, RefundStatus


@dataclass(frozen=True)
class RoomUse:
    room_type: RoomType
    taken: int
    total: int

    @property
    def unit(self) -> str:
        return "beds" if self.room_type.shared else "rooms"


@dataclass(frozen=True)
class RetreatSummary:
    retreat: Retreat
    seats_confirmed: int
    seats_held: int
    revenue_minor: int  # paid and not given back
    outstanding_minor: int  # owed by confirmed bookings whose balance is not due yet
    overdue_minor: int  # owed by confirmed bookings whose balance is past its due date
    waiting: int
    failed_emails: int
    # Confirmed, held and offered to the waitlist: booking.capacity's one definition.
    seats_taken: int
    # Refunds of money paid offline that the organizer has still to give back by hand: how
    # many, how much, and the booking when they are all one booking's (else None).
    refunds_to_return: int
    to_return_minor: int
    to_return_booking_id: int | None
    # Each room type with what is taken or held of it and what there is: beds of a shared
    # room type, rooms of a private one (booking.inventory's counts).
    rooms: list[RoomUse] = field(default_factory=list)

    @property
    def seats_free(self) -> int:
        return max(self.retreat.capacity - self.seats_taken, 0)

    def percent(self, seats: int) -> int:
        capacity = self.retreat.capacity
        return min(round(100 * seats / capacity), 100) if capacity else 0


def retreat_summaries(organizer: Organizer, *, now: datetime) -> list[RetreatSummary]:
    """Every retreat the organizer manages, upcoming first (soonest first), then past ones."""
    confirmed = Booking.status == BookingStatus.CONFIRMED
    held = and_(Booking.status == BookingStatus.PENDING, Booking.hold_expires_at > now)
    # Money kept: what was paid, less what went back, for bookings that were ever confirmed.
    kept = Booking.confirmed_at.is_not(None)
    # What confirmed bookings owe (booking.models.owed), before and after its due date.
    owed = unpaid_sum(Booking.id, Booking.amount_minor)
    past_due = and_(confirmed, Booking.balance_due_at <= now)
    not_yet_due = and_(
        confirmed, or_(Booking.balance_due_at.is_(None), Booking.balance_due_at > now)
    )
    bookings = (
        select(
            Booking.retreat_id,
            func.sum(case((confirmed, Booking.seats), else_=0)).label("confirmed"),
            func.sum(case((held, Booking.seats), else_=0)).label("held"),
            func.sum(case((kept, paid_sum(Booking.id) - refunded_sum(Booking.id)), else_=0)).label(
                "revenue"
            ),
            func.sum(case((not_yet_due, owed), else_=0)).label("outstanding"),
            func.sum(case((past_due, owed), else_=0)).label("overdue"),
        )
        .group_by(Booking.retreat_id)
        .subquery()
    )
    waitlist = (
        select(WaitlistEntry.retreat_id, func.count().label("waiting"))
        .where(WaitlistEntry.status == WaitlistStatus.WAITING)
        .group_by(WaitlistEntry.retreat_id)
        .subquery()
    )
    failed = failed_emails_per_retreat()
    to_return = _refunds_to_return_per_retreat()
    upcoming = Retreat.ends_at > now
    rows = db.session.execute(
        select(
            Retreat,
            func.coalesce(bookings.c.confirmed, 0),
            func.coalesce(bookings.c.held, 0),
            func.coalesce(bookings.c.revenue, 0),
            func.coalesce(bookings.c.outstanding, 0),
            func.coalesce(bookings.c.overdue, 0),
            func.coalesce(waitlist.c.waiting, 0),
            func.coalesce(failed.c.failed, 0),
            seats_taken_subquery(Retreat.id, now=now),
            func.coalesce(to_return.c.refunds, 0),
            func.coalesce(to_return.c.amount, 0),
            case(
                (to_return.c.first_booking == to_return.c.last_booking, to_return.c.first_booking)
            ),
        )
        .outerjoin(bookings, bookings.c.retreat_id == Retreat.id)
        .outerjoin(waitlist, waitlist.c.retreat_id == Retreat.id)
        .outerjoin(failed, failed.c.retreat_id == Retreat.id)
        .outerjoin(to_return, to_return.c.retreat_id == Retreat.id)
        .where(manages_retreat_clause(organizer))
        .order_by(
            case((upcoming, 0), else_=1),
            case((upcoming, Retreat.starts_at), else_=None),
            Retreat.starts_at.desc(),
        )
    ).all()
    # One more query for the room types of all these retreats, however many there are.
    rooms = room_occupancy([row[0].id for row in rows], now=now)
    return [
        RetreatSummary(*row, rooms=[RoomUse(*use) for use in rooms.get(row[0].id, [])])
        for row in rows
    ]


def _refunds_to_return_per_retreat():
    """Per retreat, the refunds waiting for the organizer to give money paid offline back by
    hand (few rows, found through the refunds' status index): a subquery of the one statement."""
    return (
        select(
            Booking.retreat_id,
            func.count(Refund.id).label("refunds"),
            func.sum(Refund.amount_minor).label("amount"),
            func.min(Booking.id).label("first_booking"),
            func.max(Booking.id).label("last_booking"),
        )
        .join(Booking, Booking.id == Refund.booking_id)
        .where(Refund.status == RefundStatus.BY_ORGANIZER)
        .group_by(Booking.retreat_id)
        .subquery()
    )
