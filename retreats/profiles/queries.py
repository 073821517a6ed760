"""What an organizer's public page and widget show, each in at most three SQL statements: the
organizer (with their facilitators), their upcoming listings, and where a listing needs a room,
the "from" prices with one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select

from retreats.booking.availability import Listing
from retreats.catalog.queries import listings_from, listings_statement, upcoming
from retreats.extensions import db
from retreats.listings.hosts import Facilitator
from retreats.listings.models import Retreat
from retreats.organizer.access import managed_owner_ids
from retreats.organizer.accounts.models import CoHost, Organizer, OrganizerStatus

# An organizer with more upcoming listings than this shows the soonest ones.
MOST_LISTINGS = 48


@dataclass(frozen=True)
class Profile:
    organizer: Organizer
    facilitators: list[Facilitator]


def _has_a_public_page():
    """Approved organizers, and the co-hosts of organizers (who publish under their owner's
    approval); never a suspended or declined account, nor one still waiting for approval."""
    co_hosts = exists().where(CoHost.member_id == Organizer.id)
    return or_(
        Organizer.status == OrganizerStatus.APPROVED,
        and_(Organizer.status == OrganizerStatus.PENDING, co_hosts),
    )


def profile_by_slug(slug: str) -> Profile | None:
    """The organizer with this slug and their facilitators, in one statement; None: no such
    organizer."""
    rows = db.session.execute(
        select(Organizer, Facilitator)
        .outerjoin(Facilitator, Facilitator.organizer_id == Organizer.id)
        .where(Organizer.slug == slug, _has_a_public_page())
        .order_by(Facilitator.name, Facilitator.id)
    ).all()
    if not rows:
        return None
    return Profile(
        organizer=rows[0][0],
        facilitators=[facilitator for _, facilitator in rows if facilitator is not None],
    )


def organizer_by_slug(slug: str) -> Organizer | None:
    """The organizer with this slug who has a public page, or None."""
    statement = select(Organizer).where(Organizer.slug == slug, _has_a_public_page())
    return db.session.execute(statement).scalar_one_or_none()


def upcoming_listings_of(organizer: Organizer, *, now: datetime) -> list[Listing]:
    """The organizer's upcoming published listings, soonest first, with seats left and "from"
    prices as the catalog shows them: the retreats they own and those of whoever made them a
    co-host (the retreats they run)."""
    statement = (
        listings_statement(now)
        .where(*upcoming(now), Retreat.organizer_id.in_(managed_owner_ids(organizer)))
        .order_by(Retreat.starts_at, Retreat.id)
        .limit(MOST_LISTINGS)
    )
    return listings_from(statement, now=now)


def upcoming_retreats_of(organizer: Organizer, *, now: datetime) -> list[Retreat]:
    """The retreats upcoming_listings_of lists, without what their cards show (seats, prices):
    for the organizer's calendar feed. One statement."""
    statement = (
        select(Retreat)
        .where(*upcoming(now), Retreat.organizer_id.in_(managed_owner_ids(organizer)))
        .order_by(Retreat.starts_at, Retreat.id)
        .limit(MOST_LISTINGS)
    )
    return list(db.session.scalars(statement))
