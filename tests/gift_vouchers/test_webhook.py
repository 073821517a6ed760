"""Stripe's events about a voucher's Checkout Session: paid → active once, whatever the repeats;
a paid amount that is not the voucher's never activates it; expired → unpaid."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retreats.base.outbox import OutboxEmail
from retreats.database import utcnow
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.payments.models import StripeEvent
from tests.conftest import BOTH_DATABASES
from tests.factories import create_gift_voucher
from tests.gift_vouchers.helpers import voucher_checkout_event
from tests.payments.helpers import post, sign


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param


@pytest.fixture
def awaiting(db, organizer) -> GiftVoucher:
    """€300 for Dora, awaiting payment, to be emailed in a week."""
    in_a_week = utcnow() + timedelta(days=7)
    return create_gift_voucher(
        organizer,
        status=GiftVoucherStatus.AWAITING_PAYMENT,
        deliver_on=in_a_week.date(),
        send_at=in_a_week,
        stripe_checkout_session_id="cs_test_voucher",
    )


def deliver(client, payload: bytes):
    return post(client, payload, sign(payload))


def reloaded(db, voucher: GiftVoucher) -> GiftVoucher:
    db.session.expire_all()
    return db.session.get(GiftVoucher, voucher.id)


def test_a_paid_session_activates_the_voucher_and_queues_its_two_emails(client, db, awaiting):
    response = deliver(client, voucher_checkout_event(awaiting, event_id="evt_paid"))
    assert response.status_code == 200 and response.json["outcome"] == "applied"
    voucher = reloaded(db, awaiting)
    assert voucher.status == GiftVoucherStatus.ACTIVE
    assert voucher.stripe_payment_intent_id == "pi_test_voucher"
    assert voucher.expires_at == voucher.paid_at + timedelta(days=3 * 365)
    emails = {email.kind: email for email in db.session.query(OutboxEmail)}
    assert set(emails) == {"gift_voucher_receipt", "gift_voucher"}
    assert emails["gift_voucher_receipt"].to_address == "cleo@example.org"
    assert emails["gift_voucher_receipt"].send_after <= utcnow()
    assert emails["gift_voucher"].to_address == "dora@example.org"
    assert emails["gift_voucher"].send_after == voucher.send_at
    assert {email.gift_voucher_id for email in emails.values()} == {voucher.id}


def test_repeated_and_different_events_for_one_payment_change_nothing(client, db, awaiting):
    payload = voucher_checkout_event(awaiting, event_id="evt_paid")
    outcomes = [deliver(client, payload).json["outcome"] for _ in range(3)]
    assert outcomes == ["applied", "duplicate", "duplicate"]
    paid_at = reloaded(db, awaiting).paid_at
    again = voucher_checkout_event(awaiting, event_id="evt_paid_again")
    assert deliver(client, again).json["outcome"] == "applied"
    # A late expiry of the same session cannot undo the payment either.
    expired = voucher_checkout_event(awaiting, event_id="evt_expired", kind="expired")
    assert deliver(client, expired).status_code == 200
    voucher = reloaded(db, awaiting)
    assert voucher.status == GiftVoucherStatus.ACTIVE and voucher.paid_at == paid_at
    assert db.session.query(OutboxEmail).count() == 2
    assert db.session.query(StripeEvent).count() == 3


@pytest.mark.parametrize("changes", [{"amount_total": 100}, {"currency": "gbp"}])
def test_a_payment_that_does_not_match_never_activates_it(client, db, awaiting, changes, caplog):
    payload = voucher_checkout_event(awaiting, event_id="evt_odd", **changes)
    response = deliver(client, payload)
    assert response.status_code == 200 and response.json["outcome"] == "payment mismatch"
    assert reloaded(db, awaiting).status == GiftVoucherStatus.AWAITING_PAYMENT
    assert db.session.query(OutboxEmail).count() == 0
    assert any(
        record.levelname == "ERROR" and awaiting.reference in record.getMessage()
        for record in caplog.records
    )


def test_an_expired_session_leaves_the_voucher_unpaid(client, db, awaiting):
    payload = voucher_checkout_event(awaiting, event_id="evt_expired", kind="expired")
    assert deliver(client, payload).status_code == 200
    assert reloaded(db, awaiting).status == GiftVoucherStatus.UNPAID
    assert db.session.query(OutboxEmail).count() == 0


def test_a_session_naming_another_vouchers_id_changes_nothing(client, db, awaiting, organizer):
    other = create_gift_voucher(organizer, status=GiftVoucherStatus.AWAITING_PAYMENT)
    payload = voucher_checkout_event(
        awaiting, event_id="evt_forged", client_reference_id=other.reference
    )
    assert deliver(client, payload).json["outcome"] == "no voucher"
    assert reloaded(db, awaiting).status == GiftVoucherStatus.AWAITING_PAYMENT
    assert reloaded(db, other).status == GiftVoucherStatus.AWAITING_PAYMENT


def test_a_void_voucher_is_not_brought_back_by_a_payment(client, db, awaiting):
    awaiting.status = GiftVoucherStatus.VOID
    db.session.commit()
    assert deliver(client, voucher_checkout_event(awaiting, event_id="evt_paid")).status_code == 200
    assert reloaded(db, awaiting).status == GiftVoucherStatus.VOID
    assert db.session.query(OutboxEmail).count() == 0
