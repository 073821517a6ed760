"""Fixtures for the organizer area: its organizers sign in through the form with a password."""

from __future__ import annotations

import pytest

from tests.factories import ORGANIZER_PASSWORD


@pytest.fixture
def organizer_password() -> str:
    """Organizers A and B (tests/conftest.py) sign in with ORGANIZER_PASSWORD here."""
    return ORGANIZER_PASSWORD
