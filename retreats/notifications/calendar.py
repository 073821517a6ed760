"""The .ics invitation for a booking, in the retreat's own time zone, and the discreet wording
that stands in for a retreat's title where a shared inbox or calendar might show it."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from icalendar import Calendar, Event

from retreats.database import utcnow
from retreats.listings.models import RetreatKind


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


def booking_calendar(*, booking, retreat, manage_link: str, domain: str) -> bytes:
    """An iCalendar file with one event whose times carry the retreat's IANA time zone."""
    calendar = Calendar()
    calendar.add("prodid", "-//Retreat bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{booking.reference}@{domain}")
    event.add("dtstamp", utcnow())
    event.add("dtstart", retreat.local_starts_at)
    event.add("dtend", retreat.local_ends_at)
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
