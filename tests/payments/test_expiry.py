"""`flask bookings expire` and checkout.session.expired: whichever comes first, seats come back
once, and the Checkout Session is closed at Stripe so the lapsed hold can no longer be paid."""

from __future__ import annotations

from datetime import timedelta

from retreats.booking.capacity import seats_left
from retreats.booking.models import Booking, BookingStatus
from retreats.database import utcnow
from retreats.extensions import db
from retreats.payments.models import StripeEvent
from retreats.payments.stripe_gateway import retrieve_checkout_session
from tests.conftest import wait_until
from tests.journey import book_to_checkout


def the_booking() -> Booking:
    db.session.expire_all()
    return db.session.execute(db.select(Booking)).scalar_one()


def lapse_hold(booking: Booking) -> None:
    booking.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_the_expire_command_releases_seats_and_closes_the_session(
    live_site, browser, make_retreat, app
):
    retreat = make_retreat(capacity=2, tickets=[("Couple (2 people)", 89_000, 2)])
    checkout = book_to_checkout(browser, live_site, retreat)
    booking = the_booking()
    lapse_hold(booking)

    result = app.test_cli_runner().invoke(args=["bookings", "expire"])
    assert result.exit_code == 0, result.output
    assert "Expired 1 booking(s)" in result.output
    assert the_booking().status == BookingStatus.EXPIRED
    assert seats_left(retreat) == 2
    assert retrieve_checkout_session(booking.checkout_session_id).status == "expired"
    assert browser.get(checkout).status_code == 409  # the pay page no longer takes payment

    # Stripe's own checkout.session.expired event follows and changes nothing.
    wait_until(
        lambda: db.session.query(StripeEvent).filter_by(type="checkout.session.expired").count()
    )
    booking = the_booking()
    assert booking.status == BookingStatus.EXPIRED
    again = app.test_cli_runner().invoke(args=["bookings", "expire"])
    assert "Expired 0 booking(s)" in again.output


def test_stripe_expiring_first_then_the_command_changes_nothing(
    live_site, browser, make_retreat, app
):
    retreat = make_retreat(capacity=2, tickets=[("Couple (2 people)", 89_000, 2)])
    book_to_checkout(browser, live_site, retreat)
    booking = the_booking()
    browser.post(
        f"{live_site.stripe_url}/_config/checkout/sessions/{booking.checkout_session_id}/lapse"
    )
    wait_until(lambda: the_booking().status == BookingStatus.EXPIRED)
    expired_at = the_booking().expired_at
    result = app.test_cli_runner().invoke(args=["bookings", "expire"])
    assert "Expired 0 booking(s)" in result.output
    assert the_booking().expired_at == expired_at
