"""The whole catalog as a calendar people subscribe to: public retreats only, public facts only."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar

from retreats.database import utcnow
from retreats.listings.models import RetreatStatus
from tests.factories import ADA, paid_booking


def events_in_feed(client) -> dict[str, object]:
    """The feed's events by URL, after checking it parses as one calendar."""
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "Open Hearts: retreats and workshops"
    return {str(event["URL"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_holds_exactly_the_public_upcoming_retreats(app, client, make_retreat):
    base = app.config["PUBLIC_BASE_URL"]
    public = [make_retreat(), make_retreat(is_online=True, online_join_url="https://j.example/x")]
    make_retreat(status=RetreatStatus.DRAFT)
    make_retreat(starts_in=timedelta(days=-2))
    make_retreat(status=RetreatStatus.CANCELLED, cancelled_at=utcnow())

    events = events_in_feed(client)

    assert set(events) == {f"{base}/retreats/{retreat.slug}" for retreat in public}
    venue, online = (events[f"{base}/retreats/{retreat.slug}"] for retreat in public)
    assert str(venue["SUMMARY"]) == public[0].title
    assert str(venue["LOCATION"]) == "Quinta do Vale, Sintra, Portugal"
    assert str(online["LOCATION"]) == "Online"
    assert public[0].summary in str(venue["DESCRIPTION"])
    assert "j.example" not in client.get("/calendar.ics").text


def test_times_are_in_the_retreats_zone_and_uids_stay_the_same_through_an_edit(
    app, db, client, make_retreat
):
    retreat = make_retreat(timezone="America/New_York")
    url = f"{app.config['PUBLIC_BASE_URL']}/retreats/{retreat.slug}"
    before = events_in_feed(client)[url]
    starts = before.decoded("DTSTART")
    assert str(starts.tzinfo) == "America/New_York"
    assert starts == retreat.starts_at and before.decoded("DTEND") == retreat.ends_at
    assert "BEGIN:VTIMEZONE" in client.get("/calendar.ics").text

    retreat.title = "Renamed Retreat"
    db.session.commit()
    after = events_in_feed(client)[url]
    assert str(after["SUMMARY"]) == "Renamed Retreat"
    assert str(after["UID"]) == str(before["UID"])
    assert str(after["UID"]).endswith("@" + urlsplit(app.config["PUBLIC_BASE_URL"]).hostname)


def test_the_feed_carries_no_attendee_data(client, make_retreat):
    retreat = make_retreat()
    paid_booking(retreat, ADA)
    text = client.get("/calendar.ics").text
    assert "ATTENDEE" not in text and "ORGANIZER" not in text
    assert ADA.email not in text and ADA.name not in text


def test_an_unpublished_retreat_leaves_the_kept_feed(app, db, client, make_retreat):
    retreat = make_retreat()
    url = f"{app.config['PUBLIC_BASE_URL']}/retreats/{retreat.slug}"
    assert url in events_in_feed(client)
    assert url in events_in_feed(client)  # now served from memory
    retreat.status = RetreatStatus.DRAFT
    db.session.commit()
    assert events_in_feed(client) == {}
