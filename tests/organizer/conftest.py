"""Fixtures for the organizer area: organizers with passwords, and signed-in test clients."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from retreats.organizer.accounts.models import Organizer

ORGANIZER_PASSWORD = "a long and quiet lake"  # noqa: S105  (test fixture)


@cache
def organizer_password_hash() -> str:
    """ORGANIZER_PASSWORD hashed once per run: scrypt is slow on purpose, a tenth of a second."""
    return generate_password_hash(ORGANIZER_PASSWORD)


def organizer_who_can_sign_in(db, *, email: str, name: str) -> Organizer:
    person = Organizer(email=email, name=name, password_hash=organizer_password_hash())
    db.session.add(person)
    db.session.commit()
    return person


@pytest.fixture
def organizer(db) -> Organizer:
    """Organizer A, who can sign in with ORGANIZER_PASSWORD."""
    return organizer_who_can_sign_in(db, email="host@example.org", name="Test Host")


@pytest.fixture
def other_organizer(db) -> Organizer:
    """Organizer B, a stranger to A's retreats."""
    return organizer_who_can_sign_in(db, email="stranger@example.org", name="Other Host")


@pytest.fixture
def sign_in(app) -> Callable[[Organizer], FlaskClient]:
    """A new test client signed in as the given organizer (through Flask-Login's session)."""

    def signed_in_client(person: Organizer) -> FlaskClient:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = person.get_id()
            session["_fresh"] = True
        return client

    return signed_in_client


@pytest.fixture
def organizer_client(sign_in, organizer) -> FlaskClient:
    """A test client signed in as organizer A."""
    return sign_in(organizer)
