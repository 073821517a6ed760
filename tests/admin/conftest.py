"""Fixtures for the platform admin area: an admin, signed in, and organizers waiting for them."""

from __future__ import annotations

import pytest

from tests.factories import create_platform_admin, create_signed_up_organizer


@pytest.fixture
def admin(db):
    return create_platform_admin()


@pytest.fixture
def admin_client(sign_in, admin):
    return sign_in(admin)


@pytest.fixture
def newcomer(db):
    """Signed up, email confirmed, waiting for a decision."""
    return create_signed_up_organizer()
