"""POST /stripe/webhook: signatures checked on the raw body, each event applied once."""

from __future__ import annotations

import json
import time

import pytest

from retreats.base.outbox import OutboxEmail
from retreats.booking.models import Booking, BookingStatus
from retreats.payments.models import PaymentKind, PaymentStatus, StripeEvent
from tests.factories import attendee, paid_booking
from tests.payments.helpers import checkout_event, post, sign
from tests.races import first_call_waits_for


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "t=1,v1=deadbeef",
        "garbage",
        "wrong-secret",
        "stale",
    ],
)
def test_bad_signatures_get_400_and_change_nothing(client, db, pending_booking, signature):
    payload = checkout_event(pending_booking, event_id="evt_bad")
    if signature == "wrong-secret":
        signature = sign(payload, secret="whsec_someone_else")
    elif signature == "stale":
        signature = sign(payload, at=int(time.time()) - 3600)
    response = post(client, payload, signature)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.PENDING
    assert db.session.query(StripeEvent).count() == 0
    assert db.session.query(OutboxEmail).count() == 0


def test_a_body_changed_after_signing_is_rejected(client, db, pending_booking):
    payload = checkout_event(pending_booking, event_id="evt_tampered")
    signature = sign(payload)
    tampered = payload.replace(b'"paid"', b'"paid" ')
    assert post(client, tampered, signature).status_code == 400
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.PENDING


def assert_no_mail_doubled(db):
    """Every mail the confirmation queued (the organizer's notice too) is there exactly once."""
    kinds = [email.kind for email in db.session.query(OutboxEmail)]
    assert "organizer_new_booking" in kinds
    assert sorted(kinds) == sorted(set(kinds)), kinds


def test_a_valid_event_delivered_three_times_confirms_once(client, db, pending_booking):
    payload = checkout_event(pending_booking, event_id="evt_paid")
    outcomes = [post(client, payload, sign(payload)) for _ in range(3)]
    assert [r.status_code for r in outcomes] == [200, 200, 200]
    assert [r.json["outcome"] for r in outcomes] == ["applied", "duplicate", "duplicate"]
    db.session.expire_all()
    booking = db.session.get(Booking, pending_booking.id)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.payment_intent_id == "pi_test_1"
    assert db.session.query(OutboxEmail).filter_by(kind="confirmation").count() == 1
    assert_no_mail_doubled(db)
    assert db.session.query(StripeEvent).count() == 1


def test_two_different_events_for_one_payment_still_confirm_once(client, db, pending_booking):
    for event_id in ("evt_one", "evt_two"):
        payload = checkout_event(pending_booking, event_id=event_id)
        assert post(client, payload, sign(payload)).status_code == 200
    assert db.session.query(OutboxEmail).filter_by(kind="confirmation").count() == 1
    assert_no_mail_doubled(db)


def test_expired_event_releases_the_seats(client, db, pending_booking):
    payload = checkout_event(pending_booking, event_id="evt_expired", kind="expired")
    assert post(client, payload, sign(payload)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.EXPIRED


def test_an_expired_event_after_payment_changes_nothing(client, db, pending_booking):
    paid = checkout_event(pending_booking, event_id="evt_paid_first")
    post(client, paid, sign(paid))
    late_expiry = checkout_event(pending_booking, event_id="evt_expired_late", kind="expired")
    assert post(client, late_expiry, sign(late_expiry)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.CONFIRMED


def test_a_wrong_amount_is_not_confirmed(client, db, pending_booking):
    payload = checkout_event(pending_booking, event_id="evt_cheap", amount_total=100)
    response = post(client, payload, sign(payload))
    assert response.status_code == 200
    assert response.json["outcome"] == "payment mismatch"
    db.session.expire_all()
    # Refunded and flagged to the organizer (test_payment_mismatch.py): its seats are freed.
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.EXPIRED


def test_events_we_do_not_use_are_acknowledged(client, db):
    payload = json.dumps({"id": "evt_other", "type": "customer.created", "data": {}}).encode()
    response = post(client, payload, sign(payload))
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored"


def test_an_event_for_no_booking_of_ours_is_acknowledged(client, db):
    session = {"id": "cs_foreign", "status": "complete", "payment_status": "paid", "metadata": {}}
    event = {"id": "evt_foreign", "type": "checkout.session.completed", "data": {"object": session}}
    payload = json.dumps(event).encode()
    assert post(client, payload, sign(payload)).status_code == 200


def test_a_late_completed_event_after_a_cancellation_changes_nothing(client, db, pending_booking):
    """The success page confirmed, the attendee cancelled, then Stripe's event arrives."""
    from retreats.booking.cancellation import cancel_booking
    from retreats.booking.services import Payment, confirm_booking
    from retreats.payments.models import Refund

    payment = Payment(
        f"cs_test_{pending_booking.reference}", "pi_test_1", pending_booking.amount_minor, "EUR"
    )
    confirm_booking(booking_id=pending_booking.id, payment=payment)
    cancel_booking(booking_id=pending_booking.id)  # its refund waits for Stripe (not running)
    refunds_before = [(r.reason, r.amount_minor) for r in db.session.query(Refund)]

    payload = checkout_event(pending_booking, event_id="evt_late_after_cancel")
    assert post(client, payload, sign(payload)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, pending_booking.id).status == BookingStatus.CANCELLED
    assert [(r.reason, r.amount_minor) for r in db.session.query(Refund)] == refunds_before


def test_a_payment_for_a_retreat_cancelled_meanwhile_is_refunded_with_the_cancellation_mail(
    client, db, pending_booking
):
    """Not the "the last places were taken, join the waitlist" mail: the retreat is off."""
    from retreats.listings.models import RetreatStatus
    from retreats.notifications.messages import build_message
    from retreats.payments.models import Refund

    pending_booking.retreat.status = RetreatStatus.CANCELLED
    db.session.commit()
    payload = checkout_event(pending_booking, event_id="evt_paid_after_cancel")
    assert post(client, payload, sign(payload)).status_code == 200

    db.session.expire_all()
    booking = db.session.get(Booking, pending_booking.id)
    assert booking.status == BookingStatus.CANCELLED and booking.confirmed_at is None
    [refund] = db.session.query(Refund).all()
    assert refund.amount_minor == booking.amount_minor
    [mail] = db.session.query(OutboxEmail).all()
    assert (mail.kind, mail.to_address) == ("retreat_cancelled", "ada@example.org")
    text = build_message(mail).text
    assert "will not take place" in text and "waitlist" not in text


@pytest.mark.parametrize("database_backend", ["postgresql"])  # SQLite: one writer at a time
def test_a_confirmation_refused_by_a_unique_key_meanwhile_answers_retry_later_and_writes_nothing(
    client, db, pending_booking, monkeypatch
):
    """No race of today's code ends there, so the test forces one: another booking records this
    payment's Checkout Session while the confirmation holds the seat lock. Retried, it still
    cannot be written: 503 so that Stripe tries again later, never a 500, nothing half-written."""
    from sqlalchemy import insert

    from retreats.base.audit import AuditEntry
    from retreats.booking import services
    from retreats.booking.services import AttendeeDetails, hold_seats
    from retreats.payments.models import Payment

    other = hold_seats(
        retreat_id=pending_booking.retreat_id,
        ticket_type_id=pending_booking.retreat.ticket_types[0].id,
        contact_email="cy@example.org",
        attendees=[AttendeeDetails("Cy", "cy@example.org")],
    )
    session_id = f"cs_test_{pending_booking.reference}"

    def other_booking_records_the_session():
        with db.engine.begin() as connection:
            connection.execute(
                insert(Payment.__table__).values(
                    booking_id=other.id,
                    kind="full",
                    status="open",
                    amount_minor=other.amount_minor,
                    currency=other.currency,
                    stripe_checkout_session_id=session_id,
                    note="",
                    created_at=other.created_at,
                )
            )

    first_call_waits_for(
        monkeypatch, services, "_record_payment", other_booking_records_the_session
    )
    payload = checkout_event(pending_booking, event_id="evt_unique_key_taken")
    response = post(client, payload, sign(payload))

    assert response.status_code == 503, response.status_code
    db.session.expire_all()
    booking = db.session.get(Booking, pending_booking.id)
    assert booking.status == BookingStatus.PENDING and booking.confirmed_at is None
    assert db.session.query(OutboxEmail).count() == 0
    assert db.session.query(AuditEntry).count() == 0
    assert db.session.query(StripeEvent).count() == 0  # so Stripe's next try is applied


def payment_intent_event(event_id: str, *, metadata: dict, status="succeeded") -> bytes:
    intent = {
        "id": "pi_test_forged",
        "object": "payment_intent",
        "status": status,
        "amount": 50_000,
        "amount_received": 50_000 if status == "succeeded" else 0,
        "currency": "eur",
        "metadata": metadata,
    }
    event = {"id": event_id, "type": f"payment_intent.{status}", "data": {"object": intent}}
    return json.dumps(event).encode()


def test_a_payment_intent_event_pays_nothing_but_the_balance_charge_it_names(
    client, db, make_retreat
):
    """Checkout's own PaymentIntents, and metadata naming a payment that is not a saved-card
    balance of that booking, are acknowledged and change nothing (the balance charged to a
    saved card, which they do name, is in test_balance_collection.py)."""
    booking = paid_booking(make_retreat(), attendee("ada@example.org", "Ada"))
    (full,) = booking.payments
    other = paid_booking(make_retreat(), attendee("bea@example.org", "Bea"))
    events = [
        payment_intent_event("evt_pi_checkout", metadata={"booking_id": str(booking.id)}),
        payment_intent_event(
            "evt_pi_full",
            metadata={"booking_id": str(booking.id), "balance_payment_id": str(full.id)},
        ),
        payment_intent_event(
            "evt_pi_other_booking",
            metadata={"booking_id": str(other.id), "balance_payment_id": str(full.id)},
        ),
        payment_intent_event(
            "evt_pi_failed",
            metadata={"booking_id": str(booking.id), "balance_payment_id": str(full.id)},
            status="payment_failed",
        ),
    ]

    outcomes = [post(client, payload, sign(payload)).json["outcome"] for payload in events]

    assert outcomes == ["not a balance"] * 4
    db.session.expire_all()
    paid = db.session.get(Booking, booking.id)
    assert [(row.kind, row.status) for row in paid.payments] == [
        (PaymentKind.FULL, PaymentStatus.SUCCEEDED)
    ]
    assert paid.paid_minor == paid.amount_minor
    assert db.session.query(StripeEvent).count() == 4
