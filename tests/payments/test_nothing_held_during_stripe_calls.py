"""Nothing waits in a transaction while the app waits on Stripe (DESIGN rule 12).

Each Stripe call of the booking's pages is caught the moment it starts: PostgreSQL then shows
what every connection to the test database is doing. None may sit `idle in transaction` (with
its snapshot, and maybe row locks, held for as long as Stripe takes to answer), and the call
then goes on to the local Stripe server as usual.
"""

from __future__ import annotations

import psycopg
import pytest

from retreats.booking import checkout, stripe_webhook
from retreats.booking.models import Booking, BookingStatus
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.payments import refunds
from retreats.payments.models import Refund, RefundStatus
from tests.conftest import plain_url
from tests.journey import book_to_checkout, pay_and_land
from tests.payments.helpers import cancel_from_page, confirmed_booking_page

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_backend() -> str:
    return "postgresql"


@pytest.fixture
def stripe_calls_watched(monkeypatch, database_url, db):
    """Each call of stripe_gateway.<name> (as the booking's pages make it) first records the
    states of the other connections to this test's database; returns {name: [states, …]}.

    The test's own session keeps what it loaded across its commits, so that after let_go() it
    holds no transaction itself and every connection PostgreSQL shows is the site's.
    """
    db.session().expire_on_commit = False
    seen: dict[str, list[list[str]]] = {}

    def watch(name: str) -> None:
        real = getattr(checkout.stripe_gateway, name)

        def watched(*args, **kwargs):
            with psycopg.connect(plain_url(database_url), autocommit=True) as observer:
                states = observer.execute(
                    "SELECT state FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            seen.setdefault(name, []).append([state for (state,) in states])
            return real(*args, **kwargs)

        monkeypatch.setattr(checkout.stripe_gateway, name, watched)

    for name in ("create_checkout_session", "retrieve_checkout_session", "expire_checkout_session"):
        watch(name)
    return seen


def only_booking(retreat) -> Booking:
    booking = db.session.execute(
        db.select(Booking)
        .filter_by(retreat_id=retreat.id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    let_go()
    return booking


def let_go() -> None:
    """End the test's own transaction, so that it is not the one PostgreSQL shows."""
    db.session.commit()


def bookable_retreat(make_retreat):
    retreat = make_retreat(capacity=4)
    assert retreat.ticket_types  # loaded now, while the test's transaction is open
    let_go()
    return retreat


def test_the_booking_post_waits_on_checkout_with_no_transaction_open(
    live_site, browser, make_retreat, stripe_calls_watched
):
    retreat = bookable_retreat(make_retreat)
    book_to_checkout(browser, live_site, retreat)

    [states] = stripe_calls_watched["create_checkout_session"]
    assert "idle in transaction" not in states, states
    assert only_booking(retreat).status == BookingStatus.PENDING


def test_the_success_page_asks_stripe_with_no_transaction_open(
    live_site, browser, make_retreat, stripe_calls_watched, monkeypatch
):
    def not_now(event):
        raise DomainError("the webhook is late today")

    # The webhook is late, so the success page is what confirms the booking.
    monkeypatch.setattr(stripe_webhook, "handle_stripe_event", not_now)
    retreat = bookable_retreat(make_retreat)
    assert pay_and_land(browser, book_to_checkout(browser, live_site, retreat)).status_code == 200

    assert stripe_calls_watched["retrieve_checkout_session"], "the success page asked Stripe"
    for states in stripe_calls_watched["retrieve_checkout_session"]:
        assert "idle in transaction" not in states, states
    assert only_booking(retreat).status == BookingStatus.CONFIRMED


def test_coming_back_without_paying_closes_the_session_with_no_transaction_open(
    live_site, browser, make_retreat, stripe_calls_watched
):
    retreat = bookable_retreat(make_retreat)
    book_to_checkout(browser, live_site, retreat)
    booking = only_booking(retreat)
    cancel_url = checkout.public_url(
        "booking.abandon", reference=booking.reference, t=checkout.booking_token(booking.reference)
    )
    assert browser.get(cancel_url, allow_redirects=False).status_code == 303

    [states] = stripe_calls_watched["expire_checkout_session"]
    assert "idle in transaction" not in states, states
    assert only_booking(retreat).status == BookingStatus.CANCELLED


def test_a_refund_is_sent_with_no_transaction_open_and_its_row_not_locked(
    live_site, browser, make_retreat, stripe_calls_watched, monkeypatch, database_url
):
    """The refund row is claimed (its retry time moved on) and committed before Stripe is asked,
    so another worker can read it, and would skip it, meanwhile."""
    seen: list[tuple[list[str], bool]] = []
    real = refunds.refund_payment

    def watched(**kwargs):
        with psycopg.connect(plain_url(database_url), autocommit=True) as observer:
            states = [
                state
                for (state,) in observer.execute(
                    "SELECT state FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ]
            with observer.transaction():
                locked = False
                try:
                    observer.execute("SELECT id FROM refunds FOR UPDATE NOWAIT")
                except psycopg.errors.LockNotAvailable:
                    locked = True
        seen.append((states, locked))
        return real(**kwargs)

    monkeypatch.setattr(refunds, "refund_payment", watched)
    retreat = bookable_retreat(make_retreat)
    assert cancel_from_page(browser, confirmed_booking_page(browser, live_site, retreat)).ok

    [(states, locked)] = seen
    assert "idle in transaction" not in states, states
    assert not locked, "the refund row stayed locked while Stripe was asked"
    refund = db.session.execute(
        db.select(Refund).execution_options(populate_existing=True)
    ).scalar_one()
    assert (refund.status, refund.attempts) == (RefundStatus.SUCCEEDED, 1)
