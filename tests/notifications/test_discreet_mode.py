"""Discreet mode: subjects, the sender's name and the calendar entry say nothing intimate, in the
mail a real SMTP server received; the listing editor's two fields that control the schedule."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import render_template_string
from icalendar import Calendar

from retreats.base.stored_files import prepare_guide_pdf
from retreats.booking.tokens import booking_token
from retreats.listings.models import Retreat, RetreatKind
from retreats.notifications.calendar import neutral_event_title
from retreats.notifications.sender import send_due_emails
from retreats.organizer.listings.forms import RetreatForm
from retreats.organizer.listings.services import Uploads, update_retreat
from tests.notifications.helpers import (
    attachments,
    calendar_event,
    confirmed_booking,
    details_of,
    only_row,
    subject_of,
    text_and_html,
    to,
)
from tests.organizer.helpers import new_retreat_data

LISBON = ZoneInfo("Europe/Lisbon")
TITLE = "Sacred Intimacy Weekend for Couples"
TITLE_WORDS = ("sacred", "intimacy", "intimate", "couples", "weekend for")


def lisbon(*args) -> datetime:
    return datetime(*args, tzinfo=LISBON)


@pytest.fixture
def weekend(make_retreat):
    """Friday 14 March 2031, 17:00 to Sunday 16 March, 14:00 in Lisbon."""

    def make(**options) -> Retreat:
        return make_retreat(
            title=TITLE,
            starts_at=lisbon(2031, 3, 14, 17, 0),
            ends_at=lisbon(2031, 3, 16, 14, 0),
            **options,
        )

    return make


def says_nothing_intimate(text: str) -> bool:
    return not any(word in text.lower() for word in TITLE_WORDS)


def sender_of(message) -> tuple[str, str]:
    [address] = message["From"].addresses
    return address.display_name, address.addr_spec


def test_a_discreet_retreats_mails_keep_quiet_in_subject_sender_and_calendar(
    db, weekend, smtp_inbox
):
    retreat = weekend(discreet_emails=True)
    booking = confirmed_booking(retreat)
    send_due_emails()
    [confirmation] = to(smtp_inbox.wait_for(2), "ada@example.org")

    assert subject_of(confirmation) == f"Your booking {booking.reference} is confirmed"
    assert sender_of(confirmation) == ("Bookings", "bookings@retreats.test")
    event = calendar_event(confirmation)
    assert str(event["SUMMARY"]) == "Weekend retreat, 14–16 March"
    assert says_nothing_intimate(str(event["SUMMARY"]))
    assert event["DTSTART"].dt == retreat.local_starts_at
    text, _html = text_and_html(confirmation)
    assert TITLE in text  # the body may still say what was booked

    for kind in ("preparation_guide", "reminder"):
        send_due_emails(now=only_row(db, booking, kind).send_after)
    guide, reminder = smtp_inbox.wait_for(4)[2:]
    assert subject_of(guide) == f"Preparing for your booking {booking.reference}"
    assert subject_of(reminder) == f"Reminder: your booking {booking.reference} on 14 March"
    for message in smtp_inbox.messages:
        assert says_nothing_intimate(subject_of(message)), subject_of(message)
        assert sender_of(message)[0] == "Bookings"


def test_a_discreet_retreats_guide_pdf_is_attached_under_a_neutral_name(
    db, weekend, organizer, smtp_inbox
):
    retreat = weekend(discreet_emails=True)
    booking = confirmed_booking(retreat)
    pdf = b"%PDF-1.4\n% the organizer's own guide\n%%EOF\n"
    update_retreat(
        retreat_id=retreat.id,
        actor_id=organizer.id,
        details=details_of(retreat),
        uploads=Uploads(guide_pdf=prepare_guide_pdf(io.BytesIO(pdf))),
    )
    send_due_emails(now=only_row(db, booking, "preparation_guide").send_after)
    [guide] = [m for m in smtp_inbox.wait_for(3) if "Preparing for" in subject_of(m)]
    # Not "<slug>-guide.pdf": a slug is made from the title.
    assert attachments(guide) == {"preparation-guide.pdf": ("application/pdf", pdf)}


def test_the_calendar_download_of_a_discreet_retreat_is_neutral_too(db, client, weekend):
    booking = confirmed_booking(weekend(discreet_emails=True))
    response = client.get(
        f"/bookings/{booking.reference}/calendar.ics",
        query_string={"t": booking_token(booking.reference)},
    )
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Weekend retreat, 14–16 March"


def test_the_site_wide_setting_makes_every_retreat_discreet(app, db, make_retreat, smtp_inbox):
    app.config["DISCREET_EMAILS"] = True
    app.config["DISCREET_SENDER_NAME"] = "Reservations"
    retreat = make_retreat(
        title="Tantric Touch Workshop",
        kind=RetreatKind.WORKSHOP,
        starts_at=lisbon(2031, 3, 14, 18, 30),
        ends_at=lisbon(2031, 3, 14, 21, 0),
    )
    booking = confirmed_booking(retreat)
    send_due_emails()
    [confirmation] = to(smtp_inbox.wait_for(2), "ada@example.org")
    [notice] = to(smtp_inbox.messages, "host@example.org")

    assert subject_of(confirmation) == f"Your booking {booking.reference} is confirmed"
    assert sender_of(confirmation) == ("Reservations", "bookings@retreats.test")
    assert str(calendar_event(confirmation)["SUMMARY"]) == "Workshop, 14 March"
    assert subject_of(notice) == f"New booking {booking.reference}"


def test_a_retreat_that_is_not_discreet_names_itself(db, weekend, smtp_inbox):
    booking = confirmed_booking(weekend())
    send_due_emails()
    [confirmation] = to(smtp_inbox.wait_for(2), "ada@example.org")

    assert subject_of(confirmation) == f"Your booking {booking.reference} is confirmed: {TITLE}"
    assert sender_of(confirmation) == ("Open Hearts", "bookings@retreats.test")
    assert str(calendar_event(confirmation)["SUMMARY"]) == TITLE


@pytest.mark.parametrize(
    ("kind", "starts_at", "ends_at", "title"),
    [
        (
            RetreatKind.RETREAT,
            lisbon(2031, 5, 30, 17),
            lisbon(2031, 6, 1, 14),
            "Weekend retreat, 30 May – 1 June",
        ),
        (
            RetreatKind.RETREAT,
            lisbon(2031, 3, 10, 15),
            lisbon(2031, 3, 14, 12),
            "Retreat, 10–14 March",
        ),
        (
            RetreatKind.RETREAT,
            lisbon(2031, 12, 29, 15),
            lisbon(2032, 1, 2, 12),
            "Retreat, 29 December 2031 – 2 January 2032",
        ),
        (
            RetreatKind.WORKSHOP,
            lisbon(2031, 3, 15, 10),
            lisbon(2031, 3, 16, 16),
            "Workshop, 15–16 March",
        ),
    ],
)
def test_the_neutral_calendar_title_says_only_the_kind_and_the_days(
    kind, starts_at, ends_at, title
):
    retreat = Retreat(
        title=TITLE, kind=kind, starts_at=starts_at, ends_at=ends_at, timezone="Europe/Lisbon"
    )
    assert neutral_event_title(retreat) == title


def test_the_listing_form_takes_the_guide_days_and_discreet_emails(app):
    data = new_retreat_data(guide_days_before="12", discreet_emails="y")
    with app.test_request_context(method="POST", data=data):
        form = RetreatForm(meta={"csrf": False})
        assert form.validate(), form.errors
        details = form.details()
    assert (details.guide_days_before, details.discreet_emails) == (12, True)

    with app.test_request_context(method="POST", data=new_retreat_data(guide_days_before="61")):
        form = RetreatForm(meta={"csrf": False})
        assert not form.validate()
        assert form.guide_days_before.errors == ["Between 0 and 60 days."]

    with app.test_request_context(method="POST", data=new_retreat_data()):
        form = RetreatForm(meta={"csrf": False})
        assert form.validate(), form.errors
        details = form.details()
    assert (details.guide_days_before, details.discreet_emails) == (None, False)


def test_the_listing_fields_render_with_their_hints(app):
    with app.test_request_context():
        form = RetreatForm(meta={"csrf": False})
        page = render_template_string(
            '{% from "organizer/_listing_fields.html" import email_fields %}'
            "{{ email_fields(form) }}",
            form=form,
        )
    assert 'type="number"' in page and 'name="guide_days_before"' in page
    assert 'placeholder="7"' in page and 'min="0"' in page and 'max="60"' in page
    assert 'type="checkbox"' in page and 'name="discreet_emails"' in page
    assert 'aria-describedby="guide_days_before-hint"' in page
    assert 'aria-describedby="discreet_emails-hint"' in page


def test_saving_the_listing_keeps_the_guide_days_when_the_field_is_empty(
    db, make_retreat, organizer
):
    retreat = make_retreat(guide_days_before=12)
    booking = confirmed_booking(retreat)

    changed = update_retreat(
        retreat_id=retreat.id,
        actor_id=organizer.id,
        details=details_of(retreat, guide_days_before=None, discreet_emails=True),
        uploads=Uploads(),
    )

    assert changed == ["discreet_emails"]
    assert retreat.guide_days_before == 12 and retreat.discreet_emails
    guide_at = only_row(db, booking, "preparation_guide").send_after
    assert guide_at == retreat.starts_at - timedelta(days=12)
