"""`flask db upgrade` on an empty database gives exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from retreats import create_app
from retreats.extensions import db


@pytest.fixture(params=["sqlite", "postgresql"])
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
