"""A refund Stripe keeps refusing is tried at most REFUND_MAX_ATTEMPTS times, then marked failed
for the organizer to sort out: the worker's later sweeps never call Stripe for it again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retreats.booking.cancellation import cancel_booking
from retreats.booking.services import Payment, confirm_booking
from retreats.booking.tokens import booking_token
from retreats.database import utcnow
from retreats.payments import refunds
from retreats.payments.models import Refund, RefundStatus
from retreats.payments.refunds import send_due_refunds, send_refund

MAX_ATTEMPTS = 3


@pytest.fixture
def app_config(app_config):
    # Nothing listens at the configured Stripe address, so every attempt fails; one HTTP call
    # per attempt (no network retries underneath) keeps the count exact.
    return app_config | {"REFUND_MAX_ATTEMPTS": MAX_ATTEMPTS, "STRIPE_MAX_NETWORK_RETRIES": 0}


@pytest.fixture
def stripe_calls(monkeypatch) -> list[str]:
    """The idempotency key of each refund the app asks Stripe for (the real call still runs)."""
    calls: list[str] = []
    ask_stripe = refunds.refund_payment

    def counted(**request):
        calls.append(request["idempotency_key"])
        return ask_stripe(**request)

    monkeypatch.setattr(refunds, "refund_payment", counted)
    return calls


def signed_in(app, organizer):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = organizer.get_id()
        session["_fresh"] = True
    return client


def test_a_refund_is_tried_at_most_the_allowed_times_then_left_to_the_organizer(
    app, db, organizer, pending_booking, stripe_calls
):
    booking = confirm_booking(
        booking_id=pending_booking.id,
        payment=Payment("cs_test_refund", "pi_test_refund", 45_000, "EUR"),
    )
    cancel_booking(booking_id=booking.id)  # the first attempt, at once
    later = utcnow()
    for _sweep in range(MAX_ATTEMPTS + 3):  # the worker's sweeps, each past the back-off
        later += timedelta(hours=2)
        send_due_refunds(now=later)

    db.session.expire_all()
    [refund] = db.session.query(Refund).all()
    assert refund.status == RefundStatus.FAILED
    assert refund.attempts == MAX_ATTEMPTS
    assert stripe_calls == [refund.idempotency_key] * MAX_ATTEMPTS
    assert refund.last_error and refund.stripe_refund_id is None
    # Asked for by name, a failed refund is not sent again either.
    assert send_refund(refund.id, now=later + timedelta(days=1)) is False
    assert len(stripe_calls) == MAX_ATTEMPTS

    organizer_page = signed_in(app, organizer).get(
        f"/organizer/retreats/{booking.retreat_id}/bookings/{booking.id}"
    )
    assert organizer_page.status_code == 200
    assert f'failed <small class="muted">(last try failed; {MAX_ATTEMPTS} tries)' in (
        organizer_page.get_data(as_text=True)
    )
    attendee_page = app.test_client().get(
        f"/bookings/{booking.reference}", query_string={"t": booking_token(booking.reference)}
    )
    assert "we could not send it automatically" in attendee_page.get_data(as_text=True)
