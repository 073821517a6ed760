"""Giving seats back never waits for the seat lock: if offering them to the waitlist cannot
happen at once, the release still succeeds and the worker's sweep makes the offer."""

from __future__ import annotations

import psycopg
import pytest

from retreats import create_app
from retreats.booking.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from retreats.booking.services import cancel_unpaid_booking
from retreats.booking.tokens import booking_token
from retreats.booking.upkeep import release_lapsed_seats
from retreats.booking.waitlist import join_waitlist
from retreats.extensions import db
from tests.conftest import plain_url, wait_until
from tests.factories import attendee, held_booking
from tests.journey import book_to_checkout, pay

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_backend() -> str:
    return "postgresql"  # a second connection can hold the row lock while SQLite reads go on


def hold_one(retreat, email: str) -> Booking:
    return held_booking(retreat, attendee(email, "A"))


def test_releasing_while_the_seat_lock_is_busy(app, app_config, make_retreat, database_url):
    retreat = make_retreat(capacity=2)
    first, second = hold_one(retreat, "a@example.org"), hold_one(retreat, "b@example.org")
    waiting = join_waitlist(retreat_id=retreat.id, name="W", email="w@example.org", seats=1)
    first_id, second_ref, waiting_id = first.id, second.reference, waiting.id

    holder = psycopg.connect(plain_url(database_url))
    holder.execute("SELECT id FROM retreats WHERE id = %s FOR UPDATE", (retreat.id,))
    impatient = create_app(app_config | {"SEAT_LOCK_TIMEOUT_MS": 200})
    try:
        with impatient.app_context():
            assert cancel_unpaid_booking(booking_id=first_id) is True
            db.session.remove()
        # The cancel link answers normally too (Stripe is not needed: no session was opened).
        response = impatient.test_client().get(
            f"/bookings/{second_ref}/abandon?t={booking_token(second_ref)}"
        )
        assert response.status_code == 303
    finally:
        holder.rollback()
        holder.close()

    db.session.expire_all()
    statuses = {b.contact_email: b.status for b in db.session.query(Booking)}
    assert statuses == {
        "a@example.org": BookingStatus.CANCELLED,
        "b@example.org": BookingStatus.CANCELLED,
    }
    assert db.session.get(WaitlistEntry, waiting_id).status == WaitlistStatus.WAITING
    release_lapsed_seats()  # the worker's next sweep
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, waiting_id).status == WaitlistStatus.OFFERED


def test_the_cancel_link_of_a_booking_paid_in_another_tab_while_the_seat_lock_is_busy(
    app, live_site, browser, make_retreat, database_url
):
    """Back from Checkout after paying in another tab: confirming needs the seat lock, and when it
    cannot be had now the visitor sees their booking's page and a "try again", not an error."""
    app.config["SEAT_LOCK_TIMEOUT_MS"] = 200
    retreat = make_retreat(capacity=2)
    checkout = book_to_checkout(browser, live_site, retreat)
    reference = db.session.execute(db.select(Booking.reference)).scalar_one()
    manage_path = f"/bookings/{reference}?t={booking_token(reference)}"

    holder = psycopg.connect(plain_url(database_url))
    holder.execute("SELECT id FROM retreats WHERE id = %s FOR UPDATE", (retreat.id,))
    try:
        assert pay(browser, checkout).status_code == 303  # the other tab
        back = browser.get(
            f"{live_site.url}/bookings/{reference}/abandon?t={booking_token(reference)}",
            allow_redirects=False,
        )
        assert back.status_code == 303, back.status_code
        assert back.headers["Location"] == manage_path
        page = browser.get(live_site.url + manage_path)
        assert page.status_code == 200
        assert "Please try again in a moment" in page.text
        assert "waiting for your payment to be confirmed" in page.text
    finally:
        holder.rollback()
        holder.close()

    # The payment is Stripe's truth: once the lock is free, the webhook's next try confirms it.
    def status() -> BookingStatus:
        db.session.expire_all()
        return db.session.execute(db.select(Booking.status)).scalar_one()

    wait_until(lambda: status() == BookingStatus.CONFIRMED)
