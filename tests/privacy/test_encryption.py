"""Private intake answers are encrypted at rest: a database dump alone reveals none of them."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from retreats import create_app
from retreats.base.encryption import AnswerUnreadable
from retreats.booking.models import Attendee
from retreats.extensions import db as _db
from tests.factories import ADA, BEA, paid_booking

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
PRIVATE = ("accessibility_needs", "emergency_contact", "hopes")


def stored_rows(db) -> list[tuple[str, ...]]:
    """What a dump of the attendees table shows (no model, no column types)."""
    return db.session.execute(
        text("SELECT accessibility_needs, emergency_contact, hopes FROM attendees ORDER BY id")
    ).all()


def answers(app) -> list[tuple[str, ...]]:
    with app.app_context():
        rows = _db.session.scalars(_db.select(Attendee).order_by(Attendee.id)).all()
        found = [tuple(getattr(row, name) for name in PRIVATE) for row in rows]
        _db.session.remove()
        return found


def test_a_dump_shows_no_private_answer_and_the_app_reads_them_all(app, db, make_retreat):
    paid_booking(make_retreat(), ADA, BEA)
    dump = " ".join(" ".join(row) for row in stored_rows(db))

    for secret in ("Ground-floor", "Charles", "7946", "slow down"):
        assert secret not in dump
    assert all(cell.startswith("gAAAAA") for row in stored_rows(db) for cell in row)
    db.session.expire_all()
    assert answers(app)[0] == (
        ADA.accessibility_needs,
        ADA.emergency_contact,
        ADA.hopes,
    )


def test_the_same_answer_never_encrypts_the_same_way_twice(db, make_retreat):
    paid_booking(make_retreat(), ADA)
    paid_booking(make_retreat(), ADA)
    first, second = stored_rows(db)
    assert first[0] != second[0]  # a random IV each time: equal answers cannot be spotted


@pytest.fixture
def app_config(app_config):
    """The suite's app encrypts with OLD_KEY."""
    return app_config | {"INTAKE_ENCRYPTION_KEYS": [OLD_KEY]}


def test_rotating_the_key_keeps_every_answer_readable_with_the_new_key_alone(
    app, app_config, db, make_retreat
):
    paid_booking(make_retreat(), ADA, BEA)
    db.session.remove()
    expected = answers(app)

    both = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY, OLD_KEY]})
    assert answers(both) == expected  # deployed with the new key first: nothing breaks
    with both.app_context():  # the suite's app context is open: the command would run in it
        result = both.test_cli_runner().invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0 and "2 attendee(s)" in result.output, result.output

    new_only = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY]})
    assert answers(new_only) == expected
    old_only = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [OLD_KEY]})
    with pytest.raises(AnswerUnreadable):
        answers(old_only)
