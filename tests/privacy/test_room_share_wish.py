"""The room share wish (whom a single guest in a shared room would like to share with) is a
private answer like the private answers to the retreat's questions: encrypted at rest, purged
after the retreat, re-encrypted by `privacy rotate-key`, in the attendee's data download, and
erased when they ask."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from retreats import create_app
from retreats.base.encryption import AnswerUnreadable
from retreats.booking.cancellation import cancel_booking
from retreats.booking.models import Booking
from retreats.extensions import db as _db
from retreats.privacy.retention import purge_private_answers
from tests.factories import (
    ADA,
    ADA_INTAKE,
    BEA,
    BEA_INTAKE,
    CY,
    CY_INTAKE,
    add_add_on,
    add_room_type,
    attendee,
    intake,
    paid_booking,
)
from tests.privacy.helpers import NO_INTAKE, answers_of, end_retreat, raw_answers, raw_row
from tests.privacy.test_data_rights import ask_for_deletion, data_path

WISH = "Dee Park, we met at the Brecon weekend"
QUIET = attendee("quiet@example.org", "Quinn Quiet")  # answered no question


OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def app_config(app_config):
    """Answers are kept 30 days after a retreat, and the suite's app encrypts with OLD_KEY."""
    return app_config | {"PRIVATE_ANSWERS_RETENTION_DAYS": 30, "INTAKE_ENCRYPTION_KEYS": [OLD_KEY]}


@pytest.fixture
def twin(make_retreat):
    retreat = make_retreat()
    return add_room_type(retreat, name="Shared twin", shared=True, price_minor=12_000)


def wish_booking(twin, person=QUIET, **options) -> Booking:
    return paid_booking(twin.retreat, person, room_type_id=twin.id, room_share_with=WISH, **options)


def stored_wish(db, booking) -> str | None:
    """The wish as a database dump shows it: a token, or NULL."""
    return raw_row(db, "bookings", booking.id)["room_share_with"]


def wish_of(db, booking) -> str | None:
    db.session.expire_all()
    return db.session.get(Booking, booking.id).room_share_with


def test_the_wish_is_stored_encrypted(db, twin):
    booking = wish_booking(twin)

    token = stored_wish(db, booking)

    # A Fernet token is random base64: it may hold "Dee" by chance, never the words with spaces.
    assert token.startswith("gAAAAA") and WISH not in token and "Brecon weekend" not in token
    assert Fernet(OLD_KEY).decrypt(token.encode()).decode() == WISH
    assert wish_of(db, booking) == WISH


# Retention ------------------------------------------------------------------------------------


def test_the_purge_empties_the_wish_with_the_other_private_answers(db, twin, make_retreat):
    over = wish_booking(twin)
    ahead_twin = add_room_type(make_retreat(), shared=True)
    ahead = wish_booking(ahead_twin)
    end_retreat(db, over.retreat, days_ago=31)

    # Quinn answered nothing else: the wish alone makes them one attendee with private answers.
    assert purge_private_answers() == 1

    assert stored_wish(db, over) is None
    assert wish_of(db, ahead) == WISH
    assert purge_private_answers() == 0  # the retreat is marked: nothing is read again


def test_a_booker_with_answers_and_a_wish_is_counted_once(db, twin):
    booking = wish_booking(twin, CY, answers=intake(twin.retreat, CY_INTAKE))
    end_retreat(db, booking.retreat, days_ago=31)

    assert purge_private_answers() == 1
    assert stored_wish(db, booking) is None
    [hopes] = raw_answers(db, booking)
    assert hopes["private_text"] is None and hopes["text"] is None
    assert answers_of(db, booking) == [NO_INTAKE]


def test_the_purge_command_leaves_no_wish(app, db, twin):
    booking = wish_booking(twin)
    end_retreat(db, booking.retreat, days_ago=40)

    result = app.test_cli_runner().invoke(args=["privacy", "purge"])

    assert result.exit_code == 0 and "1 attendee(s)" in result.output, result.output
    assert stored_wish(db, booking) is None


# Key rotation ---------------------------------------------------------------------------------


def wishes(app) -> list[str | None]:
    with app.app_context():
        found = list(_db.session.scalars(_db.select(Booking.room_share_with).order_by(Booking.id)))
        _db.session.remove()
        return found


def test_rotating_the_key_reencrypts_the_wishes(app, app_config, db, twin):
    wish_booking(twin)
    couple = intake(twin.retreat, ADA_INTAKE, BEA_INTAKE)  # Ada's three private answers
    paid_booking(twin.retreat, ADA, BEA, room_type_id=twin.id, answers=couple)  # no wish (NULL)
    db.session.remove()
    assert wishes(app) == [WISH, None]

    both = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY, OLD_KEY]})
    with both.app_context():
        result = both.test_cli_runner().invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "3 private answer(s)" in result.output and "1 booking(s)" in result.output

    new_only = create_app(app_config | {"INTAKE_ENCRYPTION_KEYS": [NEW_KEY]})
    assert wishes(new_only) == [WISH, None]
    with pytest.raises(AnswerUnreadable):
        wishes(create_app(app_config))  # OLD_KEY alone reads no wish any more


# The attendee's rights ------------------------------------------------------------------------


def test_the_download_holds_the_room_named_room_add_ons_lines_and_own_wish(db, client, twin):
    transfer = add_add_on(twin.retreat, name="Airport transfer", price_minor=4_000)
    booking = wish_booking(twin, add_on_ids=[transfer.id])
    db.session.get(Booking, booking.id).room_label = "Fig 1"
    db.session.commit()

    response = client.get(data_path(booking))

    data = json.loads(response.get_data(as_text=True))["booking"]
    assert data["room_type"] == "Shared twin"
    assert data["takes_whole_room"] is False
    assert data["named_room"] == "Fig 1"
    assert data["add_ons"] == [{"name": "Airport transfer", "quantity": 1}]
    assert data["room_share_with"] == WISH
    assert [(line["kind"], line["name"], line["amount_minor"]) for line in data["lines"]] == [
        ("ticket", "Individual", 25_000),
        ("room", "Shared twin", 12_000),
        ("add_on", "Airport transfer", 4_000),
    ]
    assert data["total_minor"] == data["amount_minor"] == 41_000


def test_a_download_without_a_room_says_so(db, client, make_retreat):
    booking = paid_booking(make_retreat(), CY)

    data = json.loads(client.get(data_path(booking)).get_data(as_text=True))["booking"]

    assert (data["room_type"], data["named_room"], data["room_share_with"]) == (None, None, None)
    assert data["add_ons"] == [] and data["total_minor"] == 25_000


def test_deletion_erases_the_wish_and_keeps_the_named_room(db, client, twin):
    booking = wish_booking(twin)
    db.session.get(Booking, booking.id).room_label = "Fig 1"
    db.session.commit()
    cancel_booking(booking_id=booking.id)

    response = ask_for_deletion(client, booking)

    assert response.status_code == 303
    row = raw_row(db, "bookings", booking.id)
    assert row["room_share_with"] is None
    assert row["room_label"] == "Fig 1"  # where a room was, not who: no personal data
