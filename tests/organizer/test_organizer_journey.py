"""An organizer's first day, over real HTTP against the local Stripe and a real SMTP server:
created from the command line, signs in, creates and publishes a retreat with an individual and
a couple ticket and a preparation guide; a visitor books and pays; the organizer sees the booking
with its answers, exports the CSV, checks the attendee in, and cancels and refunds the booking."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from retreats.base.audit import AuditEntry
from retreats.booking.models import Attendee, Booking, BookingStatus
from retreats.database import utcnow
from retreats.listings.models import Retreat, RetreatStatus
from retreats.notifications.sender import send_due_emails
from retreats.payments.models import RefundStatus
from tests.conftest import wait_until
from tests.html_forms import form_posting_to, form_with_field
from tests.journey import book_to_checkout, pay_and_land

PASSWORD = "breathe in, breathe out"  # noqa: S105  (test account)
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submit(session, page_url: str, form, overrides: dict | None = None, files=None):
    data = form.fields | (overrides or {})
    return session.post(form.action, data=data, files=files, allow_redirects=False)


def local_input(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def create_organizer_from_the_cli(app) -> None:
    result = app.test_cli_runner().invoke(
        args=["organizer", "create", "maya@example.org", "--name", "Maya Lind"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output


def sign_in(session, site) -> None:
    login_url = f"{site.url}/organizer/login"
    page = session.get(login_url)
    form = form_with_field(page.text, "password", page_url=login_url)
    response = submit(session, login_url, form, {"email": "maya@example.org", "password": PASSWORD})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/organizer/")


def create_retreat(session, site) -> int:
    new_url = f"{site.url}/organizer/retreats/new"
    page = session.get(new_url)
    form = form_with_field(page.text, "title", page_url=new_url)
    starts = (utcnow() + timedelta(days=45)).replace(hour=17, minute=0)
    response = submit(
        session,
        new_url,
        form,
        {
            "title": "Breath and Presence Weekend",
            "summary": "Two days of slowing down together.",
            "description_md": "We **breathe** together.",
            "kind": "retreat",
            "focus": "spiritual",
            "audience": "couples",
            "where": "in_person",
            "venue": "Casa do Rio",
            "city": "Tavira",
            "country": "Portugal",
            "timezone": "Europe/Lisbon",
            "starts_at": local_input(starts),
            "ends_at": local_input(starts + timedelta(days=2)),
            "capacity": "10",
            "currency": "EUR",
            "preparation_guide_md": "Bring a journal and warm socks.",
            "save": "Save",
        },
        files={"guide_pdf": ("guide.pdf", TINY_PDF, "application/pdf")},
    )
    assert response.status_code in (302, 303), response.text
    return int(response.headers["Location"].split("/retreats/")[1].split("/")[0])


def add_ticket(session, site, retreat_id: int, name: str, price: str, seats: int) -> None:
    url = f"{site.url}/organizer/retreats/{retreat_id}/tickets/new"
    page = session.get(url)
    form = form_with_field(page.text, "price", page_url=url)
    response = submit(
        session, url, form, {"name": name, "price": price, "seats_per_ticket": str(seats)}
    )
    assert response.status_code in (302, 303), response.text


def post_button(session, page_url: str, action_part: str, overrides: dict | None = None):
    page = session.get(page_url)
    form = form_posting_to(page.text, action_part, page_url=page_url)
    return submit(session, page_url, form, overrides)


def test_an_organizer_runs_a_retreat_from_listing_to_refund(
    app, db, live_site, requests_session_factory, smtp_inbox
):
    create_organizer_from_the_cli(app)
    organizer = requests_session_factory()
    sign_in(organizer, live_site)

    retreat_id = create_retreat(organizer, live_site)
    add_ticket(organizer, live_site, retreat_id, "Individual", "300", 1)
    add_ticket(organizer, live_site, retreat_id, "Couple", "540.50", 2)
    edit_url = f"{live_site.url}/organizer/retreats/{retreat_id}/edit"
    assert post_button(organizer, edit_url, "/publish").status_code in (302, 303)

    db.session.expire_all()
    retreat = db.session.get(Retreat, retreat_id)
    assert retreat.status == RetreatStatus.PUBLISHED
    assert retreat.preparation_guide_pdf and retreat.organizer.email == "maya@example.org"
    assert [(t.name, t.price_minor, t.seats_per_ticket) for t in retreat.ticket_types] == [
        ("Individual", 30_000, 1),
        ("Couple", 54_050, 2),
    ]
    assert "Breath and Presence Weekend" in organizer.get(f"{live_site.url}/").text

    # A couple books the couple ticket and pays on the local hosted page.
    visitor = requests_session_factory()
    couple = retreat.ticket_types[1]
    landed = pay_and_land(visitor, book_to_checkout(visitor, live_site, retreat, couple))
    assert landed.status_code == 200 and "confirmed" in landed.text.lower()
    booking = wait_until(
        lambda: db.session.query(Booking).filter_by(status=BookingStatus.CONFIRMED).one_or_none()
    )

    # The attendee list shows both people; the private answers only on request.
    attendees_url = f"{live_site.url}/organizer/retreats/{retreat_id}/attendees"
    listing = organizer.get(attendees_url).text
    assert "Ada Lovelace" in listing and "Bea Lovelace" in listing and "Vegetarian" in listing
    assert "Ground-floor room" not in listing
    assert "Ground-floor room" in organizer.get(attendees_url, params={"private": "1"}).text

    # The CSV opens cleanly: UTF-8 with a BOM, one row per person, private columns when asked.
    export = organizer.get(f"{attendees_url}.csv", params={"private": "1"})
    assert export.status_code == 200 and export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and {booking.reference} == {row[next(iter(row))] for row in rows}
    # The retreat made in the editor asks the starting questions: a column each, by label.
    assert [row["Dietary needs"] for row in rows] == ["Vegetarian", ""]
    assert [row["Accessibility needs"] for row in rows] == ["", "Ground-floor room"]

    # Checked in at the door.
    ada = db.session.query(Attendee).filter_by(name="Ada Lovelace").one()
    checked = post_button(organizer, attendees_url, f"/attendees/{ada.id}/check-in")
    assert checked.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Attendee, ada.id).checked_in_at is not None

    # Cancelled with a full refund, which reaches Stripe; the couple is told by email.
    booking_url = f"{live_site.url}/organizer/retreats/{retreat_id}/bookings/{booking.id}"
    cancelled = post_button(organizer, booking_url, "/cancel", {"refund": "full", "confirm": "y"})
    assert cancelled.status_code in (302, 303)
    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    assert booking.status == BookingStatus.CANCELLED
    assert [(r.amount_minor, r.status) for r in booking.refunds] == [
        (54_050, RefundStatus.SUCCEEDED)
    ]
    send_due_emails()
    subjects = [message["Subject"] for message in smtp_inbox.wait_for(2)]
    assert any("confirmed" in subject for subject in subjects)
    assert any("cancelled" in subject for subject in subjects)

    actions = {entry.action for entry in db.session.query(AuditEntry).all()}
    assert {"answers.viewed", "attendees.exported", "attendee.checked_in"} <= actions
    assert {"retreat.created", "retreat.published", "booking.cancelled"} <= actions
