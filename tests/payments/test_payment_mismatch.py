"""A paid session whose amount or currency is not the booking's: not confirmed, refunded, flagged.

Forged and replayed events (bad signature, stale timestamp) and events for no booking of ours are
covered in test_webhook.py; the wrong-reference case is here.
"""

from __future__ import annotations

import json

import pytest

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail
from retreats.booking import payment_mismatch as mismatch
from retreats.booking.models import Booking, BookingStatus
from retreats.notifications.messages import build_message
from retreats.payments.models import Refund, RefundStatus, StripeEvent
from tests.payments.helpers import checkout_event, post, sign
from tests.races import first_call_waits_for, run_as_another_request


def signed_in(app, organizer):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = organizer.get_id()
        session["_fresh"] = True
    return client


MISMATCHES = {
    "amount": {"amount_total": 100},
    "currency": {"currency": "usd"},
}


@pytest.mark.parametrize("what", MISMATCHES)
def test_a_mismatched_payment_is_refunded_and_flagged_not_confirmed(
    app, client, db, organizer, pending_booking, what
):
    changes = MISMATCHES[what]
    payload = checkout_event(pending_booking, event_id=f"evt_mismatch_{what}", **changes)
    response = post(client, payload, sign(payload))

    assert response.status_code == 200  # retrying cannot fix it: Stripe may stop
    assert response.json["outcome"] == "payment mismatch"
    db.session.expire_all()
    booking = db.session.get(Booking, pending_booking.id)
    assert booking.status == BookingStatus.EXPIRED  # its seats are free again
    assert booking.confirmed_at is None
    assert db.session.query(StripeEvent).count() == 1

    kinds = [e.kind for e in db.session.query(OutboxEmail)]
    assert "confirmation" not in kinds
    assert "organizer_new_booking" not in kinds
    assert kinds == ["organizer_payment_mismatch"]
    notice = db.session.query(OutboxEmail).one()
    assert notice.to_address == organizer.email

    received_minor = changes.get("amount_total", booking.amount_minor)
    received_currency = changes.get("currency", booking.currency).upper()
    (refund,) = db.session.query(Refund).all()
    assert (refund.reason, refund.amount_minor, refund.currency) == (
        "payment_mismatch",
        received_minor,
        received_currency,
    )
    assert refund.payment_intent_id == "pi_test_1"
    assert refund.status == RefundStatus.PENDING  # Stripe is not running: retried later
    # The money that came is on the ledger as it came, and all of it goes back.
    assert booking.refunded_for("payment_mismatch") == received_minor
    assert booking.payment_intent_id == "pi_test_1" and booking.confirmed_at is None

    (entry,) = db.session.query(AuditEntry).filter_by(action="booking.payment_mismatch").all()
    assert entry.retreat_id == booking.retreat_id and entry.booking_id == booking.id
    assert "received" in entry.detail and "expected" in entry.detail

    message = build_message(notice)
    assert booking.reference in message.subject and "did not match" in message.subject
    assert "Expected:" in message.text and "Received:" in message.text
    assert "refunded in full" in message.text

    page = signed_in(app, organizer).get(
        f"/organizer/retreats/{booking.retreat_id}/bookings/{booking.id}"
    )
    assert page.status_code == 200
    assert b"Payment amount did not match" in page.data


def test_a_mismatch_seen_again_is_flagged_and_refunded_once(client, db, pending_booking):
    """The webhook, its redelivery under another id and the success page all see it."""
    for event_id in ("evt_cheap_one", "evt_cheap_two"):
        payload = checkout_event(pending_booking, event_id=event_id, amount_total=100)
        assert post(client, payload, sign(payload)).status_code == 200
    assert db.session.query(Refund).count() == 1
    assert db.session.query(OutboxEmail).count() == 1
    assert db.session.query(AuditEntry).filter_by(action="booking.payment_mismatch").count() == 1


def test_a_matching_payment_after_a_mismatch_does_not_confirm(client, db, pending_booking):
    cheap = checkout_event(pending_booking, event_id="evt_cheap", amount_total=100)
    post(client, cheap, sign(cheap))
    right = checkout_event(pending_booking, event_id="evt_right")
    assert post(client, right, sign(right)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status != BookingStatus.CONFIRMED
    assert db.session.query(OutboxEmail).filter_by(kind="confirmation").count() == 0


def test_an_event_naming_our_booking_with_the_wrong_reference_changes_nothing(
    client, db, pending_booking
):
    """A session that is not this booking's (another account's, or forged metadata)."""
    payload = checkout_event(
        pending_booking,
        event_id="evt_foreign_reference",
        id="cs_test_someone_else",
        client_reference_id="BK-NOT-OURS",
    )
    response = post(client, payload, sign(payload))
    assert response.status_code == 200
    assert response.json["outcome"] == "no booking"
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.PENDING
    assert db.session.query(OutboxEmail).count() == 0
    assert db.session.query(Refund).count() == 0


def test_an_unsigned_mismatch_changes_nothing(client, db, pending_booking):
    payload = checkout_event(pending_booking, event_id="evt_forged", amount_total=1)
    forged = json.dumps(json.loads(payload)).encode()
    assert post(client, forged, sign(forged, secret="whsec_forger")).status_code == 400
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.PENDING
    assert db.session.query(AuditEntry).filter_by(action="booking.payment_mismatch").count() == 0


def test_a_mismatch_flagged_by_another_request_a_moment_earlier_is_answered_and_written_once(
    app, client, db, pending_booking, monkeypatch
):
    """Stripe's event and its redelivery (or the success page) race: the one that finds the flag
    raised between its check and its write answers as usual and writes nothing more."""
    redelivery = checkout_event(pending_booking, event_id="evt_cheap_again", amount_total=100)

    def redelivered_first():
        answer = post(app.test_client(), redelivery, sign(redelivery))
        assert answer.status_code == 200, answer.status_code

    first_call_waits_for(
        monkeypatch,
        mismatch,
        "record_payment_refund",
        lambda: run_as_another_request(app, redelivered_first),
    )
    payload = checkout_event(pending_booking, event_id="evt_cheap", amount_total=100)
    response = post(client, payload, sign(payload))

    assert response.status_code == 200, response.status_code
    assert response.json["outcome"] == "payment mismatch"
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.EXPIRED
    assert db.session.query(Refund).count() == 1
    assert db.session.query(OutboxEmail).count() == 1
    assert db.session.query(AuditEntry).filter_by(action="booking.payment_mismatch").count() == 1
    assert db.session.query(StripeEvent).count() == 2
