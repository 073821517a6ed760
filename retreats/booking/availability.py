"""One published retreat as the public sees it: its tickets on sale and the seats left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from retreats.booking.capacity import seats_taken_subquery
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat, RetreatStatus


@dataclass(frozen=True)
class Listing:
    """A published retreat with what is left of it: seats, and the cheapest ticket on sale."""

    retreat: Retreat
    seats_left: int
    lowest_price_minor: int | None
    # When the soonest-ending early-bird price on sale now stops selling (None: no early bird).
    early_bird_until: datetime | None = None

    @property
    def sold_out(self) -> bool:
        return self.seats_left <= 0


# Built once, run with parameters (see capacity.py): these run on every booking page. The ticket
# types come in the same statement (a retreat has a handful): one round trip, not two.
_PUBLISHED = (
    select(Retreat)
    .where(Retreat.slug == bindparam("slug"), Retreat.status != RetreatStatus.DRAFT)
    .options(joinedload(Retreat.ticket_types))
)
_PUBLISHED_WITH_SEATS_TAKEN = _PUBLISHED.add_columns(
    seats_taken_subquery(Retreat.id, now=bindparam("now"))
)


def published_retreat(slug: str) -> Retreat | None:
    """A published retreat (past ones included) with its ticket types, without counting seats:
    for a booking POST, whose hold counts them under the lock anyway."""
    return db.session.execute(_PUBLISHED, {"slug": slug}).unique().scalar_one_or_none()


def published_listing(slug: str, *, now: datetime | None = None) -> Listing | None:
    """A published retreat with its tickets and seats left, or None (past ones included)."""
    now = now or utcnow()
    row = (
        db.session.execute(_PUBLISHED_WITH_SEATS_TAKEN, {"slug": slug, "now": now}).unique().first()
    )
    if row is None:
        return None
    retreat, taken = row
    on_sale = [ticket for ticket in retreat.ticket_types if ticket.on_sale_at(now)]
    sale_ends = [ticket.sale_ends_at for ticket in on_sale if ticket.sale_ends_at]
    return Listing(
        retreat=retreat,
        seats_left=max(retreat.capacity - taken, 0),
        lowest_price_minor=min(t.price_minor for t in on_sale) if on_sale else None,
        early_bird_until=min(sale_ends) if sale_ends else None,
    )
