"""An attendee cancels from the manage link: refund per policy at Stripe, seats back, email."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking import cancellation
from retreats.booking.cancellation import cancel_booking
from retreats.booking.capacity import seats_left
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.services import Payment, confirm_booking
from retreats.booking.tokens import booking_token
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.notifications.sender import send_due_emails
from retreats.payments.models import Refund, RefundStatus
from retreats.payments.refunds import retry_delay, send_due_refunds
from tests.conftest import csrf_token_from, use_stripe_at
from tests.payments.helpers import cancel_from_page, confirmed_booking_page
from tests.races import first_call_waits_for


def only_booking() -> Booking:
    db.session.expire_all()
    return db.session.execute(db.select(Booking)).scalar_one()


@pytest.mark.parametrize(
    ("starts_in", "refund_shown", "refund_minor"),
    [
        (timedelta(days=40), "€890.00", 89_000),
        (timedelta(days=20), "€445.00", 44_500),
    ],
)
def test_cancelling_refunds_per_policy_frees_the_seats_and_sends_an_email(
    live_site, browser, make_retreat, smtp_inbox, starts_in, refund_shown, refund_minor
):
    retreat = make_retreat(
        capacity=2, starts_in=starts_in, tickets=[("Couple (2 people)", 89_000, 2)]
    )
    page = confirmed_booking_page(browser, live_site, retreat)
    assert f"you get <strong>{refund_shown}</strong> back" in page.text
    assert seats_left(retreat) == 0

    after = cancel_from_page(browser, page)
    assert after.status_code == 200
    assert "Your booking is cancelled" in after.text
    booking = only_booking()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.refunded_minor == refund_minor
    refund = db.session.execute(db.select(Refund)).scalar_one()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.amount_minor == refund_minor
    assert refund.stripe_refund_id.startswith("re_")
    assert seats_left(retreat) == 2

    stripe_refund = browser.get(
        f"{live_site.stripe_url}/v1/refunds/{refund.stripe_refund_id}",
        headers={"Authorization": "Bearer sk_test_suite"},
    ).json()
    assert stripe_refund["amount"] == refund_minor
    assert stripe_refund["payment_intent"] == booking.payment_intent_id

    send_due_emails()
    subjects = {m["Subject"]: m for m in smtp_inbox.wait_for(2)}
    cancellation = subjects[f"Your booking {booking.reference} is cancelled"]
    assert refund_shown in cancellation.get_body(preferencelist=("plain",)).get_content()
    assert "Cancel my booking" not in browser.get(page.url).text  # nothing left to cancel


def test_a_late_cancellation_refunds_nothing(live_site, browser, make_retreat):
    retreat = make_retreat(starts_in=timedelta(days=5), tickets=[("Individual", 30_000, 1)])
    page = confirmed_booking_page(browser, live_site, retreat)
    assert "no refund is due under the policy" in page.text
    cancel_from_page(browser, page)
    assert only_booking().status == BookingStatus.CANCELLED
    assert db.session.query(Refund).count() == 0
    still_to_go = {
        email.kind
        for email in db.session.query(OutboxEmail)
        if email.status != OutboxStatus.DROPPED
    }
    assert still_to_go == {
        "confirmation",
        "organizer_new_booking",
        "cancellation",
        "organizer_booking_cancelled",
    }  # the scheduled preparation guide and reminder were dropped


def test_cancelling_needs_the_confirmation_tick_and_the_secret_link(
    live_site, browser, make_retreat
):
    retreat = make_retreat(tickets=[("Individual", 30_000, 1)])
    page = confirmed_booking_page(browser, live_site, retreat)
    action_url = page.url.replace("?t=", "/cancel?t=")
    unticked = browser.post(action_url, data={"csrf_token": csrf_token_from(page.text)})
    assert "Please tick the box" in unticked.text
    wrong_token = re.sub(r"t=[^&]+", "t=not-the-token", action_url)
    forged = browser.post(
        wrong_token, data={"csrf_token": csrf_token_from(page.text), "confirm": "y"}
    )
    assert forged.status_code == 404
    assert only_booking().status == BookingStatus.CONFIRMED


def test_a_refund_stripe_cannot_take_now_is_kept_and_retried(live_site, browser, make_retreat, app):
    retreat = make_retreat(tickets=[("Individual", 30_000, 1)])
    page = confirmed_booking_page(browser, live_site, retreat)

    # Stripe goes away just as the attendee cancels.
    real_stripe = app.config["STRIPE_API_BASE"]
    use_stripe_at(app, "http://127.0.0.1:9")
    after = cancel_from_page(browser, page)
    assert "Your booking is cancelled" in after.text
    refund = db.session.execute(db.select(Refund)).scalar_one()
    assert refund.status == RefundStatus.PENDING
    assert refund.attempts == 1 and refund.last_error
    assert "we keep trying" in browser.get(page.url).text

    # Back again: the worker's next round sends it, once.
    use_stripe_at(app, real_stripe)
    assert send_due_refunds(now=utcnow()) == 0  # not due yet: it waits its back-off
    assert send_due_refunds(now=utcnow() + retry_delay(1)) == 1
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == RefundStatus.SUCCEEDED
    assert send_due_refunds(now=utcnow() + timedelta(days=1)) == 0


def test_two_tabs_cancelling_at_once_refund_once_and_both_show_the_cancelled_booking(
    live_site, browser, make_retreat, requests_session_factory, monkeypatch
):
    retreat = make_retreat(tickets=[("Individual", 30_000, 1)], starts_in=timedelta(days=40))
    page = confirmed_booking_page(browser, live_site, retreat)
    other_tab = requests_session_factory()
    other_page = other_tab.get(page.url)
    theirs = []
    # The other tab's cancellation commits between this one's read and its write.
    first_call_waits_for(
        monkeypatch,
        cancellation,
        "_cancel_and_record",
        lambda: theirs.append(cancel_from_page(other_tab, other_page)),
    )
    mine = cancel_from_page(browser, page)

    for answer in (mine, *theirs):
        assert answer.status_code == 200, answer.status_code
        assert "This booking is cancelled" in answer.text
    assert "Your booking is cancelled. Your refund is on its way." in theirs[0].text
    assert "This booking changed a moment ago" in mine.text
    booking = only_booking()
    assert booking.status == BookingStatus.CANCELLED and booking.refunded_minor == 30_000
    refunds = db.session.execute(db.select(Refund)).scalars().all()
    assert [(r.amount_minor, r.status) for r in refunds] == [(30_000, RefundStatus.SUCCEEDED)]
    kinds = [e.kind for e in db.session.query(OutboxEmail).filter_by(kind="cancellation")]
    assert kinds == ["cancellation"]


def test_cancelling_after_the_retreat_has_started_is_refused_and_changes_nothing(
    client, pending_booking
):
    """The manage page was opened before the start and its cancel form sent after it."""
    booking = confirm_booking(
        booking_id=pending_booking.id,
        payment=Payment("cs_test_started", "pi_test_started", 45_000, "EUR"),
    )
    manage = f"/bookings/{booking.reference}?t={booking_token(booking.reference)}"
    before = client.get(manage).get_data(as_text=True)
    assert "Cancel my booking" in before
    retreat = booking.retreat
    retreat.starts_at = utcnow() - timedelta(hours=1)  # under way: it ends in two days
    db.session.commit()
    emails_before = db.session.query(OutboxEmail).count()

    cancel_url = manage.replace("?t=", "/cancel?t=")
    after = client.post(
        cancel_url,
        data={"csrf_token": csrf_token_from(before), "confirm": "y"},
        follow_redirects=True,
    )

    page = after.get_data(as_text=True)
    assert after.status_code == 200
    assert "Only a confirmed booking for a retreat that has not started can be cancelled." in page
    assert "Your booking is confirmed" in page and "Cancel my booking" not in page
    kept = only_booking()
    assert kept.status == BookingStatus.CONFIRMED and kept.cancelled_at is None
    assert kept.refunded_minor == 0
    assert db.session.query(Refund).count() == 0
    assert db.session.query(OutboxEmail).count() == emails_before
    assert db.session.query(AuditEntry).filter_by(action="booking.cancelled").count() == 0
    assert seats_left(retreat) == retreat.capacity - kept.seats
    # The very moment it starts is too late as well.
    with pytest.raises(DomainError, match="has not started"):
        cancel_booking(booking_id=kept.id, now=retreat.starts_at)
    assert only_booking().status == BookingStatus.CONFIRMED
