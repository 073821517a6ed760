"""The waitlist: join when sold out, freed seats offered in order, offers held, lapsed, used."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from retreats.base.outbox import OutboxEmail
from retreats.booking.capacity import seats_left, seats_taken
from retreats.booking.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from retreats.booking.services import expire_booking
from retreats.booking.tokens import waitlist_offer_token
from retreats.booking.upkeep import release_lapsed_seats
from retreats.booking.waitlist import join_waitlist
from retreats.database import utcnow
from retreats.notifications.sender import send_due_emails
from tests.conftest import csrf_token_from
from tests.factories import attendee, held_booking
from tests.journey import filled_booking_form


def hold(retreat, seats: int, email: str = "ada@example.org") -> Booking:
    """Ada alone, or Ada and Bea on the couple ticket, with Ada's `email`."""
    return held_booking(retreat, *[attendee(email, "Ada"), attendee(None, "Bea")][:seats])


def entry(db, entry_id: int) -> WaitlistEntry:
    db.session.expire_all()
    return db.session.get(WaitlistEntry, entry_id)


@pytest.fixture
def full_retreat(make_retreat):
    """Three seats, all held: one couple and one individual."""
    retreat = make_retreat(capacity=3)
    hold(retreat, 2, "couple@example.org")
    hold(retreat, 1, "single@example.org")
    assert seats_left(retreat) == 0
    return retreat


def test_joining_twice_keeps_the_first_place(db, full_retreat):
    first = join_waitlist(retreat_id=full_retreat.id, name="Dee", email="dee@example.org", seats=1)
    again = join_waitlist(retreat_id=full_retreat.id, name="Dee", email="dee@example.org", seats=2)
    assert again.id == first.id
    assert db.session.query(WaitlistEntry).count() == 1


def test_freed_seats_go_to_the_earliest_entry_that_fits(db, full_retreat):
    couple = join_waitlist(retreat_id=full_retreat.id, name="Cou", email="c@example.org", seats=2)
    single = join_waitlist(retreat_id=full_retreat.id, name="Sol", email="s@example.org", seats=1)
    lone_booking = db.session.query(Booking).filter_by(contact_email="single@example.org").one()

    expire_booking(booking_id=lone_booking.id)  # one seat comes free

    assert entry(db, couple.id).status == WaitlistStatus.WAITING  # a couple needs two
    offered = entry(db, single.id)
    assert offered.status == WaitlistStatus.OFFERED
    assert offered.offer_expires_at > utcnow() + timedelta(hours=23)
    assert seats_left(full_retreat) == 0, "a live offer counts as taken"
    [email] = db.session.query(OutboxEmail).filter_by(kind="waitlist_offer").all()
    assert email.to_address == "s@example.org"


def test_the_offer_email_links_to_a_form_that_books_the_held_seats(
    db, client, full_retreat, smtp_inbox
):
    waiting = join_waitlist(retreat_id=full_retreat.id, name="Sol", email="s@example.org", seats=1)
    expire_booking(
        booking_id=db.session.query(Booking).filter_by(contact_email="single@example.org").one().id
    )
    send_due_emails()
    [message] = smtp_inbox.wait_for(1)
    assert message["Subject"] == f"A place has opened up for you: {full_retreat.title}"
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+/waitlist/\d+\?t=\S+", text).group(0)
    path = link.split("127.0.0.1", 1)[1].split("/", 1)[1]

    page = client.get("/" + path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "A place is held for you" in html
    assert 'value="s@example.org"' in html  # prefilled from the waitlist entry
    single_ticket = next(t for t in full_retreat.ticket_types if t.seats_per_ticket == 1)
    form = filled_booking_form(html, single_ticket, email="s@example.org")
    response = client.post("/" + path, data=form)
    # No Stripe server in this test: the hold is let go and the offer given back intact.
    assert response.status_code == 502
    assert entry(db, waiting.id).status == WaitlistStatus.OFFERED
    assert db.session.query(Booking).filter_by(contact_email="s@example.org").count() == 0


def test_using_the_offer_turns_it_into_a_booking_without_changing_the_count(db, full_retreat):
    waiting = join_waitlist(retreat_id=full_retreat.id, name="Sol", email="s@example.org", seats=1)
    expire_booking(
        booking_id=db.session.query(Booking).filter_by(contact_email="single@example.org").one().id
    )
    taken_before = seats_taken(full_retreat.id)
    booking = held_booking(
        full_retreat, attendee("s@example.org", "Sol"), waitlist_entry_id=waiting.id
    )
    assert booking.status == BookingStatus.PENDING
    assert booking.waitlist_entry_id == waiting.id
    assert entry(db, waiting.id).status == WaitlistStatus.BOOKED
    assert seats_taken(full_retreat.id) == taken_before


def test_an_unused_offer_lapses_and_passes_to_the_next_entry(db, full_retreat):
    first = join_waitlist(retreat_id=full_retreat.id, name="One", email="1@example.org", seats=1)
    second = join_waitlist(retreat_id=full_retreat.id, name="Two", email="2@example.org", seats=1)
    expire_booking(
        booking_id=db.session.query(Booking).filter_by(contact_email="single@example.org").one().id
    )
    assert entry(db, first.id).status == WaitlistStatus.OFFERED

    result = release_lapsed_seats(now=utcnow() + timedelta(hours=25))
    assert result.offers_lapsed == 1
    assert entry(db, first.id).status == WaitlistStatus.LAPSED
    assert entry(db, second.id).status == WaitlistStatus.OFFERED


def test_offer_links_are_checked(db, client, full_retreat):
    waiting = join_waitlist(retreat_id=full_retreat.id, name="Sol", email="s@example.org", seats=1)
    assert client.get(f"/waitlist/{waiting.id}?t=guess").status_code == 404
    not_offered_yet = client.get(f"/waitlist/{waiting.id}?t={waitlist_offer_token(waiting.id)}")
    assert not_offered_yet.status_code == 410
    assert "This offer has ended" in not_offered_yet.get_data(as_text=True)


def test_joining_through_the_page(db, client, full_retreat):
    page = client.get(f"/retreats/{full_retreat.slug}/waitlist")
    html = page.get_data(as_text=True)
    bad = client.post(
        f"/retreats/{full_retreat.slug}/waitlist",
        data={"csrf_token": csrf_token_from(html), "name": "", "email": "nope", "seats": "3"},
    )
    assert bad.status_code == 422
    assert db.session.query(WaitlistEntry).count() == 0
    good = client.post(
        f"/retreats/{full_retreat.slug}/waitlist",
        data={
            "csrf_token": csrf_token_from(html),
            "name": "Dee",
            "email": "d@example.org",
            "seats": "2",
        },
        follow_redirects=True,
    )
    assert "You are on the waitlist" in good.get_data(as_text=True)
    assert db.session.query(WaitlistEntry).one().seats == 2
    sold_out_page = client.get(f"/retreats/{full_retreat.slug}").get_data(as_text=True)
    assert "Join the waitlist" in sold_out_page
