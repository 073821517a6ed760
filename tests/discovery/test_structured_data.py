"""The schema.org Event on each retreat page, read back from the served HTML."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from retreats.database import utcnow
from retreats.listings.models import RetreatStatus
from tests.discovery.event_schema import EVENT
from tests.discovery.head import head_of
from tests.factories import ADA, BEA, add_room_type, add_ticket_type, paid_booking

COVER = "0123456789abcdef0123456789abcdef-1200x800.jpg"
SCRIPT_BREAKER = "Closeness </script><script>alert('hi')</script> & <!-- more"


def event_on_page(client, retreat) -> dict:
    response = client.get(f"/retreats/{retreat.slug}")
    assert response.status_code == 200
    event = head_of(response.get_data(as_text=True)).event
    jsonschema.validate(event, EVENT)
    return event


def test_a_retreat_page_carries_a_valid_schema_org_event(app, client, make_retreat):
    retreat = make_retreat(cover_image=COVER, summary="  A calm weekend\n of listening.  ")
    base = app.config["PUBLIC_BASE_URL"]

    event = event_on_page(client, retreat)

    assert event["name"] == retreat.title
    assert event["description"] == "A calm weekend of listening."
    assert event["url"] == f"{base}/retreats/{retreat.slug}"
    assert event["eventStatus"] == "https://schema.org/EventScheduled"
    assert event["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert event["location"] == {
        "@type": "Place",
        "name": "Quinta do Vale",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Sintra",
            "addressCountry": "Portugal",
        },
    }
    assert event["image"] == [f"{base}/media/covers/{COVER}"]
    assert event["organizer"] == {
        "@type": "Organization",
        "name": "Test Host",
        "url": f"{base}/o/{retreat.organizer.slug}",
    }
    offers = {offer["name"]: offer for offer in event["offers"]}
    assert offers["Individual"]["price"] == "250.00"
    assert offers["Couple (2 people)"]["price"] == "450.00"
    assert {offer["priceCurrency"] for offer in offers.values()} == {"EUR"}
    assert {offer["availability"] for offer in offers.values()} == {"https://schema.org/InStock"}


def test_the_json_schema_refuses_what_is_not_an_event():
    """The schema can fail: a float price, a time without offset, a missing organizer."""
    good = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "A",
        "description": "B",
        "startDate": "2027-03-27T10:00:00+01:00",
        "endDate": "2027-03-29T12:00:00+02:00",
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "VirtualLocation", "url": "https://x.example/retreats/a"},
        "organizer": {"@type": "Organization", "name": "C", "url": "https://x.example/"},
    }
    jsonschema.validate(good, EVENT)
    for broken in (
        good | {"startDate": "2027-03-27T10:00:00"},
        good | {"offers": [{"@type": "Offer", "price": 250.0, "priceCurrency": "EUR"}]},
        {key: value for key, value in good.items() if key != "organizer"},
        good | {"location": {"@type": "VirtualLocation", "url": "https://x.example/j", "x": 1}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, EVENT)


def _last_sunday_of_march(year: int) -> int:
    return max(week[calendar.SUNDAY] for week in calendar.monthcalendar(year, 3))


def test_times_carry_the_retreats_own_offset_across_a_change_to_summer_time(client, make_retreat):
    """Berlin moves its clocks forward on the last Sunday of March: a retreat from the Saturday
    before to the Monday after starts at +01:00 and ends at +02:00."""
    year = utcnow().year + 1
    sunday = _last_sunday_of_march(year)
    berlin = ZoneInfo("Europe/Berlin")
    starts = datetime(year, 3, sunday - 1, 10, tzinfo=berlin)
    ends = datetime(year, 3, sunday + 1, 12, tzinfo=berlin)
    retreat = make_retreat(timezone="Europe/Berlin", starts_at=starts, ends_at=ends)

    event = event_on_page(client, retreat)

    assert event["startDate"] == f"{year}-03-{sunday - 1:02d}T10:00:00+01:00"
    assert event["endDate"] == f"{year}-03-{sunday + 1:02d}T12:00:00+02:00"


def test_a_retreat_in_a_zone_west_of_utc_keeps_its_negative_offset(client, make_retreat):
    retreat = make_retreat(timezone="America/Mexico_City")  # no summer time: always -06:00
    event = event_on_page(client, retreat)
    assert event["startDate"].endswith("-06:00")
    assert datetime.fromisoformat(event["startDate"]) == retreat.starts_at


def test_a_sold_out_retreat_says_sold_out(client, make_retreat):
    retreat = make_retreat(capacity=2)
    paid_booking(retreat, ADA, BEA)
    event = event_on_page(client, retreat)
    assert {offer["availability"] for offer in event["offers"]} == {"https://schema.org/SoldOut"}


def test_one_seat_left_is_sold_out_for_a_couple_only(client, make_retreat):
    retreat = make_retreat(capacity=3)
    paid_booking(retreat, ADA, BEA)
    offers = {offer["name"]: offer for offer in event_on_page(client, retreat)["offers"]}
    assert offers["Individual"]["availability"] == "https://schema.org/InStock"
    assert offers["Couple (2 people)"]["availability"] == "https://schema.org/SoldOut"


def test_sale_windows_give_pre_order_and_leave_ended_prices_out(client, make_retreat):
    retreat = make_retreat()
    now = utcnow()
    add_ticket_type(retreat, name="Later", sale_starts_at=now + timedelta(days=3))
    add_ticket_type(retreat, name="Gone", sale_ends_at=now - timedelta(days=1))
    early = add_ticket_type(retreat, name="Early", sale_ends_at=now + timedelta(days=5))

    offers = {offer["name"]: offer for offer in event_on_page(client, retreat)["offers"]}

    assert "Gone" not in offers
    assert offers["Later"]["availability"] == "https://schema.org/PreOrder"
    later_start = datetime.fromisoformat(offers["Later"]["validFrom"])
    assert abs(later_start - (now + timedelta(days=3))) < timedelta(seconds=1)
    assert offers["Early"]["availability"] == "https://schema.org/InStock"
    early_end = datetime.fromisoformat(offers["Early"]["validThrough"])
    assert abs(early_end - early.sale_ends_at) < timedelta(seconds=1)


def test_prices_keep_the_currencys_own_minor_units(client, make_retreat):
    retreat = make_retreat(currency="JPY", tickets=[("Individual", 45_000, 1)])
    (offer,) = event_on_page(client, retreat)["offers"]
    assert (offer["price"], offer["priceCurrency"]) == ("45000", "JPY")


def test_where_a_room_is_required_the_price_includes_the_cheapest_room(client, make_retreat):
    retreat = make_retreat(tickets=[("Individual", 25_000, 1)])
    add_room_type(retreat, name="Dorm bed", price_minor=8_000, shared=True, sleeps=4)
    (offer,) = event_on_page(client, retreat)["offers"]
    page = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert offer["price"] != "250.00"  # the ticket alone cannot be booked
    assert f"€{offer['price']}" in page.replace(",", "")  # the page's own "from" price


def test_an_online_retreat_is_a_virtual_location_and_keeps_its_joining_link_secret(
    app, client, make_retreat
):
    join_link = "https://meet.example/j/secret-room-4711"
    retreat = make_retreat(
        is_online=True, venue=None, city=None, country=None, online_join_url=join_link
    )
    html = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    head = head_of(html)
    event = head.event

    jsonschema.validate(event, EVENT)
    assert event["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert event["location"] == {
        "@type": "VirtualLocation",
        "url": f"{app.config['PUBLIC_BASE_URL']}/retreats/{retreat.slug}",
    }
    assert "secret-room" not in head.raw
    assert "secret-room" not in html


def test_a_title_that_would_end_the_script_is_escaped(client, make_retreat):
    retreat = make_retreat(title=SCRIPT_BREAKER)
    html = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    head = head_of(html)

    assert "</script><script>" not in html
    assert "<!-- more" not in html
    (script,) = head.json_ld
    assert "<" not in script and ">" not in script and "&" not in script
    assert "\\u003c/script\\u003e" in script
    assert head.event["name"] == SCRIPT_BREAKER  # read back as written
    jsonschema.validate(head.event, EVENT)
    assert head.meta["og:title"] == SCRIPT_BREAKER


def test_a_cancelled_retreat_says_cancelled_and_offers_nothing(client, make_retreat):
    retreat = make_retreat(status=RetreatStatus.CANCELLED, cancelled_at=utcnow())
    event = event_on_page(client, retreat)
    assert event["eventStatus"] == "https://schema.org/EventCancelled"
    assert "offers" not in event


def test_the_event_costs_the_retreat_page_no_statement(app, db, make_retreat, count_statements):
    """The organizer comes with the page's hosts (its facilitators and venue): the state, the
    retreat, its hosts, and nothing more for the event."""
    retreat = make_retreat()
    slug = retreat.slug
    db.session.expunge_all()
    client = app.test_client()
    with app.app_context(), count_statements() as statements:
        html = client.get(f"/retreats/{slug}").get_data(as_text=True)
    assert head_of(html).event["organizer"]["name"] == "Test Host"
    assert len(statements) == 3, statements
