"""Stripe answering too late: the visitor waits no longer than the Stripe client's timeout, is
told the payment could not start and the place was released, and no hold is left behind."""

from __future__ import annotations

import time

import pytest

from retreats.booking.capacity import seats_taken
from retreats.booking.models import Booking
from retreats.extensions import db
from tests.conftest import local_stripe_for
from tests.journey import filled_booking_form

STRIPE_TIMEOUT_SECONDS = 1
STRIPE_LATE_MS = 10_000  # far beyond the client's timeout, even on a busy machine


@pytest.fixture
def app_config(app_config):
    return app_config | {"STRIPE_TIMEOUT_SECONDS": STRIPE_TIMEOUT_SECONDS}


@pytest.fixture
def late_stripe(app, tmp_path):
    """The local Stripe server, answering every API call STRIPE_LATE_MS late."""
    with local_stripe_for(app, tmp_path / "late-stripe", api_delay_ms=STRIPE_LATE_MS) as url:
        yield url


def test_a_booking_gives_up_at_the_timeout_and_releases_its_place(
    client, make_retreat, late_stripe
):
    retreat = make_retreat(capacity=4)
    ticket = retreat.ticket_types[0]
    form_url = f"/retreats/{retreat.slug}/book"
    page = client.get(form_url).get_data(as_text=True)

    started = time.monotonic()
    response = client.post(form_url, data=filled_booking_form(page, ticket))
    waited = time.monotonic() - started

    assert response.status_code == 502
    answer = response.get_data(as_text=True)
    assert "We could not start the payment just now, so your place was released" in answer
    assert 'name="attendees-0-name"' in answer  # the form again, to try once more
    assert waited < STRIPE_LATE_MS / 1000  # it did not wait for Stripe's late answer
    db.session.rollback()
    assert db.session.query(Booking).filter_by(retreat_id=retreat.id).count() == 0
    assert seats_taken(retreat.id) == 0
