"""`flask db upgrade` on an empty database gives exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from retreats import create_app
from retreats.booking.models import Attendee
from retreats.extensions import db
from tests.conftest import BOTH_DATABASES
from tests.factories import FIRST_REVISION_ROWS


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
                "SELECT reference, status, refunded_minor, submission_key FROM bookings"
            ).one()
            attendees = connection.exec_driver_sql("SELECT count(*) FROM attendees").scalar()
            stored_answers = connection.exec_driver_sql(
                "SELECT accessibility_needs, emergency_contact, hopes FROM attendees"
            ).one()
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
        assert tuple(booking) == ("RB-OLD001", "confirmed", 0, None)
        # 0008 gave the booking its one line: its ticket, at the amount it was booked for.
        assert [tuple(line) for line in lines] == [(1, "ticket", "Individual", 1, 25000, None)]
        assert (stay[0], bool(stay[1]), stay[2], stay[3]) == (None, True, None, "")
        assert attendees == 1
        assert tuple(rules) == (30, 14, 50)
        # 0006 encrypted the private answers already there; the app still reads them.
        assert not any(word in "".join(stored_answers) for word in ("Ground", "Charles", "rest"))
        ada = db.session.get(Attendee, 1)
        assert (ada.accessibility_needs, ada.emergency_contact, ada.hopes) == (
            "Ground-floor room",
            "Charles +44 20 7946 0000",
            "To rest",
        )
        db.session.remove()
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
