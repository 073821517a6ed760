"""Every organizer has a slug, however the account is made, and migration 0019 gives one to
each organizer already there: from the name, made unique with -2, -3 …"""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from retreats import create_app
from retreats.extensions import db as database
from retreats.organizer.accounts import services as accounts
from retreats.organizer.accounts.models import slug_from_name
from tests.conftest import on_both_databases
from tests.factories import create_organizer


def test_a_slug_comes_from_the_name_and_is_never_shared(db, app):
    first = accounts.create_organizer(
        email="ana@example.org", name="Ana & Bea's Retreats", password="a long password"
    )
    second = accounts.create_organizer(
        email="ana2@example.org", name="Ana & Bea's Retreats", password="a long password"
    )
    with app.test_request_context():
        invited = accounts.invite_co_host(owner=first, email="cy@example.org", name="Ana & Bea")
    third = create_organizer(email="ana3@example.org", name="Ana & Bea's Retreats")

    assert first.slug == "ana-bea-s-retreats"
    assert second.slug == "ana-bea-s-retreats-2"
    assert third.slug == "ana-bea-s-retreats-3"
    assert invited.slug == "ana-bea"


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Çlara Ñúñez", "clara-nunez"), ("***", "organizer"), ("x" * 100, "x" * 70)],
)
def test_slug_from_name(name, slug):
    assert slug_from_name(name) == slug


EXISTING_ORGANIZERS = [
    "INSERT INTO organizers (id, email, name, created_at, failed_logins) VALUES "
    "(1, 'a@example.org', 'Ana Lima', '2026-01-01 00:00:00', 0), "
    "(2, 'b@example.org', 'Ana Lima', '2026-01-01 00:00:00', 0), "
    "(3, 'c@example.org', 'Çlara', '2026-01-01 00:00:00', 0), "
    "(4, 'd@example.org', '', '2026-01-01 00:00:00', 0)",
]


@on_both_databases
def test_migration_0019_gives_each_existing_organizer_a_unique_slug(app_config):
    app = create_app(app_config)
    with app.app_context():
        database.drop_all()
        upgrade(revision="0017_gift_vouchers")
        with database.engine.begin() as connection:
            for statement in EXISTING_ORGANIZERS:
                connection.exec_driver_sql(statement)
        upgrade(revision="0019_organizer_profiles")
        with database.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT id, slug, about_md, photo FROM organizers ORDER BY id"
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, "ana-lima", "", None),
            (2, "ana-lima-2", "", None),
            (3, "clara", "", None),
            (4, "organizer", "", None),
        ]
        database.session.remove()
        database.engine.dispose()
