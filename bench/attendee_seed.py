"""A retreat with thousands of confirmed bookings, written in bulk with PostgreSQL's COPY.

Every third booking is a couple on the couple ticket. The retreat asks the four questions every
retreat starts with (dietary needs, and private: accessibility needs, an emergency contact,
hopes), answered as real people do (most leave accessibility needs empty), and ten questions of
its own, three of them private, which every booking answers (bench/attendee_questions.py). The
organizer has a password, so a signed session cookie for them is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import Table
from werkzeug.security import generate_password_hash

from retreats.booking.models import Answer, Attendee, Booking, BookingStatus
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat, TicketType
from retreats.listings.questions import Question
from retreats.organizer.accounts.models import Organizer
from retreats.payments.models import Payment, PaymentKind, PaymentStatus

from .attendee_questions import ANSWER_COLUMNS, add_questions, answer_rows
from .retreat import individual_and_couple_tickets, published_retreat

FIRST_NAMES = [
    "Ana",
    "Bruno",
    "Carla",
    "Duarte",
    "Eva",
    "Filipe",
    "Gita",
    "Hugo",
    "Inês",
    "João",
    "Kofi",
    "Lena",
    "Marta",
    "Nuno",
    "Olga",
    "Pedro",
    "Quinn",
    "Rita",
    "Sam",
    "Tiago",
]
LAST_NAMES = [
    "Silva",
    "Santos",
    "Ferreira",
    "Pereira",
    "Oliveira",
    "Costa",
    "Rodrigues",
    "Martins",
    "Jesus",
    "Sousa",
    "Fernandes",
    "Gonçalves",
    "Müller",
    "O'Brien",
]


@dataclass(frozen=True)
class CrowdedRetreat:
    id: int
    organizer_id: int
    organizer_session_id: str  # what Flask-Login keeps in the session: "<id>:<fingerprint>"


def create_crowded_retreat(app: Flask) -> CrowdedRetreat:
    """An organizer with a password and one published retreat with room for everyone, asking
    the four starting questions and ten of its own."""
    with app.app_context():
        starts_at = (utcnow() + timedelta(days=60)).replace(minute=0, second=0, microsecond=0)
        organizer = Organizer(
            email="attendees-bench-host@example.org",
            name="Attendees Bench Host",
            password_hash=generate_password_hash("attendees bench password, never used"),
        )
        retreat = published_retreat(
            slug="attendees-bench-festival",
            title="Closer Together Festival",
            starts_at=starts_at,
            organizer=organizer,
            capacity=100_000,
            summary="A very large gathering, for the attendee list benchmark.",
            venue="Parque das Nações",
            city="Lisbon",
            ends_at=starts_at + timedelta(days=3),
            ticket_types=individual_and_couple_tickets(),
        )
        db.session.add(retreat)
        add_questions(retreat)
        db.session.commit()
        return CrowdedRetreat(
            id=retreat.id, organizer_id=organizer.id, organizer_session_id=organizer.get_id()
        )


def add_confirmed_bookings(app: Flask, retreat_id: int, *, first: int, count: int) -> int:
    """Bookings number `first` to `first + count - 1`, confirmed, each answering the retreat's
    questions; how many people they hold.

    Values pass through their columns' own types on the way in (UTC timestamps, enums and
    whatever else a column's type does to what it stores), as an INSERT through the ORM would.
    """
    with app.app_context():
        tickets = {
            ticket.seats_per_ticket: ticket
            for ticket in db.session.get(Retreat, retreat_id).ticket_types
        }
        questions = list(
            db.session.scalars(
                db.select(Question).where(Question.retreat_id == retreat_id).order_by(Question.id)
            )
        )
        numbers = range(first, first + count)
        now = utcnow()
        connection = db.session.connection()
        as_booking = _stored_form(Booking.__table__, BOOKING_COLUMNS, connection.dialect)
        as_person = _stored_form(Attendee.__table__, PERSON_COLUMNS, connection.dialect)
        as_payment = _stored_form(Payment.__table__, PAYMENT_COLUMNS, connection.dialect)
        # The private answers go through their column's type: encrypted as the app stores them.
        as_answer = _stored_form(Answer.__table__, ANSWER_COLUMNS, connection.dialect)
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY bookings ({', '.join(BOOKING_COLUMNS)}) FROM STDIN") as copy:
                for number in numbers:
                    ticket = tickets[2 if number % 3 == 0 else 1]
                    copy.write_row(as_booking(_booking(retreat_id, ticket, number, now)))
            cursor.execute(
                "SELECT id, seats FROM bookings WHERE retreat_id = %s AND reference >= %s"
                " AND reference <= %s ORDER BY reference",
                (retreat_id, _reference(numbers[0]), _reference(numbers[-1])),
            )
            booked = cursor.fetchall()
            people = 0
            with cursor.copy(f"COPY attendees ({', '.join(PERSON_COLUMNS)}) FROM STDIN") as copy:
                for number, (booking_id, seats) in zip(numbers, booked, strict=True):
                    for position in range(seats):
                        copy.write_row(as_person(_person(booking_id, number, position, now)))
                        people += 1
            with cursor.copy(f"COPY payments ({', '.join(PAYMENT_COLUMNS)}) FROM STDIN") as copy:
                for number, (booking_id, _seats) in zip(numbers, booked, strict=True):
                    ticket = tickets[2 if number % 3 == 0 else 1]
                    copy.write_row(as_payment(_payment(booking_id, ticket, number, now)))
            cursor.execute(
                "SELECT booking_id, id FROM attendees WHERE booking_id = ANY(%s)"
                " ORDER BY booking_id, position",
                ([booking_id for booking_id, _seats in booked],),
            )
            attendee_ids: dict[int, list[int]] = {}
            for booking_id, attendee_id in cursor.fetchall():
                attendee_ids.setdefault(booking_id, []).append(attendee_id)
            with cursor.copy(f"COPY answers ({', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy:
                for number, (booking_id, _seats) in zip(numbers, booked, strict=True):
                    rows = answer_rows(questions, booking_id, attendee_ids[booking_id], number, now)
                    for row in rows:
                        copy.write_row(as_answer(row))
            # Fresh planner statistics, as autovacuum would soon gather on a real database.
            cursor.execute("ANALYZE bookings, attendees, payments, answers")
        db.session.commit()
    return people


def _stored_form(table: Table, columns: list[str], dialect) -> Callable[[tuple], tuple]:
    """Python values → what the columns' types send to the database."""
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]

    def convert(values: tuple) -> tuple:
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(processors, values, strict=True)
        )

    return convert


BOOKING_COLUMNS = [
    "version",
    "reference",
    "token_hash",
    "retreat_id",
    "ticket_type_id",
    "status",
    "seats",
    "amount_minor",
    "currency",
    "contact_name",
    "contact_email",
    "hold_expires_at",
    "created_at",
    "updated_at",
    "confirmed_at",
]
PAYMENT_COLUMNS = [
    "booking_id",
    "kind",
    "status",
    "amount_minor",
    "currency",
    "stripe_checkout_session_id",
    "stripe_payment_intent_id",
    "note",
    "created_at",
    "succeeded_at",
]
PERSON_COLUMNS = [
    "booking_id",
    "position",
    "name",
    "email",
    "code_of_conduct_accepted_at",
    "checked_in_at",
]


def _reference(number: int) -> str:
    return f"RB-A{number:07d}"


def _name(number: int, position: int) -> str:
    first = FIRST_NAMES[(number * 7 + position * 3) % len(FIRST_NAMES)]
    return f"{first} {LAST_NAMES[number % len(LAST_NAMES)]}"


def _booking(retreat_id: int, ticket: TicketType, number: int, now: datetime) -> tuple:
    booked_at = now - timedelta(days=30) + timedelta(seconds=number * 7)
    return (
        1,
        _reference(number),
        f"{retreat_id:032d}{number:032d}",
        retreat_id,
        ticket.id,
        BookingStatus.CONFIRMED,
        ticket.seats_per_ticket,
        ticket.price_minor,
        "EUR",
        _name(number, 0),
        f"guest{number:07d}@example.org",
        booked_at + timedelta(minutes=30),
        booked_at,
        booked_at,
        booked_at + timedelta(minutes=3),
    )


def _payment(booking_id: int, ticket: TicketType, number: int, now: datetime) -> tuple:
    """The whole price, paid through Checkout three minutes after booking."""
    paid_at = now - timedelta(days=30) + timedelta(seconds=number * 7, minutes=3)
    return (
        booking_id,
        PaymentKind.FULL,
        PaymentStatus.SUCCEEDED,
        ticket.price_minor,
        "EUR",
        f"cs_bench_{booking_id}",
        f"pi_bench_{booking_id}",
        "",
        paid_at,
        paid_at,
    )


def _person(booking_id: int, number: int, position: int, now: datetime) -> tuple:
    seed = number * 2 + position
    return (
        booking_id,
        position,
        _name(number, position),
        f"guest{number:07d}.{position}@example.org",
        now - timedelta(days=30),
        now if seed % 11 == 0 else None,
    )
