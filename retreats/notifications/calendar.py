"""The .ics invitation for a booking, in the retreat's own time zone."""

from __future__ import annotations

from icalendar import Calendar, Event

from ..database import utcnow


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
    event.add("summary", retreat.title)
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
