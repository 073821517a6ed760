"""What each booking mail says, checked on the MIME a real SMTP server (aiosmtpd) received."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from retreats.base.outbox import OutboxStatus
from retreats.base.stored_files import prepare_guide_pdf
from retreats.booking.cancellation import cancel_booking
from retreats.demo import listings as demo_listings
from retreats.demo import workshops as demo_workshops
from retreats.listings.models import RetreatKind, RetreatStatus
from retreats.notifications.sender import send_due_emails
from retreats.organizer.listings.services import Uploads, update_retreat
from tests.notifications.helpers import (
    ADA_INTAKE,
    attachments,
    calendar_event,
    confirmed_booking,
    details_of,
    links_in,
    only_row,
    outbox,
    subject_of,
    text_and_html,
    to,
)

GUIDE = """\
**What to bring**
- Warm socks
- A notebook

**Arrival**
Check-in opens at 15:30 at the [estate](https://example.net/map).
"""
PDF = b"%PDF-1.4\n% the organizer's own guide\n%%EOF\n"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return app_config


@pytest.fixture
def retreat(make_retreat):
    return make_retreat(
        title="Quiet Weekend", timezone="America/New_York", preparation_guide_md=GUIDE
    )


def due(db, booking, kind):
    return only_row(db, booking, kind).send_after


def test_the_confirmation_has_both_parts_absolute_links_and_a_calendar_in_the_events_zone(
    app, db, retreat, smtp_inbox
):
    booking = confirmed_booking(retreat)
    assert send_due_emails() == 2  # the confirmation, and the organizer's notice
    [message] = to(smtp_inbox.wait_for(2), "ada@example.org")

    assert subject_of(message) == f"Your booking {booking.reference} is confirmed: Quiet Weekend"
    assert message["From"].addresses[0].display_name == "Open Hearts"
    text, html = text_and_html(message)
    assert booking.reference in text and booking.reference in html
    base = app.config["PUBLIC_BASE_URL"]
    links = links_in(message)
    assert links and all(link.startswith(base + "/") for link in links), links
    guide_path = f"/bookings/{booking.reference}/guide"
    assert any(urlsplit(link).path == guide_path for link in links)
    assert any(urlsplit(link).path == f"/bookings/{booking.reference}" for link in links)

    event = calendar_event(message)
    starts, ends = event["DTSTART"].dt, event["DTEND"].dt
    assert starts == retreat.local_starts_at and ends == retreat.local_ends_at
    assert event["DTSTART"].params["TZID"] == event["DTEND"].params["TZID"] == "America/New_York"
    assert starts.utcoffset() == retreat.local_starts_at.utcoffset()
    assert (starts.hour, starts.minute) == (retreat.local_starts_at.hour, 0)
    assert str(event["SUMMARY"]) == "Quiet Weekend"
    assert str(event["URL"]).startswith(base + "/")


def test_the_booking_mail_keys_are_per_kind_booking_and_recipient(db, retreat):
    booking = confirmed_booking(retreat)
    keys = {row.kind: row.key for row in outbox(db, booking_id=booking.id)}
    assert keys == {
        "confirmation": f"confirmation:{booking.id}:ada@example.org",
        "organizer_new_booking": f"organizer_new_booking:{booking.id}:host@example.org",
        "preparation_guide": f"preparation_guide:{booking.id}:ada@example.org",
        "reminder": f"reminder:{booking.id}:ada@example.org",
    }


def test_the_guide_mail_carries_the_guide_its_page_link_and_the_organizers_pdf(
    app, db, client, organizer, retreat, smtp_inbox
):
    booking = confirmed_booking(retreat)
    update_retreat(
        retreat_id=retreat.id,
        actor_id=organizer.id,
        details=details_of(retreat),
        uploads=Uploads(guide_pdf=prepare_guide_pdf(io.BytesIO(PDF))),
    )
    send_due_emails()
    assert send_due_emails(now=due(db, booking, "preparation_guide")) == 1
    [message] = [m for m in smtp_inbox.wait_for(3) if "your guide" in subject_of(m)]

    assert subject_of(message) == "Preparing for Quiet Weekend: your guide"
    assert message["To"] == "Ada@Example.org"
    text, html = text_and_html(message)
    assert "<strong>What to bring</strong>" in html and "<li>Warm socks</li>" in html
    assert "- Warm socks" in text and "Check-in opens at 15:30" in text
    assert attachments(message) == {f"{retreat.slug}-guide.pdf": ("application/pdf", PDF)}
    [guide_link] = {link for link in links_in(message) if "/guide?" in link}
    assert guide_link.startswith(app.config["PUBLIC_BASE_URL"] + "/bookings/")
    page = client.get(guide_link.removeprefix(app.config["PUBLIC_BASE_URL"]))
    assert page.status_code == 200 and "Warm socks" in page.get_data(as_text=True)


def test_a_guide_without_a_pdf_has_no_attachment(db, retreat, smtp_inbox):
    booking = confirmed_booking(retreat)
    send_due_emails(now=due(db, booking, "preparation_guide"))
    [message] = [m for m in smtp_inbox.wait_for(3) if "your guide" in subject_of(m)]
    assert attachments(message) == {}


def test_the_reminder_gives_the_place_in_the_events_zone(db, retreat, smtp_inbox):
    booking = confirmed_booking(retreat)
    send_due_emails(now=due(db, booking, "reminder"))
    [message] = [m for m in smtp_inbox.wait_for(4) if subject_of(m).startswith("Reminder")]

    local = retreat.local_starts_at
    assert subject_of(message) == f"Reminder: Quiet Weekend on {local.day} {local:%B}"
    text, html = text_and_html(message)
    for part in (text, html):
        assert "Quinta do Vale" in part and "Sintra" in part and "Portugal" in part
        assert f"{local:%H:%M}" in part and "New York time" in part
        assert f"/bookings/{booking.reference}?t=" in part
    assert "meet" not in text.lower()


def test_an_online_reminder_gives_the_joining_link_to_confirmed_attendees(
    db, make_retreat, smtp_inbox
):
    retreat = make_retreat(
        kind=RetreatKind.WORKSHOP,
        is_online=True,
        venue=None,
        city=None,
        country=None,
        online_join_url="https://meet.example.net/closer-42",
        starts_in=timedelta(days=1),
    )
    booking = confirmed_booking(retreat)
    send_due_emails()  # a day before the start, the reminder is due at once
    [message] = [m for m in smtp_inbox.wait_for(4) if subject_of(m).startswith("Reminder")]
    text, html = text_and_html(message)
    assert "https://meet.example.net/closer-42" in text
    assert 'href="https://meet.example.net/closer-42"' in html
    assert only_row(db, booking, "reminder").status == OutboxStatus.SENT
    # The joining link is in no mail that goes to anyone else.
    others = [m for m in smtp_inbox.messages if m["To"] != "Ada@Example.org"]
    assert others and all("closer-42" not in m.as_string() for m in others)


def test_the_organizer_is_told_of_a_new_booking_without_the_private_answers(
    app, db, retreat, smtp_inbox
):
    booking = confirmed_booking(retreat, seats=2)
    send_due_emails()
    [notice] = to(smtp_inbox.wait_for(2), "host@example.org")

    assert subject_of(notice) == f"New booking {booking.reference}: Quiet Weekend"
    text, html = text_and_html(notice)
    assert "Couple (2 people)" in text and "Places:  2" in text
    link = f"{app.config['PUBLIC_BASE_URL']}/organizer/retreats/{retreat.id}/bookings/{booking.id}"
    assert link in text and f'href="{link}"' in html
    assert len(booking.answers) == len(ADA_INTAKE)  # the answers were given, and kept
    for private in ADA_INTAKE.values():
        assert private not in notice.as_string()


def test_the_organizer_is_told_when_an_attendee_cancels(app, db, retreat, smtp_inbox):
    booking = confirmed_booking(retreat)
    send_due_emails()
    cancel_booking(booking_id=booking.id)
    assert send_due_emails() == 2  # the attendee's cancellation, and the organizer's notice
    [notice] = [m for m in smtp_inbox.wait_for(4) if "cancelled:" in subject_of(m)]

    assert notice["To"] == "host@example.org"
    assert subject_of(notice) == f"Booking {booking.reference} cancelled: Quiet Weekend"
    text, _html = text_and_html(notice)
    assert "Individual" in text and "Places:  1" in text
    assert f"/organizer/retreats/{retreat.id}/bookings/{booking.id}" in text
    assert booking.answers and ADA_INTAKE["dietary-needs"] not in notice.as_string()
    row = only_row(db, booking, "organizer_booking_cancelled")
    assert row.key == f"organizer_booking_cancelled:{booking.id}:host@example.org"


def all_demo_listings() -> list[demo_listings.DemoListing]:
    return [
        value
        for module in (demo_listings, demo_workshops)
        for value in vars(module).values()
        if isinstance(value, demo_listings.DemoListing)
    ]


def test_the_demo_guides_are_real_and_drawn_from_their_subject():
    listings = {listing.title: listing for listing in all_demo_listings()}
    upcoming = [
        listing for listing in listings.values() if listing.status != RetreatStatus.CANCELLED
    ]
    for listing in upcoming:
        guide = listing.preparation_guide_md
        for heading in ("**What to bring**", "**Arrival**", "gratitude ritual"):
            assert heading in guide, (listing.title, heading)
        assert "to follow" not in guide.lower(), listing.title
    love_maps = listings["Love Maps: An Evening Workshop for Couples"].preparation_guide_md
    questions = [line for line in love_maps.splitlines() if line.startswith("- ")]
    assert "Love-map questions" in love_maps and sum(q.endswith("?") for q in questions) >= 6
    eyes = listings["Eye-Gazing and Breath-Syncing Workshop"].preparation_guide_md
    assert "**Eye-gazing: try it once at home**" in eyes and "left eye" in eyes
    assert "**Breath-syncing: try it once at home**" in eyes and "in for four" in eyes
    online = listings["Closer Conversations: An Online Workshop for Couples"]
    assert "reminder email two days before" in online.preparation_guide_md
