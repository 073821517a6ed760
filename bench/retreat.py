"""The retreat the burst books, made with the app's own models, and what the database says after.

The bench process builds its own app (no server) only to write and read the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from retreats import create_app
from retreats.booking.capacity import seats_taken
from retreats.booking.models import Booking
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import (
    Audience,
    Focus,
    Retreat,
    RetreatKind,
    RetreatStatus,
    TicketType,
)
from retreats.organizer.accounts.models import Organizer

from .stack import BENCH_SECRET_KEY

SLUG = "burst-bench-retreat"


@dataclass(frozen=True)
class BenchRetreat:
    id: int
    slug: str
    capacity: int
    ticket_ids: dict[int, int]  # seats per ticket (1 or 2) → ticket type id


def database_app(database_url: str) -> Flask:
    # The servers' SECRET_KEY: without INTAKE_ENCRYPTION_KEYS the intake answers' key derives
    # from it, and the servers must read what this app writes.
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": BENCH_SECRET_KEY})


def published_retreat(
    *, slug: str, title: str, starts_at, organizer: Organizer, capacity: int, **fields
) -> Retreat:
    """A published weekend retreat in Sintra, priced in EUR: every bench's retreat, with
    `fields` (summary, ticket types, kind …) for what the bench at hand needs."""
    return Retreat(
        **{
            "slug": slug,
            "title": title,
            "kind": RetreatKind.RETREAT,
            "focus": Focus.EMOTIONAL,
            "audience": Audience.EVERYONE,
            "summary": "A retreat made for a benchmark.",
            "description_md": "Made by `python -m bench`.",
            "venue": "Quinta do Vale",
            "city": "Sintra",
            "country": "Portugal",
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(days=2),
            "timezone": "Europe/Lisbon",
            "capacity": capacity,
            "currency": "EUR",
            "status": RetreatStatus.PUBLISHED,
            "organizer": organizer,
            **fields,
        }
    )


def individual_and_couple_tickets() -> list[TicketType]:
    return [
        TicketType(name="Individual", price_minor=25_000, seats_per_ticket=1, position=0),
        TicketType(name="Couple (2 people)", price_minor=45_000, seats_per_ticket=2, position=1),
    ]


def create_bench_retreat(app: Flask, *, seats: int) -> BenchRetreat:
    """One organizer and one published retreat in 30 days with an individual and a couple ticket."""
    with app.app_context():
        starts_at = (utcnow() + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
        retreat = published_retreat(
            slug=SLUG,
            title="Burst Bench Couples Weekend",
            starts_at=starts_at,
            organizer=Organizer(email="bench-host@example.org", name="Bench Host"),
            capacity=seats,
            summary="The retreat the booking burst benchmark fights over.",
            ticket_types=individual_and_couple_tickets(),
        )
        db.session.add(retreat)
        db.session.commit()
        return BenchRetreat(
            id=retreat.id,
            slug=retreat.slug,
            capacity=retreat.capacity,
            ticket_ids={ticket.seats_per_ticket: ticket.id for ticket in retreat.ticket_types},
        )


def seats_taken_now(app: Flask, retreat_id: int) -> int:
    """Confirmed plus live pending seats: the app's own definition (booking/capacity.py)."""
    with app.app_context():
        return seats_taken(retreat_id)


def bookings_by_status(app: Flask, retreat_id: int) -> Counter[str]:
    with app.app_context():
        rows = db.session.execute(
            select(Booking.status, func.count())
            .where(Booking.retreat_id == retreat_id)
            .group_by(Booking.status)
        ).all()
        return Counter({str(status): count for status, count in rows})


def close_connections(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()
