"""The payment ledger: a booking's payments and refunds are rows, and what it paid, got back and
kept are sums over them, the same in Python and in SQL (on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from retreats.booking.models import Booking
from retreats.booking.services import expire_booking, record_checkout_session
from retreats.database import utcnow
from retreats.extensions import db
from retreats.payments.ledger import paid_sum, record_refunds, refunded_sum
from retreats.payments.models import Payment, PaymentKind, PaymentStatus
from tests.factories import attendee, held_booking, lapsed_booking, paid_booking, refunded_booking


def sums_in_sql(booking_id: int) -> tuple[int, int]:
    row = db.session.execute(
        select(paid_sum(Booking.id), refunded_sum(Booking.id)).where(Booking.id == booking_id)
    ).one()
    return tuple(row)


def paid_twice(booking: Booking, first: int, second: int) -> list[Payment]:
    """A deposit then a balance, both arrived (as the deposit flow will write them)."""
    now = utcnow()
    payments = [
        Payment(
            booking=booking,
            kind=kind,
            status=PaymentStatus.SUCCEEDED,
            amount_minor=amount,
            currency=booking.currency,
            stripe_checkout_session_id=f"cs_{kind}_{booking.id}",
            stripe_payment_intent_id=f"pi_{kind}_{booking.id}",
            created_at=now,
            succeeded_at=now,
        )
        for kind, amount in ((PaymentKind.DEPOSIT, first), (PaymentKind.BALANCE, second))
    ]
    db.session.add_all(payments)
    db.session.commit()
    return payments


def test_what_a_booking_paid_and_got_back_are_sums_of_its_rows(db, make_retreat):
    retreat = make_retreat()
    paid = paid_booking(retreat, attendee("a@example.org"))
    part = refunded_booking(retreat, attendee("b@example.org"), refund_minor=10_000)

    price = paid.amount_minor
    assert (paid.paid_minor, paid.refunded_minor, paid.kept_minor) == (price, 0, price)
    (payment,) = paid.payments
    assert (payment.kind, payment.status, payment.stripe_payment_intent_id) == (
        PaymentKind.FULL,
        PaymentStatus.SUCCEEDED,
        f"pi_test_{paid.id}",
    )
    kept = price - 10_000
    assert (part.paid_minor, part.refunded_minor, part.kept_minor) == (price, 10_000, kept)
    (refund,) = part.refunds
    assert refund.payment is part.payments[0]
    assert sums_in_sql(paid.id) == (price, 0)
    assert sums_in_sql(part.id) == (price, 10_000)


def test_a_held_booking_has_paid_nothing_and_its_session_stays_open_until_it_expires(
    db, make_retreat
):
    booking = lapsed_booking(make_retreat(), attendee())
    record_checkout_session(
        booking_id=booking.id,
        checkout_session_id="cs_lapsing",
        amount_minor=booking.amount_minor,
        currency=booking.currency,
    )
    # A double click opens the same session: still one payment.
    record_checkout_session(
        booking_id=booking.id,
        checkout_session_id="cs_lapsing",
        amount_minor=booking.amount_minor,
        currency=booking.currency,
    )
    (payment,) = db.session.scalars(select(Payment).where(Payment.booking_id == booking.id))
    assert (payment.status, payment.amount_minor) == (PaymentStatus.OPEN, booking.amount_minor)
    assert sums_in_sql(booking.id) == (0, 0)

    assert expire_booking(booking_id=booking.id) is True
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.EXPIRED
    assert db.session.get(Booking, booking.id).checkout_session_id == "cs_lapsing"


def test_a_refund_over_two_payments_takes_from_the_most_recent_first(db, make_retreat):
    booking = held_booking(make_retreat(), attendee())
    deposit, balance = paid_twice(booking, 13_500, 31_500)
    now = utcnow()

    first = record_refunds(booking, amount_minor=40_000, reason="cancellation", now=now)
    db.session.commit()

    assert [(r.payment_id, r.amount_minor) for r in first] == [
        (balance.id, 31_500),
        (deposit.id, 8_500),
    ]
    assert [r.payment_intent_id for r in first] == [
        balance.stripe_payment_intent_id,
        deposit.stripe_payment_intent_id,
    ]
    assert len({r.idempotency_key for r in first}) == 2  # each sent to Stripe on its own
    # Never more than a payment has left: 5,000 of the deposit remain, whatever is asked.
    more = record_refunds(booking, amount_minor=20_000, reason="organizer_cancellation", now=now)
    db.session.commit()
    assert [(r.payment_id, r.amount_minor) for r in more] == [(deposit.id, 5_000)]
    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    assert (booking.paid_minor, booking.refunded_minor, booking.kept_minor) == (45_000, 45_000, 0)
    assert sums_in_sql(booking.id) == (45_000, 45_000)
    assert record_refunds(booking, amount_minor=1, reason="again", now=now) == []
