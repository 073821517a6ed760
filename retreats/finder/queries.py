"""The finder's one read: upcoming listings a visitor could book, and the recommendations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from retreats.booking.availability import Listing
from retreats.booking.capacity import seats_taken_subquery
from retreats.catalog.queries import lowest_price_subquery, upcoming
from retreats.extensions import db
from retreats.finder.scoring import (
    AUDIENCES,
    SEATS_PER_TICKET,
    Answers,
    Match,
    Scores,
    match,
    score,
)
from retreats.listings.models import Retreat

# However many retreats are coming up, the finder looks at no more than the soonest this many.
MAX_CANDIDATES = 500


def candidate_listings(company: str, *, now: datetime) -> list[Listing]:
    """Published, not started, open to how they come, with their ticket and seats: one query.

    A listing's `lowest_price_minor` is that of the cheapest ticket of the visitor's kind.
    """
    seats = SEATS_PER_TICKET[company]
    taken = seats_taken_subquery(Retreat.id, now=now)
    price = lowest_price_subquery(now, seats_per_ticket=seats)
    rows = db.session.execute(
        select(Retreat, taken.label("seats_taken"), price.label("ticket_price"))
        .where(
            *upcoming(now),
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
