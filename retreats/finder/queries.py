"""The finder's one read: upcoming listings a visitor could book, and the recommendations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from ..booking.capacity import seats_taken_subquery
from ..catalog.models import Retreat, RetreatStatus, TicketType
from ..catalog.queries import Listing
from ..extensions import db
from .scoring import AUDIENCES, SEATS_PER_TICKET, Answers, Match, Scores, match, score

# However many retreats are coming up, the finder looks at no more than the soonest this many.
MAX_CANDIDATES = 500


def fitting_ticket_price_subquery(seats_per_ticket: int, now: datetime):
    """The cheapest ticket on sale now for one person (1) or a couple (2)."""
    return (
        select(func.min(TicketType.price_minor))
        .where(
            TicketType.retreat_id == Retreat.id,
            TicketType.seats_per_ticket == seats_per_ticket,
            or_(TicketType.sale_starts_at.is_(None), TicketType.sale_starts_at <= now),
            or_(TicketType.sale_ends_at.is_(None), TicketType.sale_ends_at > now),
        )
        .scalar_subquery()
    )


def candidate_listings(company: str, *, now: datetime) -> list[Listing]:
    """Published, not started, open to how they come, with their ticket and seats: one query.

    A listing's `lowest_price_minor` is that of the cheapest ticket of the visitor's kind.
    """
    seats = SEATS_PER_TICKET[company]
    taken = seats_taken_subquery(Retreat.id, now=now)
    price = fitting_ticket_price_subquery(seats, now)
    rows = db.session.execute(
        select(Retreat, taken.label("seats_taken"), price.label("ticket_price"))
        .where(
            Retreat.status == RetreatStatus.PUBLISHED,
            Retreat.starts_at > now,
            Retreat.audience.in_(AUDIENCES[company]),
            price.is_not(None),
            Retreat.capacity - taken >= seats,
        )
        .order_by(Retreat.starts_at, Retreat.id)
        .limit(MAX_CANDIDATES)
    ).all()
    return [
        Listing(
            retreat=retreat, seats_left=max(retreat.capacity - taken, 0), lowest_price_minor=low
        )
        for retreat, taken, low in rows
    ]


def recommendations_for(answers: Answers, *, now: datetime) -> tuple[Scores, Match]:
    """The visitor's four scores and the listings that fit them best."""
    scores = score(answers)
    return scores, match(answers, scores, candidate_listings(answers.company, now=now), now=now)
