"""The public pages search engines may list: sitemap.xml (sitemaps.org) and robots.txt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# Only writes XML, never parses any: none of the parser's risks (bandit B405) apply.
from xml.etree.ElementTree import Element, SubElement, tostring  # nosec B405

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from retreats.catalog.queries import upcoming
from retreats.extensions import db
from retreats.links import public_url
from retreats.listings.models import Retreat

SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
# Where crawlers have no business: people's bookings, the organizer and admin areas, and the
# forms that start a booking, a waitlist place or a voucher (robots.txt, RFC 9309 patterns).
DISALLOWED_PATHS = (
    "/organizer/",
    "/admin/",
    "/bookings/",
    "/gift-vouchers/",
    "/waitlist/",
    "/retreats/*/book",
    "/retreats/*/waitlist",
    "/retreats/*/gift",
    "/stripe/",
    "/healthz",
)


@dataclass(frozen=True)
class SitemapEntry:
    location: str  # absolute URL
    last_modified: datetime | None = None


def public_upcoming_retreats(now: datetime) -> list[Retreat]:
    """Every retreat the catalog lists (catalog.queries `upcoming`), soonest first, with its
    organizer: one statement, however many there are."""
    statement = (
        select(Retreat)
        .where(*upcoming(now))
        .options(joinedload(Retreat.organizer, innerjoin=True))
        .order_by(Retreat.starts_at, Retreat.id)
    )
    return list(db.session.execute(statement).scalars())


def sitemap_entries(retreats: list[Retreat]) -> list[SitemapEntry]:
    """The catalog, each upcoming retreat's page, and the organizers' pages."""
    latest = max((retreat.updated_at for retreat in retreats), default=None)
    return [
        SitemapEntry(public_url("catalog.index"), latest),
        *(
            SitemapEntry(public_url("catalog.detail", slug=retreat.slug), retreat.updated_at)
            for retreat in retreats
        ),
        *organizer_profile_entries(retreats),
    ]


def organizer_profile_entries(retreats: list[Retreat]) -> list[SitemapEntry]:
    """One entry per organizer of these retreats, their public page (/o/<slug>), last modified
    with their latest retreat. The organizers are already loaded (public_upcoming_retreats), so
    this costs no statement."""
    latest: dict[str, datetime] = {}
    for retreat in retreats:
        slug = retreat.organizer.slug
        if slug not in latest or retreat.updated_at > latest[slug]:
            latest[slug] = retreat.updated_at
    return [
        SitemapEntry(public_url("profiles.profile", slug=slug), moment)
        for slug, moment in sorted(latest.items())
    ]


def sitemap_xml(entries: list[SitemapEntry]) -> bytes:
    """A sitemaps.org <urlset>, UTF-8 with its XML declaration."""
    urlset = Element("urlset", xmlns=SITEMAP_NAMESPACE)
    for entry in entries:
        url = SubElement(urlset, "url")
        SubElement(url, "loc").text = entry.location
        if entry.last_modified is not None:
            moment = entry.last_modified.astimezone(UTC).replace(microsecond=0)
            SubElement(url, "lastmod").text = moment.isoformat().replace("+00:00", "Z")
    return tostring(urlset, encoding="utf-8", xml_declaration=True)


def robots_txt() -> str:
    """Everything public may be crawled but the private and form paths; where the sitemap is."""
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in DISALLOWED_PATHS]
    lines += ["", f"Sitemap: {public_url('discovery.sitemap')}", ""]
    return "\n".join(lines)
