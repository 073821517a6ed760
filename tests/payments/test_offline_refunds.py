"""Money paid offline is refunded too: a cancellation's refund is spread over the booking's
payments, the most recent first, and the part that came outside Stripe becomes a refund the
organizer returns by hand (`by_organizer`, no PaymentIntent). Stripe is asked only for the
rest; every sum counts both; the person's email says which part comes back how."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from retreats.base.outbox import OutboxEmail
from retreats.booking.balance_collection import cancel_if_overdue
from retreats.booking.cancellation import cancel_booking
from retreats.booking.models import Booking
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.notifications.messages import build_message
from retreats.organizer.attendees.actions import RefundChoice, cancel_booking_for_attendee
from retreats.organizer.listings.retreat_cancellation import cancel_retreat
from retreats.payments import refunds
from retreats.payments.ledger import record_offline_payment, record_refunds, refunded_sum
from retreats.payments.models import PaymentKind, Refund, RefundStatus
from retreats.payments.refunds import send_due_refunds
from retreats.privacy.data_rights import delete_personal_data, deletion_refusal
from tests.factories import stored_booking

PRICE, DEPOSIT, OFFLINE = 100_000, 30_000, 50_000


@pytest.fixture
def stripe_refunds(monkeypatch) -> list[dict]:
    """Every refund the app asks Stripe for; Stripe takes each one."""
    asked: list[dict] = []

    def refund_payment(**request) -> str:
        asked.append(request)
        return f"re_fake_{len(asked)}"

    monkeypatch.setattr(refunds, "refund_payment", refund_payment)
    return asked


def deposit_then_offline(retreat, *, due_in: timedelta = timedelta(days=20)) -> Booking:
    """A booking of PRICE that paid its DEPOSIT by card (Stripe), then OFFLINE by bank transfer;
    it owes the rest by now + `due_in`."""
    booking = stored_booking(retreat, amount=PRICE)
    (deposit,) = booking.payments
    deposit.kind, deposit.amount_minor = PaymentKind.DEPOSIT, DEPOSIT
    booking.deposit_minor = DEPOSIT
    booking.balance_due_at = utcnow() + due_in
    db.session.flush()
    record_offline_payment(booking, amount_minor=OFFLINE, note="Bank transfer", now=utcnow())
    db.session.commit()
    return booking


def refunds_of(booking) -> list[Refund]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Refund).where(Refund.booking_id == booking.id).order_by(Refund.id)
        )
    )


def refunded_in_sql(booking) -> int:
    return db.session.execute(
        select(refunded_sum(Booking.id)).where(Booking.id == booking.id)
    ).scalar()


def test_an_offline_payment_is_refundable_like_any_other(db, make_retreat):
    booking = deposit_then_offline(make_retreat())
    deposit, offline = booking.payments
    assert (offline.kind, offline.stripe_payment_intent_id) == (PaymentKind.OFFLINE, None)
    assert (deposit.refundable_minor, offline.refundable_minor) == (DEPOSIT, OFFLINE)

    record_refunds(booking, amount_minor=20_000, reason="cancellation", now=utcnow())
    db.session.commit()

    assert (deposit.refundable_minor, offline.refundable_minor) == (DEPOSIT, OFFLINE - 20_000)


def test_a_full_refund_returns_the_card_part_through_stripe_and_the_rest_by_hand(
    db, make_retreat, stripe_refunds
):
    retreat = make_retreat(starts_in=timedelta(days=60))  # the policy refunds everything
    booking = deposit_then_offline(retreat)
    deposit, offline = booking.payments

    cancelled = cancel_booking(booking_id=booking.id)

    assert cancelled.refund_minor == DEPOSIT + OFFLINE
    by_hand, by_card = refunds_of(booking)
    # The most recent payment first: the bank transfer, then the deposit.
    assert (by_hand.payment_id, by_hand.amount_minor, by_hand.status) == (
        offline.id,
        OFFLINE,
        RefundStatus.BY_ORGANIZER,
    )
    assert (by_hand.payment_intent_id, by_hand.stripe_refund_id, by_hand.attempts) == (
        None,
        None,
        0,
    )
    assert (by_card.payment_id, by_card.amount_minor, by_card.status) == (
        deposit.id,
        DEPOSIT,
        RefundStatus.SUCCEEDED,
    )
    assert by_card.payment_intent_id == deposit.stripe_payment_intent_id
    # Stripe was asked for the deposit's part only, against the deposit's PaymentIntent.
    assert [(r["payment_intent_id"], r["amount_minor"]) for r in stripe_refunds] == [
        (deposit.stripe_payment_intent_id, DEPOSIT)
    ]
    again = db.session.get(Booking, booking.id)
    assert (again.paid_minor, again.refunded_minor, again.kept_minor) == (
        DEPOSIT + OFFLINE,
        DEPOSIT + OFFLINE,
        0,
    )
    assert refunded_in_sql(booking) == DEPOSIT + OFFLINE


def test_the_refund_sender_never_touches_a_refund_returned_by_hand(
    db, make_retreat, stripe_refunds
):
    booking = deposit_then_offline(make_retreat(starts_in=timedelta(days=60)))
    record_refunds(booking, amount_minor=DEPOSIT + OFFLINE, reason="cancellation", now=utcnow())
    db.session.commit()
    by_hand_before = [(r.id, r.status, r.attempts, r.retry_after) for r in refunds_of(booking)[:1]]

    for hours in (0, 2, 48):  # the worker's sweeps, however late
        send_due_refunds(now=utcnow() + timedelta(hours=hours))

    assert len(stripe_refunds) == 1 and stripe_refunds[0]["amount_minor"] == DEPOSIT
    by_hand, by_card = refunds_of(booking)
    assert [(by_hand.id, by_hand.status, by_hand.attempts, by_hand.retry_after)] == by_hand_before
    assert by_card.status == RefundStatus.SUCCEEDED


def test_a_partial_refund_comes_from_the_offline_payment_first(db, make_retreat, stripe_refunds):
    # 20 days ahead the policy gives half: 50 000, all of it from the bank transfer.
    booking = deposit_then_offline(make_retreat(starts_in=timedelta(days=20)))

    cancel_booking(booking_id=booking.id)

    (refund,) = refunds_of(booking)
    assert (refund.amount_minor, refund.status) == (PRICE // 2, RefundStatus.BY_ORGANIZER)
    assert stripe_refunds == []


def cancelled_by_the_attendee(booking, organizer):
    cancel_booking(booking_id=booking.id)


def cancelled_by_the_organizer(booking, organizer):
    cancel_booking_for_attendee(
        booking_id=booking.id, actor_id=organizer.id, refund=RefundChoice.FULL
    )


def cancelled_with_the_retreat(booking, organizer):
    cancel_retreat(retreat_id=booking.retreat_id, actor_id=organizer.id)


def cancelled_as_overdue(booking, organizer):
    assert cancel_if_overdue(booking.id, now=utcnow())


@pytest.mark.parametrize(
    ("cancel", "email_kind"),
    [
        (cancelled_by_the_attendee, "cancellation"),
        (cancelled_by_the_organizer, "cancelled_by_organizer"),
        (cancelled_with_the_retreat, "retreat_cancelled"),
        (cancelled_as_overdue, "cancelled_overdue"),
    ],
)
def test_every_cancellation_owes_back_the_offline_part_and_says_how_it_comes(
    db, make_retreat, organizer, stripe_refunds, cancel, email_kind
):
    retreat = make_retreat(starts_in=timedelta(days=60), overdue_keeps_deposit=False)
    booking = deposit_then_offline(retreat, due_in=-timedelta(days=10))

    cancel(booking, organizer)

    by_hand, by_card = refunds_of(booking)
    assert (by_hand.amount_minor, by_hand.status) == (OFFLINE, RefundStatus.BY_ORGANIZER)
    assert (by_card.amount_minor, by_card.status) == (DEPOSIT, RefundStatus.SUCCEEDED)
    assert [r["amount_minor"] for r in stripe_refunds] == [DEPOSIT]
    email = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == booking.id, OutboxEmail.kind == email_kind
        )
    ).one()
    message = build_message(email)
    for body in (message.text, message.html):
        assert "€800.00" in body  # all that comes back
        assert "We are refunding <strong>€300.00</strong>" in body or (
            "We are refunding €300.00 to the card you paid with" in body
        )
        assert "€500.00</strong> you paid outside the card payment" in body or (
            "€500.00 you paid outside the card payment is returned to you by" in body
        )
        assert "€800.00 to the card" not in body and "€800.00</strong> to the card" not in body


def test_a_card_only_refund_is_worded_as_before(db, make_retreat, stripe_refunds):
    booking = stored_booking(make_retreat(starts_in=timedelta(days=60)))

    cancel_booking(booking_id=booking.id)

    email = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == booking.id, OutboxEmail.kind == "cancellation"
        )
    ).one()
    text = build_message(email).text
    money = f"€{booking.amount_minor // 100:,}.00"
    assert f"We are refunding {money} to the card you paid with." in text
    assert "outside the card payment" not in text and "in two parts" not in text


def test_personal_data_stays_until_the_money_paid_offline_is_given_back(
    db, make_retreat, stripe_refunds
):
    """The organizer needs to know whom to return a bank transfer to: deleting the person's data
    waits until that refund is marked returned."""
    booking = deposit_then_offline(make_retreat(starts_in=timedelta(days=60)))
    cancel_booking(booking_id=booking.id)
    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)

    with pytest.raises(DomainError, match="give you back money you paid them directly"):
        delete_personal_data(booking_id=booking.id)

    db.session.expire_all()
    assert db.session.get(Booking, booking.id).contact_email == cancelled.contact_email
    (by_hand,) = [r for r in refunds_of(booking) if r.status == RefundStatus.BY_ORGANIZER]
    by_hand.status, by_hand.succeeded_at = RefundStatus.SUCCEEDED, utcnow()
    db.session.commit()
    assert deletion_refusal(db.session.get(Booking, booking.id)) is None


@pytest.mark.parametrize(
    ("cancel", "notice_kind", "why"),
    [
        (cancelled_by_the_attendee, "organizer_booking_cancelled", "was cancelled by the attendee"),
        (
            cancelled_as_overdue,
            "organizer_booking_cancelled_overdue",
            "was cancelled: its balance was still unpaid at the end of your grace period",
        ),
    ],
)
def test_the_organizer_s_notice_says_who_or_what_cancelled_the_booking(
    db, make_retreat, organizer, stripe_refunds, cancel, notice_kind, why
):
    retreat = make_retreat(starts_in=timedelta(days=60), overdue_keeps_deposit=False)
    booking = deposit_then_offline(retreat, due_in=-timedelta(days=10))

    cancel(booking, organizer)

    notices = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == booking.id, OutboxEmail.kind.like("organizer_booking_%")
        )
    ).all()
    assert [notice.kind for notice in notices] == [notice_kind]
    message = build_message(notices[0])
    for body in (message.text, message.html):
        assert f"Booking {booking.reference} {why}" in " ".join(body.split())
    assert ("by the attendee" in message.text) == (cancel is cancelled_by_the_attendee)
