"""The organizer's public page /o/<slug>: who they are, their facilitators, their upcoming
retreats; 404 for a slug nobody has; a few statements whatever the number of rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from retreats.listings.models import RetreatStatus
from retreats.organizer.accounts.models import CoHost, OrganizerStatus
from tests.factories import (
    ADA,
    BEA,
    add_room_type,
    create_facilitator,
    create_organizer,
    paid_booking,
)

PHOTO = "0123456789abcdef0123456789abcdef-800x800.jpg"
MOST_FOR_A_PUBLIC_PAGE = 3


def page_of(client, organizer) -> str:
    response = client.get(f"/o/{organizer.slug}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def card_titles(page: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', page)


def test_the_page_shows_the_organizer_their_facilitators_and_upcoming_retreats(
    db, client, organizer, other_organizer, make_retreat
):
    organizer.about_md = "We run **weekends** for couples.<script>alert(1)</script>"
    organizer.photo = PHOTO
    db.session.commit()
    soon = make_retreat(title="Spring Closeness", starts_in=timedelta(days=10))
    later = make_retreat(title="Autumn Closeness", starts_in=timedelta(days=90))
    make_retreat(title="A Draft", status=RetreatStatus.DRAFT)
    make_retreat(title="Already Begun", starts_in=timedelta(days=-1))
    make_retreat(title="Someone Else's", organizer=other_organizer)
    create_facilitator(organizer, name="Mira Okafor", bio="Couples therapist.", retreats=[soon])
    create_facilitator(other_organizer, name="Not Theirs")
    paid_booking(later, ADA, BEA)

    page = page_of(client, organizer)

    assert "<h1>Test Host</h1>" in page
    assert "<strong>weekends</strong>" in page and "<script>alert" not in page
    assert f'src="/media/covers/{PHOTO}"' in page
    assert "Mira Okafor" in page and "Couples therapist." in page and "Not Theirs" not in page
    assert card_titles(page) == ["Spring Closeness", "Autumn Closeness"]
    assert "8 places left" in page  # the autumn retreat, with a couple booked


def test_an_organizer_without_retreats_or_facilitators_says_so(client, other_organizer):
    page = page_of(client, other_organizer)
    assert "No upcoming retreats or workshops just now." in page
    assert "Facilitators" not in page


def test_a_co_host_shows_the_retreats_they_run_for_an_owner(db, client, organizer, make_retreat):
    co_host = create_organizer(email="co@example.org", name="Co Host")
    db.session.add(CoHost(owner_id=organizer.id, member_id=co_host.id))
    db.session.commit()
    make_retreat(title="Run Together")

    assert card_titles(page_of(client, co_host)) == ["Run Together"]


def test_the_organizers_calendar_feed_holds_their_upcoming_retreats_only(
    client, organizer, other_organizer, make_retreat
):
    mine = make_retreat(title="Hearts in Sintra")
    make_retreat(title="Not yet", status=RetreatStatus.DRAFT)
    make_retreat(title="Someone else's", organizer=other_organizer)

    response = client.get(f"/o/{organizer.slug}/calendar.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    feed = Calendar.from_ical(response.data)
    events = [event for event in feed.walk("VEVENT")]
    assert [str(event["SUMMARY"]) for event in events] == [mine.title]
    assert organizer.name in str(feed["X-WR-CALNAME"])
    assert f"/o/{organizer.slug}/calendar.ics" in page_of(client, organizer)
    assert client.get("/o/nobody-has-this/calendar.ics").status_code == 404


@pytest.mark.parametrize(
    "status", [OrganizerStatus.SUSPENDED, OrganizerStatus.DECLINED, OrganizerStatus.PENDING]
)
def test_only_approved_organizers_and_co_hosts_have_a_public_page(
    db, client, organizer, make_retreat, status
):
    """A suspended account's page and feed are 404 and its widget empty (still a valid widget);
    so are those of an account declined or still waiting for approval."""
    make_retreat(title="Hearts in Sintra")
    organizer.status = status
    db.session.commit()

    assert client.get(f"/o/{organizer.slug}").status_code == 404
    assert client.get(f"/o/{organizer.slug}/calendar.ics").status_code == 404
    widget = client.get(f"/o/{organizer.slug}/widget")
    assert widget.status_code == 200
    assert "Hearts in Sintra" not in widget.get_data(as_text=True)


def test_an_unknown_slug_is_not_found(client, organizer):
    assert client.get("/o/nobody-by-this-name").status_code == 404


def test_the_retreat_page_links_to_the_organizer_page(client, organizer, make_retreat):
    retreat = make_retreat()
    page = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert f'Hosted by <a href="/o/{organizer.slug}">Test Host</a>' in page


def statements_for(app, count_statements, path: str) -> list[str]:
    client = app.test_client()
    with app.app_context(), count_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return statements


@pytest.mark.parametrize("path", ["/o/{slug}", "/o/{slug}/widget"])
def test_the_page_and_widget_send_the_same_few_statements_for_1_or_12_retreats(
    app, db, organizer, make_retreat, count_statements, path
):
    path = path.format(slug=organizer.slug)
    first = make_retreat()
    add_room_type(first, name="Suite")  # a room is required: its price comes in one more
    create_facilitator(organizer, retreats=[first])
    small = statements_for(app, count_statements, path)
    for number in range(11):
        retreat = make_retreat()
        paid_booking(retreat, ADA)
        add_room_type(retreat, name=f"Room {number}")
        create_facilitator(organizer, name=f"Facilitator {number}", retreats=[retreat])
    large = statements_for(app, count_statements, path)

    assert len(small) == len(large) <= MOST_FOR_A_PUBLIC_PAGE, large
