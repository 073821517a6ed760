"""A retreat as a schema.org Event (JSON-LD), for search engines and chat previews.

Built as a dict from the listing the retreat page already loaded (no statement of its own) and
serialised with json.dumps, never by templating JSON. Only what the page itself shows goes in:
an online retreat's joining link is for the people who booked, so it never appears here.
"""

from __future__ import annotations

import json
from datetime import datetime

from markupsafe import Markup

from retreats.base.stored_files import cover_size
from retreats.booking.availability import Listing
from retreats.booking.pricing import price_booking
from retreats.booking.quotes import lowest_total
from retreats.database import utcnow
from retreats.formatting import major_units
from retreats.links import public_url
from retreats.listings.models import Retreat, RetreatStatus, TicketType

SCHEMA = "https://schema.org"
# What must not appear raw inside <script>: "</script>" or "<!--" would end or confuse it.
_SCRIPT_UNSAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def organizer_page_url(organizer) -> str:
    """The organizer's public page (/o/<slug>), absolute."""
    return public_url("profiles.profile", slug=organizer.slug)


def retreat_url(retreat: Retreat) -> str:
    """The retreat page's own absolute URL, without a query string: its canonical URL."""
    return public_url("catalog.detail", slug=retreat.slug)


def cover_url(retreat: Retreat) -> str | None:
    """The cover image's absolute URL, or None without a (valid) cover."""
    if cover_size(retreat.cover_image) is None:
        return None
    return public_url("catalog.cover_image", name=retreat.cover_image)


def event_data(listing: Listing, *, now: datetime) -> dict:
    """The schema.org Event for a retreat page, as a dict ready for json.dumps."""
    retreat = listing.retreat
    cancelled = retreat.status == RetreatStatus.CANCELLED
    event: dict = {
        "@context": SCHEMA,
        "@type": "Event",
        "name": retreat.title,
        "description": " ".join(retreat.summary.split()),
        "url": retreat_url(retreat),
        "startDate": retreat.local_starts_at.isoformat(),
        "endDate": retreat.local_ends_at.isoformat(),
        "eventStatus": f"{SCHEMA}/{'EventCancelled' if cancelled else 'EventScheduled'}",
        "eventAttendanceMode": f"{SCHEMA}/"
        + ("OnlineEventAttendanceMode" if retreat.is_online else "OfflineEventAttendanceMode"),
        "location": _location(retreat),
        "organizer": {
            "@type": "Organization",
            "name": retreat.organizer.name,
            "url": organizer_page_url(retreat.organizer),
        },
    }
    image = cover_url(retreat)
    if image:
        event["image"] = [image]
    offers = _offers(listing, now=now) if retreat.is_open_for_booking(now) else []
    if offers:
        event["offers"] = offers
    return event


def _location(retreat: Retreat) -> dict:
    """A Place with its postal address, or for an online retreat the page itself as its
    VirtualLocation (the joining link is for those who booked and stays out)."""
    if retreat.is_online:
        return {"@type": "VirtualLocation", "url": retreat_url(retreat)}
    address = {"@type": "PostalAddress"}
    if retreat.city:
        address["addressLocality"] = retreat.city
    if retreat.country:
        address["addressCountry"] = retreat.country
    return {"@type": "Place", "name": retreat.venue or retreat.place, "address": address}


def _offers(listing: Listing, *, now: datetime) -> list[dict]:
    """One Offer per ticket type on sale now or later (not one whose sale has ended)."""
    retreat = listing.retreat
    offers = []
    for ticket in retreat.ticket_types:
        if ticket.sale_ends_at is not None and ticket.sale_ends_at <= now:
            continue
        price_minor = _ticket_price(listing, ticket)
        if price_minor is None:
            continue
        offer = {
            "@type": "Offer",
            "name": ticket.name,
            "price": major_units(price_minor, retreat.currency),
            "priceCurrency": retreat.currency.upper(),
            "availability": f"{SCHEMA}/{_availability(listing, ticket, now=now)}",
            "url": retreat_url(retreat),
            "validFrom": _moment(ticket.sale_starts_at or retreat.created_at),
        }
        if ticket.sale_ends_at is not None:
            offer["validThrough"] = _moment(ticket.sale_ends_at)
        offers.append(offer)
    return offers


def _ticket_price(listing: Listing, ticket: TicketType) -> int | None:
    """What booking this ticket costs at least: the ticket alone, or where a room is required
    the ticket with the cheapest room that suits it (the pricing function's total); None when
    no room on offer suits it."""
    retreat, stay = listing.retreat, listing.stay
    if stay.rooms and not stay.allows_no_accommodation:
        return lowest_total(retreat, [(ticket, left.room_type) for left in stay.rooms])
    return price_booking(currency=retreat.currency, ticket=ticket).total_minor


def _moment(moment: datetime) -> str:
    """ISO 8601 to the second, with its offset."""
    return moment.replace(microsecond=0).isoformat()


def _availability(listing: Listing, ticket: TicketType, *, now: datetime) -> str:
    if ticket.sale_starts_at is not None and ticket.sale_starts_at > now:
        return "PreOrder"
    if listing.seats_left < ticket.seats_per_ticket:
        return "SoldOut"
    return "InStock"


def script_json(data: dict) -> Markup:
    """`data` as JSON safe to put inside <script>: <, > and & escaped as \\u003c and the like,
    which JSON parsers read back as the same characters."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Nothing in it can end the script or start markup any more: so neither ruff S704 nor
    # bandit B704 applies.
    return Markup(text.translate(_SCRIPT_UNSAFE))  # noqa: S704  # nosec B704


def event_json_ld(listing: Listing, *, now: datetime | None = None) -> Markup:
    """The retreat page's <script type="application/ld+json"> content."""
    return script_json(event_data(listing, now=now or utcnow()))
