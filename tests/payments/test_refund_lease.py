"""A refund being sent is this process's alone for SEND_LEASE, with nothing locked meanwhile; a
process that died mid-call leaves it to the next sweep once the lease has run out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retreats.database import utcnow
from retreats.extensions import db
from retreats.payments import refunds
from retreats.payments.ledger import record_refunds
from retreats.payments.models import Refund, RefundStatus
from retreats.payments.refunds import SEND_LEASE, send_due_refunds
from tests.factories import attendee, paid_booking
from tests.races import run_as_another_request


class WorkerDied(Exception):  # noqa: N818  (what happened, not an error class of the app)
    """The process sending the refund stopped in the middle of the call."""


@pytest.fixture
def refund_due(db, make_retreat) -> Refund:
    booking = paid_booking(make_retreat(), attendee())
    (refund,) = record_refunds(
        booking,
        amount_minor=10_000,
        reason="cancellation",
        now=utcnow() - timedelta(minutes=1),
    )
    db.session.commit()
    return refund


def test_a_refund_being_sent_is_not_sent_by_another_worker_meanwhile(app, refund_due, monkeypatch):
    calls: list[str] = []

    def stripe_answers_after_another_sweep(**request):
        calls.append(request["idempotency_key"])
        if len(calls) == 1:  # while Stripe is asked, a second worker sweeps the same queue
            assert run_as_another_request(app, send_due_refunds) == 0
        return "re_test_lease"

    monkeypatch.setattr(refunds, "refund_payment", stripe_answers_after_another_sweep)
    assert send_due_refunds() == 1

    assert calls == [refund_due.idempotency_key]
    refund = db.session.get(Refund, refund_due.id, populate_existing=True)
    assert (refund.status, refund.attempts, refund.stripe_refund_id) == (
        RefundStatus.SUCCEEDED,
        1,
        "re_test_lease",
    )


def test_a_refund_left_by_a_worker_that_died_is_sent_once_its_lease_has_run_out(
    refund_due, monkeypatch
):
    def dies(**request):
        raise WorkerDied

    monkeypatch.setattr(refunds, "refund_payment", dies)
    now = utcnow()
    with pytest.raises(WorkerDied):
        send_due_refunds(now=now)
    db.session.rollback()

    monkeypatch.setattr(refunds, "refund_payment", lambda **request: "re_test_taken_over")
    assert send_due_refunds(now=now + SEND_LEASE - timedelta(seconds=1)) == 0
    assert send_due_refunds(now=now + SEND_LEASE + timedelta(seconds=1)) == 1
    refund = db.session.get(Refund, refund_due.id, populate_existing=True)
    assert (refund.status, refund.stripe_refund_id) == (
        RefundStatus.SUCCEEDED,
        "re_test_taken_over",
    )
