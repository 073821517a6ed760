"""Reading a retreat's attendee list: which bookings a filter picks, and the figures above it.

Every function here runs a fixed number of SQL statements whatever the number of bookings, and
the list is read one page of bookings at a time, so the list page stays quick and small for a
retreat of thousands of people (the export streams them all, in batches).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload, with_expression

from retreats.base.outbox import OutboxEmail
from retreats.booking.models import Attendee, Booking, BookingStatus
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat, RoomType, TicketType
from retreats.notifications.messages import Message, build_message
from retreats.notifications.models import AttendeeMessage
from retreats.organizer.attendees.answers import AnswerFilter, answer_filter_clause, answers_loader
from retreats.payments.ledger import paid_sum, refunded_sum

# The status filter's choices, in the order the page offers them; "all" means no filter, and
# "overdue" the confirmed bookings whose balance is due and not paid.
OVERDUE = "overdue"
STATUS_CHOICES = ("confirmed", OVERDUE, "pending", "cancelled", "expired", "all")
DEFAULT_STATUS = "confirmed"
LIKE_ESCAPE = "\\"
# Bookings per page of the list: a couple is one booking, so partners are never split by a page.
PAGE_SIZE = 100


@dataclass(frozen=True)
class AttendeeFilter:
    """Which bookings to show: a status ("all" for every one, "overdue" for the confirmed ones
    whose balance is past due and unpaid), a search text, and answers chosen to ordinary choice
    questions (answers.py)."""

    status: str = DEFAULT_STATUS
    search: str = ""
    answers: tuple[AnswerFilter, ...] = ()

    def describe(self) -> str:
        """The filter in words, for audit entries:
        'status=confirmed, search="ada", "Experience"="None yet"'."""
        words = [f"status={self.status}"]
        if self.search:
            words.append(f'search="{self.search}"')
        words += [f'"{chosen.label}"="{chosen.option}"' for chosen in self.answers]
        return ", ".join(words)

    def answer_parameters(self) -> dict[str, str]:
        """The answer filters as the query string carries them: {"answer-7": "None yet"}."""
        return {chosen.parameter: chosen.option for chosen in self.answers}


@dataclass(frozen=True)
class AttendeeCounts:
    confirmed_bookings: int
    confirmed_seats: int
    checked_in: int
    listed_bookings: int  # the bookings the filter picks, over every page

    @property
    def pages(self) -> int:
        """How many pages the filtered list fills; an empty list is one (empty) page."""
        return max(1, -(-self.listed_bookings // PAGE_SIZE))


def like_pattern(text: str) -> str:
    """Search text → a LIKE pattern matching it anywhere, with its own % and _ taken literally."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
    escaped = escaped.replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def balance_overdue_clause(now: datetime):
    """Confirmed, its balance due by `now`, and less paid than its price: what
    balance_collection.is_overdue says of one booking, in SQL."""
    return and_(
        Booking.status == BookingStatus.CONFIRMED,
        Booking.balance_due_at <= now,
        Booking.amount_minor > paid_sum(Booking.id),
    )


def _filtered(statement: Select, retreat_id: int, chosen: AttendeeFilter) -> Select:
    statement = statement.where(Booking.retreat_id == retreat_id)
    if chosen.status == OVERDUE:
        statement = statement.where(balance_overdue_clause(utcnow()))
    elif chosen.status != "all":
        statement = statement.where(Booking.status == BookingStatus(chosen.status))
    if chosen.search:
        pattern = like_pattern(chosen.search)
        # ILIKE on PostgreSQL, lower() LIKE lower() on SQLite: case-insensitive on both.
        person_matches = Booking.attendees.any(
            or_(
                Attendee.name.ilike(pattern, escape=LIKE_ESCAPE),
                Attendee.email.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
        statement = statement.where(
            or_(
                Booking.contact_name.ilike(pattern, escape=LIKE_ESCAPE),
                Booking.contact_email.ilike(pattern, escape=LIKE_ESCAPE),
                person_matches,
            )
        )
    for chosen_answer in chosen.answers:
        statement = statement.where(answer_filter_clause(chosen_answer))
    return statement


def listed_bookings(
    retreat_id: int, chosen: AttendeeFilter, *, page: int = 1, with_private: bool = False
) -> list[Booking]:
    """A page of the bookings the filter picks, oldest first, with people, ticket, room type,
    the lines each was priced at and their answers (the private ones only `with_private`): 3
    queries (the lines are joined to the limited page of bookings, which SQLAlchemy then reads
    in a subquery; people and answers come in one more each).

    A search that matches one person of a couple still shows the whole booking, so partners
    stay together.
    """
    statement = (
        _filtered(
            select(Booking).options(
                selectinload(Booking.attendees),
                answers_loader(with_private=with_private),
                joinedload(Booking.ticket_type),
                joinedload(Booking.room_type),
                joinedload(Booking.lines),
                with_expression(Booking.paid_in_statement, paid_sum(Booking.id)),
                with_expression(Booking.refunded_in_statement, refunded_sum(Booking.id)),
            ),
            retreat_id,
            chosen,
        )
        .order_by(Booking.created_at, Booking.id)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    return list(db.session.execute(statement).unique().scalars())


def attendee_counts(retreat_id: int, chosen: AttendeeFilter) -> AttendeeCounts:
    """Confirmed bookings, their seats and check-ins, and the bookings the filter picks: 1 query."""
    confirmed = (Booking.retreat_id == retreat_id) & (Booking.status == BookingStatus.CONFIRMED)
    bookings = select(func.count(Booking.id)).where(confirmed).scalar_subquery()
    seats = select(func.coalesce(func.sum(Booking.seats), 0)).where(confirmed).scalar_subquery()
    checked_in = (
        select(func.count(Attendee.id))
        .join(Attendee.booking)
        .where(confirmed, Attendee.checked_in_at.is_not(None))
        .scalar_subquery()
    )
    listed = _filtered(select(func.count(Booking.id)), retreat_id, chosen).scalar_subquery()
    row = db.session.execute(select(bookings, seats, checked_in, listed)).one()
    return AttendeeCounts(*row)


def export_statement(retreat_id: int, chosen: AttendeeFilter, *, include_private: bool) -> Select:
    """One row per person for the CSV: plain columns, so it can be read in batches. The room
    share wish only `include_private`: otherwise it is not read (nor decrypted) at all."""
    private = [Booking.room_share_with] if include_private else []
    return _filtered(
        select(
            Booking.id.label("booking_id"),
            Booking.reference,
            Booking.status,
            TicketType.name.label("ticket"),
            Booking.room_type_id,
            RoomType.name.label("room_type"),
            Booking.takes_whole_room,
            Booking.room_label,
            Booking.contact_name,
            Booking.contact_email,
            Booking.amount_minor,
            paid_sum(Booking.id).label("paid_minor"),
            refunded_sum(Booking.id).label("refunded_minor"),
            Booking.currency,
            Attendee.id.label("attendee_id"),
            Attendee.position,
            Attendee.name,
            Attendee.email,
            Attendee.checked_in_at,
            *private,
        )
        .join(Attendee, Attendee.booking_id == Booking.id)
        .join(TicketType, TicketType.id == Booking.ticket_type_id)
        .outerjoin(RoomType, RoomType.id == Booking.room_type_id),
        retreat_id,
        chosen,
    ).order_by(Booking.created_at, Booking.id, Attendee.position)


def emails_for_booking(booking_id: int) -> list[OutboxEmail]:
    """Every email written for one booking, newest first."""
    return list(
        db.session.execute(
            select(OutboxEmail)
            .where(OutboxEmail.booking_id == booking_id)
            .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        ).scalars()
    )


def confirmed_recipients(retreat_id: int) -> int:
    """How many emails a message to every confirmed booking would send (one per booking)."""
    return db.session.execute(
        select(func.count(Booking.id)).where(
            Booking.retreat_id == retreat_id, Booking.status == BookingStatus.CONFIRMED
        )
    ).scalar_one()


def message_preview(retreat: Retreat, *, subject: str, body: str) -> Message:
    """The message as an attendee will get it, rendered for a sample booking.

    Never for a real booking: its email carries the booking's secret manage link, which is the
    attendee's alone. Built from objects that are never added to the session, so a preview
    writes nothing.
    """
    sample = Booking(
        reference="RB-SAMPLE",
        retreat=retreat,
        currency=retreat.currency,
        contact_name="The person who booked",
        contact_email="the.person.who.booked@example.org",
    )
    draft = OutboxEmail(
        kind="organizer_message",
        to_address=sample.contact_email,
        booking=sample,
        attendee_message=AttendeeMessage(retreat=retreat, subject=subject, body=body),
    )
    return build_message(draft)
