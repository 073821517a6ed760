"""A payment that arrives after its hold lapsed: seated if seats remain, else refunded kindly."""

from __future__ import annotations

import threading

import requests

from retreats.base.outbox import OutboxEmail
from retreats.booking.capacity import seats_left
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.services import expire_booking
from retreats.extensions import db
from retreats.notifications.sender import send_due_emails
from retreats.payments.models import Refund, RefundStatus, StripeEvent
from tests.conftest import wait_until
from tests.journey import book_to_checkout, pay, pay_and_land


def booking_with_email(email: str) -> Booking:
    db.session.expire_all()
    return db.session.execute(db.select(Booking).filter_by(contact_email=email)).scalar_one()


def test_a_late_payment_is_confirmed_while_seats_remain(live_site, browser, make_retreat):
    retreat = make_retreat(capacity=4, tickets=[("Couple (2 people)", 89_000, 2)])
    checkout = book_to_checkout(browser, live_site, retreat)
    expire_booking(booking_id=booking_with_email("ada@example.org").id)
    assert seats_left(retreat) == 4

    landing = pay_and_land(browser, checkout)
    assert "Your booking is confirmed" in landing.text
    assert booking_with_email("ada@example.org").status == BookingStatus.CONFIRMED
    assert seats_left(retreat) == 2


def test_a_late_payment_without_seats_is_refunded_in_full_with_a_kind_email(
    live_site, browser, make_retreat, smtp_inbox, requests_session_factory
):
    retreat = make_retreat(capacity=2, tickets=[("Couple (2 people)", 89_000, 2)])
    late_checkout = book_to_checkout(browser, live_site, retreat)
    expire_booking(booking_id=booking_with_email("ada@example.org").id)
    # Someone else books and pays for the released seats meanwhile.
    other = requests_session_factory()
    pay_and_land(other, book_to_checkout(other, live_site, retreat, email="cy@example.org"))
    assert booking_with_email("cy@example.org").status == BookingStatus.CONFIRMED

    landing = pay_and_land(browser, late_checkout)
    late = booking_with_email("ada@example.org")
    assert late.status == BookingStatus.EXPIRED
    assert "the places were taken before your payment arrived" in landing.text
    assert "Join the waitlist" in landing.text
    assert seats_left(retreat) == 0  # never oversold
    refund = db.session.execute(db.select(Refund).filter_by(booking_id=late.id)).scalar_one()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.amount_minor == 89_000 and refund.reason == "unseated_payment"
    assert late.refunded_minor == 89_000

    send_due_emails()
    messages = {m["To"]: m for m in smtp_inbox.wait_for(2)}
    apology = messages["ada@example.org"]
    assert apology["Subject"] == f"We are refunding your payment for {retreat.title}"
    text = apology.get_body(preferencelist=("plain",)).get_content()
    assert "€890.00" in text
    assert f"/retreats/{retreat.slug}/waitlist" in text
    kinds = sorted(e.kind for e in db.session.query(OutboxEmail).filter_by(booking_id=late.id))
    assert kinds == ["unseated_payment_refunded"]


SIMULTANEOUS_LOADS = 3


def completed_events_applied() -> int:
    db.session.rollback()  # a fresh snapshot: the server's threads write meanwhile
    return db.session.scalar(
        db.select(db.func.count(StripeEvent.id)).filter_by(type="checkout.session.completed")
    )


def load_together(sessions: list, url: str) -> list:
    """GET `url` from every session at the same moment; each thread's response or error."""
    start = threading.Barrier(len(sessions))
    answers: list = [None] * len(sessions)

    def load(number: int) -> None:
        try:
            start.wait(timeout=30)
            answers[number] = sessions[number].get(url, timeout=60)
        except BaseException as error:  # reported by the assertion below
            answers[number] = error

    threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a page load never answered"
    return answers


def test_simultaneous_success_page_loads_after_an_unseated_late_payment_all_get_the_page(
    live_site, browser, make_retreat, requests_session_factory
):
    retreat = make_retreat(capacity=2, tickets=[("Couple (2 people)", 89_000, 2)])
    late_checkout = book_to_checkout(browser, live_site, retreat)
    expire_booking(booking_id=booking_with_email("ada@example.org").id)
    other = requests_session_factory()
    pay_and_land(other, book_to_checkout(other, live_site, retreat, email="cy@example.org"))

    paid = pay(browser, late_checkout)
    assert paid.status_code == 303, paid.text
    # The same success link opened three times at once (a reload, a second tab, a double tap),
    # racing each other and the webhook that follows half a second later.
    tabs = [requests_session_factory() for _ in range(SIMULTANEOUS_LOADS)]
    answers = load_together(tabs, paid.headers["Location"])

    for answer in answers:
        assert isinstance(answer, requests.Response), answer
        assert answer.status_code == 200, answer.status_code
        assert "the places were taken before your payment arrived" in answer.text
    wait_until(lambda: completed_events_applied() == 2)  # Cy's payment and this late one
    late = booking_with_email("ada@example.org")
    assert late.status == BookingStatus.EXPIRED
    assert late.refunded_minor == 89_000
    refunds = db.session.execute(db.select(Refund).filter_by(booking_id=late.id)).scalars().all()
    assert [(r.amount_minor, r.reason, r.status) for r in refunds] == [
        (89_000, "unseated_payment", RefundStatus.SUCCEEDED)
    ]
    assert seats_left(retreat) == 0
