"""0013 on a database the previous schema filled: Stripe's refunds keep their PaymentIntent, a
refund of offline money can then be written without one (`by_organizer`, with a note), and
going back turns those into refunds the old code leaves to the organizer, amounts intact."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade

from retreats import create_app
from retreats.booking.models import Booking
from retreats.extensions import db
from retreats.payments.models import Refund, RefundStatus
from tests.conftest import BOTH_DATABASES
from tests.factories import FIRST_REVISION_ROWS

PREVIOUS = "0012_balance_collection"

# At 0012: booking 1 paid a deposit by card and the rest by bank transfer; the deposit is being
# refunded through Stripe.
PREVIOUS_ROWS = [
    "INSERT INTO payments (id, booking_id, kind, status, amount_minor, currency, "
    "stripe_checkout_session_id, stripe_payment_intent_id, attempts, note, created_at, "
    "succeeded_at) VALUES "
    "(10, 1, 'deposit', 'succeeded', 10000, 'EUR', 'cs_dep', 'pi_dep', 0, '', "
    "'2026-01-01 00:00:00', '2026-01-01 00:01:00'), "
    "(11, 1, 'offline', 'succeeded', 15000, 'EUR', NULL, NULL, 0, 'Bank transfer', "
    "'2026-01-02 00:00:00', '2026-01-02 00:00:00')",
    "INSERT INTO refunds (id, booking_id, payment_id, amount_minor, currency, reason, "
    "idempotency_key, payment_intent_id, status, attempts, retry_after, created_at) VALUES "
    "(20, 1, 10, 10000, 'EUR', 'cancellation', 'refund:cancellation:RB-OLD001:10', 'pi_dep', "
    "'pending', 0, '2026-01-03 00:00:00', '2026-01-03 00:00:00')",
]

# At 0013: the bank transfer refunded by hand, one part still to return and one returned, and
# the receipts of the transfer (one not sent yet).
LATEST_ROWS = [
    "INSERT INTO refunds (id, booking_id, payment_id, amount_minor, currency, reason, "
    "idempotency_key, payment_intent_id, status, attempts, retry_after, created_at, "
    "succeeded_at, note) VALUES "
    "(21, 1, 11, 5000, 'EUR', 'cancellation', 'refund:cancellation:RB-OLD001:11', NULL, "
    "'by_organizer', 0, '2026-01-03 00:00:00', '2026-01-03 00:00:00', NULL, NULL), "
    "(22, 1, 11, 7000, 'EUR', 'overdue', 'refund:overdue:RB-OLD001:11', NULL, "
    "'succeeded', 0, '2026-01-03 00:00:00', '2026-01-03 00:00:00', '2026-01-04 00:00:00', "
    "'Bank transfer 3 Dec')",
    "INSERT INTO outbox_emails (id, key, kind, booking_id, payment_id, to_address, status, "
    "attempts, send_after, created_at) VALUES "
    "(2, 'offline_payment_received:1:ada@example.org:11', 'offline_payment_received', 1, 11, "
    "'ada@example.org', 'pending', 0, '2026-01-02 00:00:00', '2026-01-02 00:00:00'), "
    "(3, 'offline_payment_received:1:ada@example.org:12', 'offline_payment_received', 1, 11, "
    "'ada@example.org', 'sent', 1, '2026-01-02 00:00:00', '2026-01-02 00:00:00')",
]


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param


def rows(sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql).all()]


def run(statements: list[str]) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_refunds_by_hand_go_up_and_come_back_down_with_their_money(app_config):
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()  # the PostgreSQL fixture database starts with every table
        upgrade(revision="0001_initial")
        run(FIRST_REVISION_ROWS)
        upgrade(revision=PREVIOUS)
        run(PREVIOUS_ROWS)

        upgrade()
        stripe_refund = db.session.get(Refund, 20)
        assert (stripe_refund.status, stripe_refund.payment_intent_id, stripe_refund.note) == (
            RefundStatus.PENDING,
            "pi_dep",
            None,
        )
        assert not stripe_refund.returned_by_hand
        db.session.remove()
        run(LATEST_ROWS)
        to_return, returned = db.session.get(Refund, 21), db.session.get(Refund, 22)
        assert (to_return.status, to_return.returned_by_hand) == (RefundStatus.BY_ORGANIZER, True)
        assert (returned.status, returned.note) == (RefundStatus.SUCCEEDED, "Bank transfer 3 Dec")
        assert db.session.get(Booking, 1).refunded_minor == 22_000
        db.session.remove()

        downgrade(revision=PREVIOUS)
        assert rows(
            "SELECT id, amount_minor, status, payment_intent_id, last_error FROM refunds "
            "ORDER BY id"
        ) == [
            (20, 10000, "pending", "pi_dep", None),
            (
                21,
                5000,
                "failed",
                "",
                "Paid offline: to be returned by the organizer outside Stripe",
            ),
            (
                22,
                7000,
                "succeeded",
                "",
                "Returned by the organizer outside Stripe: Bank transfer 3 Dec",
            ),
        ]
        assert rows("SELECT id, status FROM outbox_emails WHERE id > 1 ORDER BY id") == [
            (2, "dropped"),
            (3, "sent"),
        ]

        upgrade()  # and up again, as a deploy after a rollback would
        assert rows("SELECT id, status, payment_intent_id, note FROM refunds ORDER BY id") == [
            (20, "pending", "pi_dep", None),
            (21, "failed", "", None),
            (22, "succeeded", "", None),
        ]
        db.session.remove()
        db.engine.dispose()
