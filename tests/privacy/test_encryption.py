"""Private intake answers (the answers to the private starting questions: accessibility needs,
an emergency contact, hopes) are encrypted at rest: a database dump alone reveals none of them."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from retreats import create_app
from retreats.base.encryption import AnswerUnreadable
from retreats.booking.models import Answer
from retreats.extensions import db as _db
from retreats.listings.questions import Privacy
from tests.factories import ADA, ADA_INTAKE, BEA
from tests.privacy.helpers import LABEL_OF, paid_with_intake

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
PRIVATE = ("accessibility", "emergency-contact", "hopes")


def stored_tokens(db) -> list[str]:
    """What a dump of the answers table shows of the private answers (no model, no column
    types), in the order they were given."""
    return db.session.scalars(
        text("SELECT private_text FROM answers WHERE privacy = 'private' ORDER BY id")
    ).all()


def answers(app) -> list[str]:
    """Every private answer as the app `app` reads it, in the order they were given."""
    with app.app_context():
        rows = _db.session.scalars(
            _db.select(Answer).where(Answer.privacy == Privacy.PRIVATE).order_by(Answer.id)
        ).all()
        found = [row.shown for row in rows]
        _db.session.remove()
        return found


def test_a_dump_shows_no_private_answer_and_the_app_reads_them_all(app, db, make_retreat):
    paid_with_intake(make_retreat(), ADA, BEA)
    dump = " ".join(str(row) for row in db.session.execute(text("SELECT * FROM answers")))

    for secret in ("Ground-floor", "Charles", "7946", "slow down"):
        assert secret not in dump
    tokens = stored_tokens(db)
    assert len(tokens) == 3 and all(token.startswith("gAAAAA") for token in tokens)
    # The dietary need is an ordinary answer: stored as it is, never as a token.
    assert "Vegetarian" in dump and "No nuts" in dump
    db.session.expire_all()
    assert answers(app) == [ADA_INTAKE[key] for key in PRIVATE]


def test_the_same_answer_never_encrypts_the_same_way_twice(db, make_retreat):
    paid_with_intake(make_retreat(), ADA)
    paid_with_intake(make_retreat(), ADA)
    label = LABEL_OF["accessibility"]
    first, second = db.session.scalars(
        text("SELECT private_text FROM answers WHERE label = :label ORDER BY id"), {"label": label}
    ).all()
    assert first != second  # a random IV each time: equal answers cannot be spotted


@pytest.fixture
def app_config(app_config):
    """The suite's app encrypts with OLD_KEY."""
    return app_config | {"INTAKE_ENCRYPTION_KEYS": [OLD_KEY]}


def test_rotating_the_key_keeps_every_answer_readable_with_the_new_key_alone(
    app, app_config, db, make_retreat
):
    paid_with_intake(make_retreat(), ADA, BEA)
    db.session.remove()
    expected = answers(app)
    assert expected == [ADA_INTAKE[key] for key in PRIVATE]

    both = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY, OLD_KEY]})
    assert answers(both) == expected  # deployed with the new key first: nothing breaks
    with both.app_context():  # the suite's app context is open: the command would run in it
        result = both.test_cli_runner().invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0 and "3 private answer(s)" in result.output, result.output
    rotated = stored_tokens(db)
    assert all(Fernet(NEW_KEY).decrypt(token.encode()) for token in rotated)

    new_only = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY]})
    assert answers(new_only) == expected
    old_only = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [OLD_KEY]})
    with pytest.raises(AnswerUnreadable):
        answers(old_only)
