"""0015 on a database the previous schema filled: the four fixed intake answers become the first
four questions of every retreat, each answer moved under its question (a private one as the very
token it was stored as, never decrypted into the database or a log), the key can still be rotated
afterwards, and going back down puts every answer back in its column."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade

from retreats import create_app
from retreats.base.encryption import decrypt_answer, encrypt_answer
from retreats.booking.models import Answer
from retreats.extensions import db
from retreats.listings.questions import Question
from retreats.privacy.rotation import reencrypt_all_answers
from tests.conftest import BOTH_DATABASES
from tests.factories import FIRST_REVISION_ROWS

PREVIOUS = "0014_questions"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()

# Ada (attendee 1, from FIRST_REVISION_ROWS) gave three private answers and no dietary need.
ADA_PRIVATE = {
    "accessibility_needs": "Ground-floor room",
    "emergency_contact": "Charles +44 20 7946 0000",
    "hopes": "To rest",
}
STARTING_LABELS = [
    "Dietary needs",
    "Accessibility needs",
    "Emergency contact",
    "What do you hope for from this time?",
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


def fill_under_0014() -> None:
    """Bea's booking (2) on the same retreat: a dietary need, every private answer left empty
    (stored as an encrypted empty text, as 0006 and the old form stored it); a second retreat
    with no booking; and a question of the retreat's own, answered by Ada."""
    empty = encrypt_answer("")
    run(
        [
            "INSERT INTO bookings (id, version, reference, token_hash, retreat_id, "
            "ticket_type_id, status, seats, amount_minor, currency, contact_name, contact_email, "
            "hold_expires_at, created_at, updated_at) VALUES (2, 1, 'RB-OLD002', 'y', 1, 1, "
            "'confirmed', 1, 25000, 'EUR', 'Bea', 'bea@example.org', '2026-01-02 00:31:00', "
            "'2026-01-02 00:00:00', '2026-01-02 00:00:00')",
            "INSERT INTO attendees (id, booking_id, position, name, dietary_needs, "
            "accessibility_needs, emergency_contact, hopes, code_of_conduct_accepted_at) VALUES "
            f"(2, 2, 0, 'Bea', 'No nuts', '{empty}', '{empty}', '{empty}', "
            "'2026-01-02 00:00:00')",
            "INSERT INTO retreats (id, slug, title, kind, focus, audience, summary, "
            "description_md, is_online, starts_at, ends_at, timezone, starts_on, capacity, "
            "currency, status, cancellation_policy, preparation_guide_md, organizer_id, "
            "created_at, updated_at) VALUES (2, 'quiet', 'Quiet', 'workshop', 'emotional', "
            "'everyone', 'S', '', true, '2027-04-01 17:00:00', '2027-04-01 19:00:00', "
            "'Europe/Lisbon', '2027-04-01', 10, 'EUR', 'published', '', '', 1, "
            "'2026-01-05 00:00:00', '2026-01-05 00:00:00')",
            "INSERT INTO questions (id, retreat_id, position, kind, label, help_text, required, "
            "asked_of, privacy, options, consent_text, created_at) VALUES (100, 1, 0, "
            "'single_choice', 'Experience', '', false, 'person', 'ordinary', '[\"None\", "
            "\"Some\"]', '', '2026-01-03 00:00:00')",
            "INSERT INTO answers (id, booking_id, attendee_id, question_id, label, kind, privacy, "
            "text, answered_at) VALUES (70, 1, 1, 100, 'Experience', 'single_choice', 'ordinary', "
            "'Some', '2026-01-03 00:00:00')",
        ]
    )


def test_the_four_answers_move_under_questions_as_they_were_stored(app_config, caplog):
    app = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [OLD_KEY]})
    with app.app_context():
        db.drop_all()  # the PostgreSQL fixture database starts with every table
        upgrade(revision="0001_initial")
        run(FIRST_REVISION_ROWS)
        upgrade(revision=PREVIOUS)  # 0006 encrypted Ada's private answers with OLD_KEY
        fill_under_0014()
        tokens_before = dict(
            zip(
                ADA_PRIVATE,
                rows(
                    "SELECT accessibility_needs, emergency_contact, hopes FROM attendees "
                    "WHERE id = 1"
                )[0],
                strict=True,
            )
        )

        with caplog.at_level(logging.DEBUG):
            upgrade()

        # Every retreat asks the four first, of each person, optional; its own questions follow.
        questions = rows(
            "SELECT retreat_id, position, label, kind, privacy, asked_of, required "
            "FROM questions ORDER BY retreat_id, position"
        )
        for retreat_id in (1, 2):
            starting = [q for q in questions if q[0] == retreat_id][:4]
            assert [q[2] for q in starting] == STARTING_LABELS
            assert [(q[3], q[4]) for q in starting] == [
                ("long_text", "ordinary"),
                ("long_text", "private"),
                ("short_text", "private"),
                ("long_text", "private"),
            ]
            assert {(q[5], bool(q[6])) for q in starting} == {("person", False)}
        assert (1, 4, "Experience") in [q[:3] for q in questions]
        assert len([q for q in questions if q[0] == 2]) == 4

        # Ada's private answers are the same tokens, under their questions; nothing empty moved.
        moved = rows(
            "SELECT a.attendee_id, q.label, a.privacy, a.text, a.private_text, a.answered_at "
            "FROM answers a JOIN questions q ON q.id = a.question_id"
        )
        by_label = {(row[0], row[1]): row for row in moved}
        assert set(by_label) == {
            (1, "Accessibility needs"),
            (1, "Emergency contact"),
            (1, "What do you hope for from this time?"),
            (1, "Experience"),
            (2, "Dietary needs"),
        }
        for column, label in zip(ADA_PRIVATE, STARTING_LABELS[1:], strict=True):
            attendee, _label, privacy, text, token, _at = by_label[1, label]
            assert (privacy, text, token) == ("private", None, tokens_before[column])
        assert by_label[2, "Dietary needs"][2:5] == ("ordinary", "No nuts", None)
        assert str(by_label[2, "Dietary needs"][5]).startswith("2026-01-02 00:00:00")
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("attendees")}
        assert not columns & {"dietary_needs", "accessibility_needs", "emergency_contact", "hopes"}
        for secret in ADA_PRIVATE.values():
            assert secret not in caplog.text

        # The app reads them, then a new key rotates them like any other answer.
        answers = {a.label: a.stored_text for a in db.session.scalars(db.select(Answer))}
        assert answers["Emergency contact"] == ADA_PRIVATE["emergency_contact"]
        db.session.remove()
        db.engine.dispose()

    rotating = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY, OLD_KEY]})
    with rotating.app_context():
        assert reencrypt_all_answers().answers == 3
        db.session.remove()
        db.engine.dispose()
    new_only = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY]})
    with new_only.app_context():
        private = {
            a.label: a.stored_text
            for a in db.session.scalars(db.select(Answer).where(Answer.privacy == "private"))
        }
        assert sorted(private.values()) == sorted(ADA_PRIVATE.values())
        db.session.remove()
        db.engine.dispose()


def test_going_back_down_puts_every_answer_back_in_its_column(app_config):
    app = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [OLD_KEY]})
    with app.app_context():
        db.drop_all()
        upgrade(revision="0001_initial")
        run(FIRST_REVISION_ROWS)
        upgrade(revision=PREVIOUS)
        fill_under_0014()
        upgrade()

        downgrade(revision=PREVIOUS)

        people = rows(
            "SELECT id, dietary_needs, accessibility_needs, emergency_contact, hopes "
            "FROM attendees ORDER BY id"
        )
        ada, bea = people
        assert ada[1] == "" and bea[1] == "No nuts"
        assert [decrypt_answer(token) for token in ada[2:]] == list(ADA_PRIVATE.values())
        assert [decrypt_answer(token) for token in bea[2:]] == ["", "", ""]
        # The retreats' own questions and their answers stay; the four are gone.
        assert rows("SELECT id, label FROM questions") == [(100, "Experience")]
        assert rows("SELECT id, question_id, text FROM answers") == [(70, 100, "Some")]

        upgrade()  # and up again, as a deploy after a rollback would
        assert len(rows("SELECT id FROM answers")) == 5
        assert db.session.scalar(db.select(db.func.count(Question.id))) == 9
        db.session.remove()
        db.engine.dispose()
