"""The .ics invitation for a booking and the subscribable feed of public retreats, both in each
retreat's own time zone, and the discreet wording that stands in for a retreat's title where a
shared inbox or calendar might show it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event

from retreats.database import utcnow
from retreats.links import public_url
from retreats.listings.models import Retreat, RetreatKind

# How often a subscribed calendar app should fetch the feed again (RFC 7986 REFRESH-INTERVAL,
# and the older X-PUBLISHED-TTL, PT6H written out, that Outlook and Apple Calendar read).
FEED_REFRESH_INTERVAL = timedelta(hours=6)


def is_discreet(retreat) -> bool:
    """This retreat's mails keep quiet about what it is (its own choice, or the whole site's)."""
    return bool(retreat.discreet_emails or current_app.config.get("DISCREET_EMAILS"))


def day_and_month(moment: datetime) -> str:
    """14 March."""
    return f"{moment.day} {moment:%B}"


def _day_span(starts_at: datetime, ends_at: datetime) -> str:
    """ "14 March", "14–16 March", "30 March – 2 April", "30 December 2027 – 2 January 2028"."""
    if starts_at.date() == ends_at.date():
        return day_and_month(starts_at)
    if starts_at.year != ends_at.year:
        first, last = day_and_month(starts_at), day_and_month(ends_at)
        return f"{first} {starts_at.year} – {last} {ends_at.year}"
    if starts_at.month != ends_at.month:
        return f"{day_and_month(starts_at)} – {day_and_month(ends_at)}"
    return f"{starts_at.day}–{day_and_month(ends_at)}"


def _is_weekend(starts_at: datetime, ends_at: datetime) -> bool:
    """Starts on a Friday or Saturday and is over by Monday."""
    days = (ends_at.date() - starts_at.date()).days
    return starts_at.weekday() in (4, 5) and 1 <= days <= 3


def neutral_event_title(retreat) -> str:
    """ "Weekend retreat, 14–16 March" or "Workshop, 14 March": no title words, nothing intimate."""
    starts_at, ends_at = retreat.local_starts_at, retreat.local_ends_at
    if retreat.kind == RetreatKind.WORKSHOP:
        noun = "Workshop"
    elif _is_weekend(starts_at, ends_at):
        noun = "Weekend retreat"
    else:
        noun = "Retreat"
    return f"{noun}, {_day_span(starts_at, ends_at)}"


def site_domain() -> str:
    """The host name of PUBLIC_BASE_URL: the right-hand side of every UID this site makes."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def _new_calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Retreat bookings//EN")
    calendar.add("version", "2.0")
    return calendar


def _event_at_retreat_times(retreat: Retreat) -> Event:
    """An event starting and ending when the retreat does, in its IANA time zone (TZID; the
    calendar's VTIMEZONE comes from add_missing_timezones)."""
    event = Event()
    event.add("dtstart", retreat.local_starts_at)
    event.add("dtend", retreat.local_ends_at)
    return event


def booking_calendar(*, booking, retreat, manage_link: str, domain: str) -> bytes:
    """An iCalendar file with one event whose times carry the retreat's IANA time zone."""
    calendar = _new_calendar()
    calendar.add("method", "PUBLISH")
    event = _event_at_retreat_times(retreat)
    event.add("uid", f"booking-{booking.reference}@{domain}")
    event.add("dtstamp", utcnow())
    event.add("summary", neutral_event_title(retreat) if is_discreet(retreat) else retreat.title)
    event.add(
        "location",
        "Online (the joining link is in your emails)" if retreat.is_online else retreat.place,
    )
    event.add(
        "description",
        f"Booking {booking.reference}. Your booking, the cancellation policy and what to "
        f"prepare: {manage_link}",
    )
    event.add("url", manage_link)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def retreats_feed(retreats: Iterable[Retreat], *, name: str) -> bytes:
    """A subscribable calendar named `name` with one event per retreat given (public facts
    only: what the retreat page shows, no booking or attendee data). A retreat's UID stays the
    same through every edit, so calendar apps update its event rather than add another."""
    calendar = _new_calendar()
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", FEED_REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    domain = site_domain()
    for retreat in retreats:
        page = public_url("catalog.detail", slug=retreat.slug)
        event = _event_at_retreat_times(retreat)
        event.add("uid", f"retreat-{retreat.id}@{domain}")
        # The retreat's last edit, not now: an unchanged feed stays byte for byte the same.
        event.add("dtstamp", retreat.updated_at)
        event.add("last-modified", retreat.updated_at)
        event.add("summary", retreat.title)
        event.add("location", retreat.place)
        event.add("description", f"{retreat.summary}\n\nDetails and booking: {page}")
        event.add("url", page)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
