"""Fixtures for the hostile-input tests: organizer A's world, every one-time link, and a Stripe
that always answers, so a valid hostile submission gets as far as the app lets it."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from retreats.base.tokens import link_token
from retreats.booking.tokens import booking_token, waitlist_offer_token
from retreats.database import utcnow
from retreats.listings.models import RetreatStatus
from retreats.organizer.accounts.models import TokenPurpose
from retreats.organizer.accounts.tokens import issue_token
from retreats.payments import refunds, stripe_gateway
from tests.factories import (
    ORGANIZER_PASSWORD,
    add_room_type,
    create_organizer,
    create_platform_admin,
    create_signed_up_organizer,
    waitlist_offer,
)


@pytest.fixture
def organizer_password() -> str:
    """Organizers A and B have a real password here, so a hostile sign-in meets a real hash."""
    return ORGANIZER_PASSWORD


@pytest.fixture
def fake_stripe(monkeypatch):
    """Checkout Sessions and refunds that always succeed, without a network."""

    def create_checkout_session(*, booking_id, **_):
        return SimpleNamespace(id=f"cs_hostile_{booking_id}", url="https://checkout.test/pay")

    counter = iter(range(1, 1_000_000))
    monkeypatch.setattr(stripe_gateway, "create_checkout_session", create_checkout_session)
    monkeypatch.setattr(refunds, "refund_payment", lambda **_: f"re_hostile_{next(counter)}")


@pytest.fixture
def world(db, a_world, make_retreat, organizer, other_organizer, fake_stripe):
    """A's world (the `a_world` fixture of tests/conftest.py) plus a draft retreat, a live waitlist
    offer, unused password-reset and co-host-invite links, and a room for A's booking (so the
    rooming list shows its named-room form)."""
    now = utcnow()
    retreat = a_world["retreat"]
    a_world["booking"].room_type_id = add_room_type(retreat).id
    draft = make_retreat(title="Draft of A", slug="draft-of-a", status=RetreatStatus.DRAFT)
    entry = waitlist_offer(
        retreat, name="Willow Waiting", email="willow@example.org", hours=12, now=now
    )
    reset = issue_token(
        organizer, TokenPurpose.PASSWORD_RESET, lifetime=timedelta(hours=1), now=now
    )
    newcomer = create_organizer(
        email="newcomer@example.org", name="Newcomer", with_password=False
    )  # no password yet
    invite = issue_token(
        newcomer,
        TokenPurpose.CO_HOST_INVITE,
        lifetime=timedelta(days=7),
        now=now,
        invited_by=organizer,
    )
    # Sign-up (tests/organizer/test_sign_up.py): an unused email link, an organizer waiting for
    # the platform admin, and the admin whose forms are attacked too.
    unconfirmed = create_signed_up_organizer(email="unconfirmed@example.org", email_confirmed=False)
    email_link = issue_token(
        unconfirmed, TokenPurpose.EMAIL_VERIFICATION, lifetime=timedelta(hours=48), now=now
    )
    waiting = create_signed_up_organizer(email="waiting@example.org", name="Wanda Waiting")
    platform_admin = create_platform_admin()
    db.session.commit()
    return a_world | {
        "draft": draft,
        "waitlist_entry": entry,
        "offer_token": waitlist_offer_token(entry.id),
        "booking_token": booking_token(a_world["booking"].reference),
        "reset_token": link_token(reset),
        "invite_token": link_token(invite),
        "email_token": link_token(email_link),
        "waiting_organizer": waiting,
        "platform_admin": platform_admin,
    }
