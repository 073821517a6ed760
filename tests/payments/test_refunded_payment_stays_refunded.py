"""A late payment refunded for want of a seat is never seated afterwards, whoever looks again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from retreats.booking.models import Booking, BookingStatus
from retreats.booking.services import expire_booking
from retreats.booking.upkeep import release_lapsed_seats
from retreats.database import utcnow
from retreats.extensions import db
from tests.journey import book_to_checkout, pay


def lapse(booking_id: int, how: str) -> None:
    if how == "expired":
        expire_booking(booking_id=booking_id)
        return
    db.session.execute(
        update(Booking)
        .where(Booking.id == booking_id)
        .values(hold_expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()


@pytest.mark.parametrize("how_late", ["hold ran out", "expired"])
@pytest.mark.parametrize("second_look", ["success page", "sweeper"])
def test_a_refunded_late_payment_is_not_seated_when_a_seat_frees_up(
    live_site, browser, requests_session_factory, make_retreat, how_late, second_look
):
    retreat = make_retreat(capacity=1, tickets=[("Individual", 25_000, 1)])
    late_checkout = book_to_checkout(browser, live_site, retreat)
    late = db.session.execute(db.select(Booking)).scalar_one()
    lapse(late.id, how_late)
    other = requests_session_factory()
    other_checkout = book_to_checkout(other, live_site, retreat, email="cy@example.org")

    success_url = pay(browser, late_checkout).headers["Location"]
    browser.get(success_url)
    db.session.expire_all()
    late = db.session.get(Booking, late.id)
    assert late.status == BookingStatus.EXPIRED  # unseated, also when its hold lapsed unswept
    assert late.refunded_minor == 25_000

    # The other visitor leaves Checkout: the seat is free again.
    page = other.get(other_checkout)
    other.get(
        re.search(r'href="([^"]+/abandon\?t=[^"]+)"', page.text).group(1).replace("&amp;", "&")
    )
    if second_look == "success page":
        browser.get(success_url)
    else:
        release_lapsed_seats()
    db.session.expire_all()
    late = db.session.get(Booking, late.id)
    assert late.status == BookingStatus.EXPIRED, "refunded in full, so never seated"
    assert late.refunded_minor == 25_000
