"""Read-only queries for the public pages, each a fixed number of SQL statements."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select

from retreats.booking.availability import Listing
from retreats.booking.capacity import seats_taken_subquery
from retreats.booking.quotes import lowest_total
from retreats.catalog.countries import MAX_COUNTRY_LENGTH, Country, countries_from, country_key
from retreats.catalog.search import matching, normalised_search
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import (
    Audience,
    Focus,
    Retreat,
    RetreatKind,
    RoomType,
    TicketType,
    shown_to_public,
)

PAGE_SIZE = 24
# Far past any catalog's end; a bigger number would overflow the database's OFFSET (a 500).
LAST_PAGE = 10_000


@dataclass(frozen=True)
class CatalogFilters:
    kind: RetreatKind | None = None
    focus: Focus | None = None
    audience: Audience | None = None
    month: str | None = None  # "2027-03"
    country: str | None = None  # a Country's key: "portugal", or ONLINE
    search: str = ""  # the search box's text, normalised (search.normalised_search)

    @classmethod
    def from_args(cls, args) -> CatalogFilters:
        """Read the query string; anything unknown is ignored rather than an error."""
        month = args.get("month", "")
        return cls(
            kind=_member(RetreatKind, args.get("kind")),
            focus=_member(Focus, args.get("focus")),
            audience=_member(Audience, args.get("audience")),
            month=month if _month_bounds(month) else None,
            country=country_key(args.get("country", "")[:MAX_COUNTRY_LENGTH]) or None,
            search=normalised_search(args.get("q")),
        )

    def as_query(self, *, with_search: bool = True) -> dict[str, str]:
        """The filters as query-string values, for links that keep them."""
        values = {"kind": self.kind, "focus": self.focus, "audience": self.audience}
        query = {name: value.value for name, value in values.items() if value}
        if self.month:
            query["month"] = self.month
        if self.country:
            query["country"] = self.country
        if self.search and with_search:
            query["q"] = self.search
        return query

    @property
    def active(self) -> bool:
        return any((self.kind, self.focus, self.audience, self.month, self.country, self.search))


def _member(enum_class, value):
    try:
        return enum_class(value) if value else None
    except ValueError:
        return None


def _month_bounds(month: str) -> tuple[date, date] | None:
    try:
        year, number = (int(part) for part in month.split("-"))
        last_day = calendar.monthrange(year, number)[1]
        return date(year, number, 1), date(year, number, last_day)
    except (ValueError, TypeError):
        return None


def upcoming(now: datetime):
    """Shown to the public (published, its organizer not suspended) and not yet started: the
    conditions of every public listing query."""
    return (*shown_to_public(), Retreat.starts_at > now)


def ticket_on_sale(now: datetime):
    """TicketType.on_sale_at(now) in SQL: inside its sale window, if it has one."""
    return (
        or_(TicketType.sale_starts_at.is_(None), TicketType.sale_starts_at <= now),
        or_(TicketType.sale_ends_at.is_(None), TicketType.sale_ends_at > now),
    )


def lowest_price_subquery(now: datetime, *, seats_per_ticket: int | None = None):
    """The cheapest ticket on sale now (an early-bird price counts only until it ends); only
    among tickets for `seats_per_ticket` people when given."""
    conditions = [TicketType.retreat_id == Retreat.id, *ticket_on_sale(now)]
    if seats_per_ticket is not None:
        conditions.append(TicketType.seats_per_ticket == seats_per_ticket)
    return select(func.min(TicketType.price_minor)).where(*conditions).scalar_subquery()


def early_bird_subquery(now: datetime):
    """When the soonest-ending ticket on sale now with a sale end (an early bird) stops selling."""
    return (
        select(func.min(TicketType.sale_ends_at))
        .where(
            TicketType.retreat_id == Retreat.id,
            TicketType.sale_ends_at.is_not(None),
            *ticket_on_sale(now),
        )
        .scalar_subquery()
    )


def upcoming_listings(
    filters: CatalogFilters,
    *,
    in_country: Country | None = None,
    page: int = 1,
    now: datetime | None = None,
) -> tuple[list[Listing], bool]:
    """One page of upcoming published listings, soonest first, and whether more follow.
    `in_country`: the choice filters.country names (FilterChoices.country_named)."""
    now = now or utcnow()
    statement = (
        listings_statement(now)
        .where(*upcoming(now))
        .order_by(Retreat.starts_at, Retreat.id)
        .limit(PAGE_SIZE + 1)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    if filters.kind:
        statement = statement.where(Retreat.kind == filters.kind)
    if filters.focus:
        statement = statement.where(Retreat.focus == filters.focus)
    if filters.audience:
        statement = statement.where(Retreat.audience == filters.audience)
    if filters.month:
        first, last = _month_bounds(filters.month)
        statement = statement.where(Retreat.starts_on.between(first, last))
    if in_country is not None:
        statement = statement.where(in_country.condition())
    if filters.search:
        dialect = db.session.get_bind().dialect.name
        statement = statement.where(matching(filters.search, dialect))
    listings = listings_from(statement, now=now)
    return listings[:PAGE_SIZE], len(listings) > PAGE_SIZE


def listings_statement(now: datetime):
    """Retreats with what a card shows of each: seats taken, the cheapest ticket on sale, the
    early bird's end, whether it sells rooms. Add the conditions, order and limit; run it with
    listings_from."""
    return select(
        Retreat,
        seats_taken_subquery(Retreat.id, now=now).label("seats_taken"),
        lowest_price_subquery(now).label("lowest_price"),
        early_bird_subquery(now).label("early_bird_until"),
        _sells_rooms().label("sells_rooms"),
    )


def listings_from(statement, *, now: datetime) -> list[Listing]:
    """The cards of a listings_statement: one statement, and one more for the "from" prices
    with a room where a room is required."""
    rows = db.session.execute(statement).all()
    needing_a_room = [
        retreat
        for retreat, *_, offers_rooms in rows
        if offers_rooms and not retreat.allows_no_accommodation
    ]
    with_a_room = _lowest_prices_with_a_room(needing_a_room, now)
    return [
        Listing(
            retreat=retreat,
            seats_left=max(retreat.capacity - taken, 0),
            lowest_price_minor=with_a_room.get(retreat.id, low),
            early_bird_until=early,
        )
        for retreat, taken, low, early, _offers_rooms in rows
    ]


def _sells_rooms():
    """Does the retreat offer any room type (not hidden)?"""
    return exists().where(RoomType.retreat_id == Retreat.id, RoomType.hidden.is_(False))


def _lowest_prices_with_a_room(retreats: list[Retreat], now: datetime) -> dict[int, int]:
    """The "from" price of each retreat a room is required at: its cheapest ticket on sale with
    a room that suits it, priced by the pricing function. One statement, none without such
    retreats (workshops sell no rooms)."""
    if not retreats:
        return {}
    by_id = {retreat.id: retreat for retreat in retreats}
    rows = db.session.execute(
        select(TicketType, RoomType)
        .join(RoomType, RoomType.retreat_id == TicketType.retreat_id)
        .where(
            TicketType.retreat_id.in_(by_id),
            RoomType.hidden.is_(False),
            *ticket_on_sale(now),
        )
    ).all()
    pairs: dict[int, list[tuple[TicketType, RoomType]]] = {}
    for ticket, room_type in rows:
        pairs.setdefault(ticket.retreat_id, []).append((ticket, room_type))
    lowest = {
        retreat_id: lowest_total(by_id[retreat_id], retreat_pairs)
        for retreat_id, retreat_pairs in pairs.items()
    }
    return {retreat_id: price for retreat_id, price in lowest.items() if price is not None}


@dataclass(frozen=True)
class FilterChoices:
    """What the catalog's filters offer: the months and countries of upcoming listings."""

    months: list[str]  # "2027-03"
    countries: list[Country]

    def country_named(self, key: str | None) -> Country | None:
        return next((country for country in self.countries if country.key == key), None)


def filter_choices(*, now: datetime | None = None) -> FilterChoices:
    """The months in which upcoming listings start, and their countries: one statement."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Retreat.starts_on, Retreat.is_online, Retreat.country, func.count())
        .where(*upcoming(now))
        .group_by(Retreat.starts_on, Retreat.is_online, Retreat.country)
    ).all()
    return FilterChoices(
        months=sorted({day.strftime("%Y-%m") for day, *_ in rows}),
        countries=countries_from(
            (is_online, country, count) for _, is_online, country, count in rows
        ),
    )


@dataclass(frozen=True)
class CatalogPage:
    filters: CatalogFilters  # as applied: a country no upcoming listing is in is left out
    listings: list[Listing]
    has_next: bool
    choices: FilterChoices


def catalog_page(
    filters: CatalogFilters, *, page: int = 1, now: datetime | None = None
) -> CatalogPage:
    """One page of the catalog and the choices of its filters: two statements (three when a
    listing on it requires a room, see upcoming_listings)."""
    now = now or utcnow()
    choices = filter_choices(now=now)
    in_country = choices.country_named(filters.country)
    if in_country is None:
        filters = replace(filters, country=None)  # unknown, like an unknown kind: ignored
    listings, has_next = upcoming_listings(filters, in_country=in_country, page=page, now=now)
    return CatalogPage(filters=filters, listings=listings, has_next=has_next, choices=choices)
