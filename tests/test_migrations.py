"""`flask db upgrade` on an empty database gives exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from retreats import create_app
from retreats.booking.models import Attendee, Booking
from retreats.extensions import db
from retreats.payments.models import Payment, PaymentStatus, Refund
from tests.conftest import BOTH_DATABASES
from tests.factories import FIRST_REVISION_ROWS

# SQLite cannot reflect the catalog search's expression index (PostgreSQL only, 0020), so
# Alembic says it skips it there; on PostgreSQL it is compared like every other index.
pytestmark = pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning"
)


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param


def check_constraints() -> dict[str, list[str]]:
    inspector = db.inspect(db.engine)
    return {
        table: sorted(c["name"] for c in inspector.get_check_constraints(table))
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def test_upgrade_from_empty_matches_the_models(app_config):
    """The migrated schema equals the models' (columns, types, indexes, keys and checks)."""
    modelled = create_app(app_config)
    with modelled.app_context():
        db.create_all()
        expected_checks = check_constraints()
        db.drop_all()
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        assert check_constraints() == expected_checks
        downgrade(revision="base")
        assert set(db.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()  # and back up again, as a deploy after a rollback would
        db.engine.dispose()


def test_upgrading_keeps_existing_bookings(app_config):
    """A database with bookings at the first revision upgrades to the latest with them intact."""
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()  # the PostgreSQL fixture database starts with every table
        upgrade(revision="0001_initial")
        with db.engine.begin() as connection:
            for statement in FIRST_REVISION_ROWS:
                connection.exec_driver_sql(statement)
        upgrade()
        with db.engine.connect() as connection:
            booking = connection.exec_driver_sql(
                "SELECT reference, status, submission_key FROM bookings"
            ).one()
            attendees = connection.exec_driver_sql("SELECT count(*) FROM attendees").scalar()
            stored_answers = (
                connection.exec_driver_sql(
                    "SELECT private_text FROM answers WHERE private_text IS NOT NULL ORDER BY id"
                )
                .scalars()
                .all()
            )
            rules = connection.exec_driver_sql(
                "SELECT refund_full_days_before, refund_partial_days_before, "
                "refund_partial_percent FROM retreats"
            ).one()
            lines = connection.exec_driver_sql(
                "SELECT booking_id, kind, name, quantity, unit_amount_minor, add_on_id "
                "FROM booking_lines"
            ).all()
            stay = connection.exec_driver_sql(
                "SELECT room_type_id, takes_whole_room, room_share_with, room_label FROM bookings"
            ).one()
        assert tuple(booking) == ("RB-OLD001", "confirmed", None)
        # 0008 gave the booking its one line: its ticket, at the amount it was booked for.
        assert [tuple(line) for line in lines] == [(1, "ticket", "Individual", 1, 25000, None)]
        assert (stay[0], bool(stay[1]), stay[2], stay[3]) == (None, True, None, "")
        assert attendees == 1
        assert tuple(rules) == (30, 14, 50)
        # 0006 encrypted the private answers already there, 0015 moved them under questions;
        # the app still reads them.
        assert len(stored_answers) == 3
        assert not any(word in "".join(stored_answers) for word in ("Ground", "Charles", "rest"))
        ada = db.session.get(Attendee, 1)
        assert [answer.stored_text for answer in ada.answers] == [
            "Ground-floor room",
            "Charles +44 20 7946 0000",
            "To rest",
        ]
        db.session.remove()
        db.engine.dispose()


# Bookings at revision 0009, as the app wrote them before the ledger: 2 paid, then cancelled
# with half refunded; 3 pending at Checkout; 4 expired unpaid; 5 paid the wrong amount
# (refunded in full, never written on the booking).
BEFORE_THE_LEDGER_ROWS = [
    "INSERT INTO bookings (id, version, reference, token_hash, retreat_id, ticket_type_id, "
    "status, seats, amount_minor, refunded_minor, currency, contact_name, contact_email, "
    "hold_expires_at, stripe_checkout_session_id, stripe_payment_intent_id, created_at, "
    "updated_at, confirmed_at) VALUES "
    "(2, 1, 'RB-OLD002', 'x', 1, 1, 'cancelled', 1, 25000, 12500, 'EUR', 'Bo', 'b@example.org', "
    "'2026-01-02 00:31:00', 'cs_2', 'pi_2', '2026-01-02 00:00:00', '2026-01-05 00:00:00', "
    "'2026-01-02 00:03:00'), "
    "(3, 1, 'RB-OLD003', 'x', 1, 1, 'pending', 1, 25000, 0, 'EUR', 'Cy', 'c@example.org', "
    "'2026-01-03 00:31:00', 'cs_3', NULL, '2026-01-03 00:00:00', '2026-01-03 00:00:00', NULL), "
    "(4, 1, 'RB-OLD004', 'x', 1, 1, 'expired', 1, 25000, 0, 'EUR', 'Di', 'd@example.org', "
    "'2026-01-04 00:31:00', 'cs_4', NULL, '2026-01-04 00:00:00', '2026-01-04 00:40:00', NULL), "
    "(5, 1, 'RB-OLD005', 'x', 1, 1, 'expired', 1, 25000, 0, 'EUR', 'Ed', 'e@example.org', "
    "'2026-01-05 00:31:00', 'cs_5', NULL, '2026-01-05 00:00:00', '2026-01-05 00:10:00', NULL)",
    "INSERT INTO refunds (id, booking_id, amount_minor, currency, reason, idempotency_key, "
    "payment_intent_id, status, attempts, retry_after, created_at) VALUES "
    "(1, 2, 12500, 'EUR', 'cancellation', 'refund:cancellation:RB-OLD002', 'pi_2', "
    "'succeeded', 1, '2026-01-05 00:00:00', '2026-01-05 00:00:00'), "
    "(2, 5, 100, 'USD', 'payment_mismatch', 'refund:payment_mismatch:RB-OLD005', 'pi_5', "
    "'pending', 0, '2026-01-05 00:05:00', '2026-01-05 00:05:00')",
]


def test_upgrading_puts_every_payment_and_refund_on_the_ledger(app_config):
    """0010 gives each booking that reached Stripe its payment, and each refund the payment it
    returns money from; the sums the app shows are what the booking said before."""
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        upgrade(revision="0001_initial")
        with db.engine.begin() as connection:
            for statement in FIRST_REVISION_ROWS:
                connection.exec_driver_sql(statement)
        upgrade(revision="0009_waitlist_room_type")
        with db.engine.begin() as connection:
            for statement in BEFORE_THE_LEDGER_ROWS:
                connection.exec_driver_sql(statement)
        upgrade()
        payments = {
            payment.booking_id: payment
            for payment in db.session.scalars(db.select(Payment).order_by(Payment.id))
        }
        assert set(payments) == {2, 3, 4, 5}  # booking 1 never reached Stripe
        assert (payments[2].status, payments[2].amount_minor, payments[2].currency) == (
            PaymentStatus.SUCCEEDED,
            25000,
            "EUR",
        )
        assert payments[2].stripe_checkout_session_id == "cs_2"
        assert payments[2].stripe_payment_intent_id == "pi_2"
        assert payments[3].status == PaymentStatus.OPEN
        assert payments[4].status == PaymentStatus.EXPIRED
        # The mismatched money, as it came, from its refund.
        mismatched = db.session.scalars(db.select(Payment).where(Payment.booking_id == 5)).all()
        assert sorted((p.status, p.amount_minor, p.currency) for p in mismatched) == [
            (PaymentStatus.EXPIRED, 25000, "EUR"),
            (PaymentStatus.SUCCEEDED, 100, "USD"),
        ]
        refunds = {r.id: r for r in db.session.scalars(db.select(Refund))}
        assert refunds[1].payment.stripe_payment_intent_id == "pi_2"
        assert (refunds[2].payment.amount_minor, refunds[2].payment.currency) == (100, "USD")
        cancelled, pending = db.session.get(Booking, 2), db.session.get(Booking, 3)
        assert (cancelled.paid_minor, cancelled.refunded_minor, cancelled.kept_minor) == (
            25000,
            12500,
            12500,
        )
        assert (cancelled.checkout_session_id, cancelled.payment_intent_id) == ("cs_2", "pi_2")
        assert (pending.paid_minor, pending.checkout_session_id) == (0, "cs_3")
        db.session.remove()
        downgrade(revision="0009_waitlist_room_type")  # and back, the ids on the booking again
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT id, refunded_minor, stripe_checkout_session_id, stripe_payment_intent_id "
                "FROM bookings ORDER BY id"
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, 0, None, None),
            (2, 12500, "cs_2", "pi_2"),
            (3, 0, "cs_3", None),
            (4, 0, "cs_4", None),
            (5, 0, "cs_5", None),
        ]
        db.engine.dispose()


def test_a_migration_that_fails_halfway_leaves_nothing_behind(app_config):
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        upgrade(revision="0001_initial")
        with db.engine.begin() as connection:
            # In the way of 0002, which creates waitlist_entries first and refunds after it.
            connection.exec_driver_sql("CREATE TABLE refunds (id INTEGER PRIMARY KEY)")
        with pytest.raises(Exception, match="refunds"):
            upgrade()
        tables = set(db.inspect(db.engine).get_table_names())
        assert "waitlist_entries" not in tables
        assert not any(name.startswith("_alembic_tmp") for name in tables)
        with db.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar() == "0001_initial"
        db.engine.dispose()
