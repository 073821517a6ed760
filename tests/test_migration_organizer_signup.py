"""0018 on a database the previous schema filled: every organizer already there (made from the
command line) is approved with its email taken as confirmed, their retreats stay public, and
going back and up again keeps them so."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade

from retreats import create_app
from retreats.catalog.queries import CatalogFilters, upcoming_listings
from retreats.extensions import db
from retreats.organizer.accounts.models import Organizer, OrganizerStatus
from tests.conftest import BOTH_DATABASES
from tests.factories import FIRST_REVISION_ROWS

PREVIOUS = "0017_gift_vouchers"


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param


def test_existing_organizers_are_approved_and_keep_their_listings(app_config):
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()  # the PostgreSQL fixture database starts with every table
        upgrade(revision="0001_initial")
        with db.engine.begin() as connection:
            for statement in FIRST_REVISION_ROWS:
                connection.exec_driver_sql(statement)
        upgrade(revision=PREVIOUS)

        upgrade()
        person = db.session.get(Organizer, 1)
        assert person.status == OrganizerStatus.APPROVED and person.may_publish
        assert person.email_verified_at == person.created_at
        assert not person.is_platform_admin and person.offering is None
        listings, _ = upcoming_listings(CatalogFilters())
        assert [listing.retreat.slug for listing in listings] == ["old"]
        db.session.remove()

        downgrade(revision=PREVIOUS)
        upgrade()  # and up again, as a deploy after a rollback would
        assert db.session.get(Organizer, 1).status == OrganizerStatus.APPROVED
        db.session.remove()
        db.engine.dispose()
