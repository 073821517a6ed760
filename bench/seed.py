"""Benchmark data made with the app's own models: many published retreats, each partly booked."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from retreats.booking.models import Attendee, Booking, BookingStatus
from retreats.booking.pricing import booking_lines, price_booking
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Audience, Focus, Retreat, RetreatKind, TicketType
from retreats.organizer.accounts.models import Organizer

from .retreat import published_retreat

BOOKINGS_PER_RETREAT = 6
DESCRIPTION = """\
A weekend to slow down together. Mornings open with **breath and stillness**, afternoons are for
guided conversations, and evenings are yours.

- Arrival on Friday from 16:00
- Shared meals, vegetarian by default
- Small group: at most 24 people
"""


def seed_published_retreats(app: Flask, *, count: int, first_number: int = 0) -> list[str]:
    """`count` upcoming published retreats, one a day from tomorrow on; their slugs in order."""
    focuses, kinds, audiences = list(Focus), list(RetreatKind), list(Audience)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    slugs = []
    with app.app_context():
        organizer = db.session.scalar(db.select(Organizer).limit(1)) or Organizer(
            email="bench-organizer@example.org", name="Bench Organizer"
        )
        for number in range(first_number, first_number + count):
            starts_at = now + timedelta(days=1 + number, hours=15)
            retreat = published_retreat(
                slug=f"bench-retreat-{number:04d}",
                title=f"Closer Together Weekend {number}",
                starts_at=starts_at,
                organizer=organizer,
                capacity=24,
                kind=kinds[number % len(kinds)],
                focus=focuses[number % len(focuses)],
                audience=audiences[number % len(audiences)],
                summary="Two days of gentle practices for couples and people coming alone.",
                description_md=DESCRIPTION,
                ticket_types=[
                    TicketType(name="Early bird", price_minor=19_000, seats_per_ticket=1,
                               position=0, sale_ends_at=now + timedelta(days=number % 9 + 1)),
                    TicketType(name="Individual", price_minor=25_000, seats_per_ticket=1,
                               position=1),
                    TicketType(name="Couple", price_minor=45_000, seats_per_ticket=2, position=2),
                ],
            )  # fmt: skip
            db.session.add(retreat)
            db.session.flush()
            db.session.add_all(_bookings(retreat, now))
            slugs.append(retreat.slug)
        db.session.commit()
        vacuum_analyze()
    return slugs


def vacuum_analyze() -> None:
    """Fresh planner statistics now, so autovacuum does not wake up in the middle of a measure."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def _bookings(retreat: Retreat, now) -> list[Booking]:
    ticket = retreat.ticket_types[1]
    return [
        Booking(
            reference=f"B{retreat.id:05d}{n:02d}",
            token_hash=f"{retreat.id:032d}{n:032d}",
            retreat=retreat,
            ticket_type=ticket,
            status=BookingStatus.CONFIRMED,
            seats=1,
            amount_minor=ticket.price_minor,
            lines=booking_lines(price_booking(currency="EUR", ticket=ticket)),
            currency="EUR",
            contact_name=f"Guest {n}",
            contact_email=f"guest{n}.{retreat.id}@example.org",
            hold_expires_at=now,
            confirmed_at=now,
            attendees=[Attendee(name=f"Guest {n}", code_of_conduct_accepted_at=now)],
        )
        for n in range(BOOKINGS_PER_RETREAT)
    ]
