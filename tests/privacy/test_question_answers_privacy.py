"""The answers to a retreat's own private questions get every guarantee of DESIGN.md rules 6 and
11: encrypted at rest, re-encrypted by `privacy rotate-key`, in the attendee's data download, and
removed when they ask for their data to be deleted. Ordinary answers are stored as they are. After
the retreat the purge empties every answer, ordinary and private; only the consents stay."""

from __future__ import annotations

import json
import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from retreats import create_app
from retreats.base.encryption import AnswerUnreadable
from retreats.booking.cancellation import cancel_booking
from retreats.booking.models import Answer
from retreats.extensions import db as _db
from retreats.listings.questions import AskedOf, Privacy, QuestionKind
from retreats.privacy import data_rights, retention, rotation
from retreats.privacy.retention import purge_private_answers
from tests.factories import (
    ADA,
    ADA_INTAKE,
    BEA,
    BEA_INTAKE,
    add_question,
    answered,
    attendee,
    intake,
    paid_booking,
)
from tests.privacy.helpers import NO_INTAKE, answers_of, end_retreat, raw_answers
from tests.privacy.test_data_rights import ask_for_deletion, data_path

HEALTH = "Asthma; my inhaler is in the blue bag"
BOUNDARIES = "No touch on the neck, please"
EXPERIENCE = "Two weekends of tantra"
PLEDGE = "I will respect everyone's boundaries."
QUIET = attendee("quiet@example.org", "Quinn Quiet")  # answered none of the starting questions
OTHER_QUIET = attendee("rue@example.org", "Rue Quiet")

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def app_config(app_config):
    """Answers are kept 30 days after a retreat, and the suite's app encrypts with OLD_KEY."""
    return app_config | {"PRIVATE_ANSWERS_RETENTION_DAYS": 30, "INTAKE_ENCRYPTION_KEYS": [OLD_KEY]}


def ask_questions(retreat) -> dict:
    """`retreat` asks each person a private health question, the booking private boundaries,
    an ordinary experience question and each person a private consent."""
    return {
        "retreat": retreat,
        "health": add_question(retreat),  # private long text, asked of each person
        "boundaries": add_question(
            retreat, label="Your boundaries as a couple", asked_of=AskedOf.BOOKING
        ),
        "experience": add_question(
            retreat,
            label="Your experience",
            kind=QuestionKind.SHORT_TEXT,
            privacy=Privacy.ORDINARY,
            asked_of=AskedOf.BOOKING,
        ),
        "pledge": add_question(
            retreat, label="Code of conduct", kind=QuestionKind.CONSENT, consent_text=PLEDGE
        ),
    }


@pytest.fixture
def questions(make_retreat) -> dict:
    return ask_questions(make_retreat())


def couple_booking(questions, *people, also=()):
    """A couple (Quinn and Rue unless `people` says who) answering every question: the health
    question Rue only, the pledge both; `also`: more answers (to the starting questions)."""
    q = questions
    return paid_booking(
        q["retreat"],
        *(people or (QUIET, OTHER_QUIET)),
        answers=[
            answered(q["health"], HEALTH, person=1),
            answered(q["boundaries"], BOUNDARIES),
            answered(q["experience"], EXPERIENCE),
            answered(q["pledge"], "yes", person=0),
            answered(q["pledge"], "yes", person=1),
            *also,
        ],
    )


def stored_answers(db, booking=None) -> dict[str, tuple]:
    """The answers as a database dump shows them (label → text, private_text, consent_text)."""
    rows = db.session.execute(
        text(
            "SELECT label, text, private_text, consent_text FROM answers"
            + ("" if booking is None else " WHERE booking_id = :id")
            + " ORDER BY id"
        ),
        {} if booking is None else {"id": booking.id},
    )
    return {row.label: (row.text, row.private_text, row.consent_text) for row in rows}


def still_encrypted(db, booking_id: int) -> list[str]:
    """The labels of the booking's answers that still hold a token, sorted."""
    rows = db.session.execute(
        text("SELECT label FROM answers WHERE booking_id = :id AND private_text IS NOT NULL"),
        {"id": booking_id},
    )
    return sorted(label for (label,) in rows)


def answers_read(db, booking) -> list[tuple[str, str]]:
    """The booking's answers as the app reads them: (label, shown), sorted."""
    db.session.expire_all()
    rows = db.session.scalars(_db.select(Answer).where(Answer.booking_id == booking.id))
    return sorted((answer.label, answer.shown) for answer in rows)


HEALTH_LABEL = "Anything the facilitators should know about your health?"
ALL_READ = sorted(
    [
        (HEALTH_LABEL, HEALTH),
        ("Your boundaries as a couple", BOUNDARIES),
        ("Your experience", EXPERIENCE),
        ("Code of conduct", "Accepted"),
        ("Code of conduct", "Accepted"),
    ]
)


# At rest --------------------------------------------------------------------------------------


def test_private_answers_are_fernet_tokens_in_a_dump_and_ordinary_ones_plain(db, questions):
    booking = couple_booking(questions)

    stored = stored_answers(db, booking)
    dump = " ".join(str(row) for row in db.session.execute(text("SELECT * FROM answers")))

    health = stored[HEALTH_LABEL]
    boundaries = stored["Your boundaries as a couple"]
    for plain, token in ((HEALTH, health[1]), (BOUNDARIES, boundaries[1])):
        assert token.startswith("gAAAAA")
        assert Fernet(OLD_KEY).decrypt(token.encode()).decode() == plain
    assert health[0] is None and boundaries[0] is None  # never also in the clear
    for secret in ("Asthma", "inhaler", "blue bag", "neck"):
        assert secret not in dump, secret
    assert stored["Your experience"] == (EXPERIENCE, None, None)
    assert stored["Code of conduct"][0] is None and stored["Code of conduct"][2] == PLEDGE
    assert answers_read(db, booking) == ALL_READ


def test_the_same_private_answer_never_encrypts_the_same_way_twice(db, questions):
    first, second = couple_booking(questions), couple_booking(questions)

    label = "Your boundaries as a couple"
    assert stored_answers(db, first)[label][1] != stored_answers(db, second)[label][1]


# Retention ------------------------------------------------------------------------------------


def test_the_purge_empties_every_answer_ordinary_ones_too_and_keeps_the_consents(db, questions):
    booking = couple_booking(questions)
    end_retreat(db, questions["retreat"], days_ago=31)

    # Quinn (the booker: the booking's boundaries and experience) and Rue (their health)
    # answered nothing else.
    assert purge_private_answers() == 2

    stored = stored_answers(db, booking)
    assert stored[HEALTH_LABEL] == (None,) * 3
    assert stored["Your boundaries as a couple"] == (None,) * 3
    assert stored["Your experience"] == (None,) * 3  # ordinary, and gone all the same
    assert still_encrypted(db, booking.id) == ["Code of conduct"] * 2
    assert answers_read(db, booking) == sorted(
        [
            (HEALTH_LABEL, ""),
            ("Your boundaries as a couple", ""),
            ("Your experience", ""),
            ("Code of conduct", "Accepted"),  # the record of what each person agreed to
            ("Code of conduct", "Accepted"),
        ]
    )


def test_answers_are_kept_until_the_retention_period_is_over(db, questions, make_retreat):
    recently_over = couple_booking(questions)
    end_retreat(db, questions["retreat"], days_ago=29)
    ahead = couple_booking(ask_questions(make_retreat()))

    assert purge_private_answers() == 0

    assert answers_read(db, recently_over) == ALL_READ
    assert answers_read(db, ahead) == ALL_READ


def test_someone_with_intake_and_question_answers_is_counted_once(db, questions):
    also = intake(questions["retreat"], ADA_INTAKE, BEA_INTAKE)  # the starting questions too
    booking = couple_booking(questions, ADA, BEA, also=also)
    end_retreat(db, questions["retreat"], days_ago=31)

    assert purge_private_answers() == 2

    assert stored_answers(db, booking)["Your boundaries as a couple"] == (None,) * 3
    assert answers_of(db, booking) == [NO_INTAKE, NO_INTAKE]
    assert still_encrypted(db, booking.id) == ["Code of conduct"] * 2


def test_someone_with_only_consents_is_not_counted_and_keeps_them(db, questions):
    q = questions
    rules = add_question(
        q["retreat"],
        label="House rules",
        kind=QuestionKind.CONSENT,
        privacy=Privacy.ORDINARY,
        consent_text="I keep the quiet hours.",
    )
    booking = paid_booking(
        q["retreat"],
        QUIET,
        answers=[answered(q["pledge"], "yes"), answered(rules, "yes")],
    )
    end_retreat(db, q["retreat"], days_ago=31)
    before = raw_answers(db, booking)

    assert purge_private_answers() == 0

    assert raw_answers(db, booking) == before  # a private consent and an ordinary one, whole
    assert answers_read(db, booking) == [
        ("Code of conduct", "Accepted"),
        ("House rules", "Accepted"),
    ]


def test_someone_with_only_ordinary_answers_and_consents_is_counted(db, questions):
    q = questions
    booking = paid_booking(
        q["retreat"],
        QUIET,
        answers=[answered(q["experience"], EXPERIENCE), answered(q["pledge"], "yes")],
    )
    end_retreat(db, q["retreat"], days_ago=31)

    assert purge_private_answers() == 1

    assert stored_answers(db, booking)["Your experience"] == (None,) * 3
    assert answers_read(db, booking) == [("Code of conduct", "Accepted"), ("Your experience", "")]


def test_a_purged_retreat_is_marked_and_its_answers_never_read_again(
    db, questions, count_statements
):
    couple_booking(questions)
    end_retreat(db, questions["retreat"], days_ago=31)
    assert purge_private_answers() == 2

    with count_statements() as statements:
        assert purge_private_answers() == 0
    assert len(statements) == 1  # only the look for retreats still due


def test_the_purge_finds_a_bookings_answers_whatever_batch_its_booker_is_in(
    db, questions, monkeypatch
):
    monkeypatch.setattr(retention, "BATCH_SIZE", 1)  # Quinn and Rue in batches of their own
    bookings = [couple_booking(questions) for _ in range(2)]
    end_retreat(db, questions["retreat"], days_ago=31)

    assert purge_private_answers() == 4

    for booking in bookings:
        assert still_encrypted(db, booking.id) == ["Code of conduct"] * 2
        assert stored_answers(db, booking)["Your experience"] == (None,) * 3  # the booker's


def test_the_purge_command_counts_those_who_answered_questions(app, db, questions):
    booking = couple_booking(questions)
    end_retreat(db, questions["retreat"], days_ago=40)

    result = app.test_cli_runner().invoke(args=["privacy", "purge"])

    assert result.exit_code == 0 and "of 2 attendee(s)" in result.output, result.output
    assert stored_answers(db, booking)["Your boundaries as a couple"] == (None,) * 3
    assert stored_answers(db, booking)["Your experience"] == (None,) * 3


# Key rotation ---------------------------------------------------------------------------------


def every_answer(app) -> list[str]:
    """Every answer as the app `app` reads it."""
    with app.app_context():
        found = [
            answer.shown for answer in _db.session.scalars(_db.select(Answer).order_by(Answer.id))
        ]  # in the order of their rows
        _db.session.remove()
        return found


def test_rotating_the_key_reencrypts_the_private_answers(app, app_config, db, questions):
    couple_booking(questions)
    before = stored_answers(db)
    db.session.remove()
    expected = every_answer(app)
    assert sorted(expected) == sorted(shown for _, shown in ALL_READ)

    both = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY, OLD_KEY]})
    with both.app_context():  # the suite's app context is open: the command would run in it
        result = both.test_cli_runner().invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0, result.output
    # The health answer, the boundaries and both private consents; not the ordinary answer.
    assert "4 private answer(s) to the retreats' questions" in result.output, result.output
    for secret in (HEALTH, BOUNDARIES):
        assert secret not in result.output

    after = stored_answers(db)
    for label in (HEALTH_LABEL, "Code of conduct"):
        token = after[label][1]
        assert token != before[label][1]
        assert Fernet(NEW_KEY).decrypt(token.encode())  # the newest key alone reads it
    assert after["Your experience"] == before["Your experience"]  # ordinary: left as it is
    assert every_answer(create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY]})) == expected
    with pytest.raises(AnswerUnreadable):
        every_answer(create_app(app_config))  # OLD_KEY alone reads no private answer any more


def test_rotation_goes_through_every_batch_of_answers(app, app_config, db, questions, monkeypatch):
    monkeypatch.setattr(rotation, "BATCH_SIZE", 2)
    for _ in range(3):
        couple_booking(questions)
    db.session.remove()

    both = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY, OLD_KEY]})
    with both.app_context():
        assert rotation.reencrypt_all_answers().answers == 12
        _db.session.remove()

    new_only = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY]})
    assert sorted(every_answer(new_only)) == sorted([shown for _, shown in ALL_READ] * 3)


# The attendee's rights ------------------------------------------------------------------------


def test_the_download_holds_every_answer_of_the_booking(db, client, questions):
    booking = couple_booking(questions)
    couple_booking(questions, ADA, BEA)  # another booking's answers are not theirs
    questions["health"].label = "Renamed after they answered"
    questions["pledge"].consent_text = "A stricter code, written later"
    db.session.commit()

    data = json.loads(client.get(data_path(booking)).get_data(as_text=True))

    answers = data["answers"]
    assert sorted(
        (a["question"], a["answer"], a["private"], a["asked_of"], a["person"], a["consent_text"])
        for a in answers
    ) == sorted(
        [
            (
                HEALTH_LABEL,
                HEALTH,
                True,
                "person",
                OTHER_QUIET.name,
                None,
            ),
            ("Your boundaries as a couple", BOUNDARIES, True, "booking", None, None),
            ("Your experience", EXPERIENCE, False, "booking", None, None),
            ("Code of conduct", "Accepted", True, "person", QUIET.name, PLEDGE),
            ("Code of conduct", "Accepted", True, "person", OTHER_QUIET.name, PLEDGE),
        ]
    )
    assert {a["answered_at"] for a in answers} == {booking.created_at.isoformat()}


def test_the_download_of_a_purged_booking_shows_its_answers_empty_but_consents(
    db, client, questions
):
    booking = couple_booking(questions)
    end_retreat(db, questions["retreat"], days_ago=31)
    purge_private_answers()

    data = json.loads(client.get(data_path(booking)).get_data(as_text=True))

    assert sorted((a["question"], a["answer"]) for a in data["answers"]) == sorted(
        [
            (HEALTH_LABEL, ""),
            ("Your boundaries as a couple", ""),
            ("Your experience", ""),
            ("Code of conduct", "Accepted"),
            ("Code of conduct", "Accepted"),
        ]
    )


def test_deletion_removes_every_answer_of_the_booking_for_good(db, client, questions):
    booking = couple_booking(questions)
    other = couple_booking(questions, ADA, BEA)
    cancel_booking(booking_id=booking.id)

    response = ask_for_deletion(client, booking)

    assert response.status_code == 303
    assert stored_answers(db, booking) == {}
    dump = " ".join(str(row) for row in db.session.execute(text("SELECT * FROM answers")))
    assert EXPERIENCE in dump  # the other booking's, left alone
    assert answers_read(db, other) == ALL_READ
    data = json.loads(client.get(data_path(booking)).get_data(as_text=True))
    assert data["answers"] == []
    notice = db.session.execute(
        text("SELECT to_address FROM outbox_emails WHERE kind = 'organizer_data_deleted'")
    ).all()
    assert notice == [("host@example.org",)]  # the organizer is told, as for any deletion


def test_a_failed_deletion_keeps_every_answer(db, questions, monkeypatch):
    booking = couple_booking(questions)
    cancel_booking(booking_id=booking.id)

    def broken(*_, **__):
        raise RuntimeError("the notice could not be queued")

    monkeypatch.setattr(data_rights, "queue_organizer_notice", broken)
    with pytest.raises(RuntimeError):
        data_rights.delete_personal_data(booking_id=booking.id)

    assert answers_read(db, booking) == ALL_READ


# Never in a log -------------------------------------------------------------------------------


def test_no_private_answer_reaches_a_log_on_the_way_through_every_guarantee(
    app, app_config, db, client, questions, caplog
):
    booking = couple_booking(questions)
    also = intake(questions["retreat"], ADA_INTAKE, BEA_INTAKE)  # the starting questions too
    over_id = couple_booking(questions, ADA, BEA, also=also).id
    cancel_booking(booking_id=booking.id)
    caplog.set_level(logging.DEBUG)  # every logger, the database's included

    client.get(data_path(booking))
    ask_for_deletion(client, booking)
    end_retreat(db, questions["retreat"], days_ago=31)
    db.session.remove()
    both = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY, OLD_KEY]})
    with both.app_context():
        rotated = both.test_cli_runner().invoke(args=["privacy", "rotate-key"])
        purged = both.test_cli_runner().invoke(args=["privacy", "purge"])
        _db.session.remove()

    assert rotated.exit_code == 0 and purged.exit_code == 0, rotated.output + purged.output
    # The other booking's four, and Ada's accessibility, emergency contact and hopes.
    assert "7 private answer(s)" in rotated.output and "2 attendee(s)" in purged.output
    assert still_encrypted(db, over_id) == ["Code of conduct"] * 2  # everything did run
    said = caplog.text + rotated.output + purged.output
    for secret in ("Asthma", "inhaler", "neck", "Ground-floor", "Charles", "7946", "slow down"):
        assert secret not in said, secret
