"""An organizer's public page (/o/<slug>) and their booking widget (/o/<slug>/widget), the one
page other sites may frame (retreats/framing.py)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from retreats.database import utcnow
from retreats.framing import may_be_framed
from retreats.notifications.calendar import retreats_feed
from retreats.profiles.queries import (
    organizer_by_slug,
    profile_by_slug,
    upcoming_listings_of,
    upcoming_retreats_of,
)

blueprint = Blueprint("profiles", __name__)


@blueprint.get("/o/<slug>")
def profile(slug: str):
    """The organizer: their name, about text, photo, facilitators and upcoming retreats."""
    found = profile_by_slug(slug)
    if found is None:
        abort(404)
    return render_template(
        "profiles/page.html",
        organizer=found.organizer,
        facilitators=found.facilitators,
        listings=upcoming_listings_of(found.organizer, now=utcnow()),
    )


@blueprint.get("/o/<slug>/widget")
@may_be_framed
def widget(slug: str):
    """The organizer's upcoming retreats for their own site's frame, each with a Book link that
    opens this site in a new tab; an unknown organizer gets an empty widget, not an error."""
    organizer = organizer_by_slug(slug)
    listings = upcoming_listings_of(organizer, now=utcnow()) if organizer else []
    return render_template("profiles/widget.html", organizer=organizer, listings=listings)


@blueprint.get("/o/<slug>/calendar.ics")
def calendar(slug: str):
    """The organizer's upcoming retreats as a calendar people can subscribe to."""
    organizer = organizer_by_slug(slug)
    if organizer is None:
        abort(404)
    retreats = upcoming_retreats_of(organizer, now=utcnow())
    data = retreats_feed(retreats, name=f"{organizer.name}: retreats")
    return Response(data, mimetype="text/calendar")
