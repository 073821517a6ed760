"""Found and remembered: sitemap.xml, robots.txt and the catalog's calendar feed, and the
helpers the catalog's templates call for their <head> (canonical URL, OpenGraph, JSON-LD).

The sitemap and the feed are kept like the catalog (caching/public_pages.py): served from memory
until a retreat, ticket or booking changes or a retreat starts, so publishing or unpublishing a
listing shows in them as soon as it shows in the catalog.
"""

from __future__ import annotations

from flask import Blueprint, Response

from retreats.caching.public_pages import cached_public_page
from retreats.database import utcnow
from retreats.discovery.sitemap import (
    public_upcoming_retreats,
    robots_txt,
    sitemap_entries,
    sitemap_xml,
)
from retreats.discovery.structured_data import cover_url, event_json_ld, retreat_url
from retreats.links import public_url
from retreats.notifications.calendar import retreats_feed

blueprint = Blueprint("discovery", __name__)
CATALOG_CALENDAR_NAME = "Open Hearts: retreats and workshops"

# For the head of the catalog's kept content (templates/discovery/_*_head.html): absolute URLs
# from PUBLIC_BASE_URL, never from the request's Host header, since the page is kept for all.
blueprint.add_app_template_global(public_url, "absolute_url")
blueprint.add_app_template_global(retreat_url, "retreat_url")
blueprint.add_app_template_global(cover_url, "cover_url")
blueprint.add_app_template_global(event_json_ld, "event_json_ld")


@blueprint.get("/sitemap.xml")
@cached_public_page
def sitemap():
    """The catalog and every public upcoming retreat, for search engines."""
    entries = sitemap_entries(public_upcoming_retreats(utcnow()))
    return Response(sitemap_xml(entries), mimetype="application/xml")


@blueprint.get("/robots.txt")
def robots():
    """What crawlers may visit, and where the sitemap is."""
    return Response(robots_txt(), mimetype="text/plain")


@blueprint.get("/calendar.ics")
@cached_public_page
def catalog_calendar():
    """Every public upcoming retreat as a calendar people can subscribe to."""
    data = retreats_feed(public_upcoming_retreats(utcnow()), name=CATALOG_CALENDAR_NAME)
    return Response(data, mimetype="text/calendar")
