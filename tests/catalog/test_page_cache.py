"""Public pages kept in memory: served after one SQL statement, never staler than the last commit.

retreats/caching/public_pages.py keeps a rendered page under the state it was rendered in (the
content version every write bumps, and the next moment a hold, offer, sale window or start
passes). These tests change that state every way the app does and check the page follows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from retreats import create_app
from retreats.booking.models import Booking
from retreats.booking.services import discard_hold
from retreats.caching.public_pages import page_store
from retreats.database import utcnow
from retreats.listings.models import Retreat
from tests.catalog.statements import statements_to_render
from tests.conftest import csrf_token_from, wait_until
from tests.factories import ADA, BEA, CY, held_booking, paid_booking


def seats_line(page: str) -> str:
    return next(line.strip() for line in page.splitlines() if "places left" in line)


def get(client, path: str, count_statements=None):
    """One anonymous GET in a fresh app context, as a real request has; (response, statements)."""
    with client.application.app_context():
        if count_statements is None:
            return client.get(path), None
        with count_statements() as statements:
            return client.get(path), list(statements)


@pytest.fixture(autouse=True)
def read_the_state_on_every_request(app):
    app.config["PUBLIC_PAGE_RECHECK_MS"] = 0


@pytest.fixture
def retreat(make_retreat):
    return make_retreat(capacity=10)


def test_a_second_visit_is_served_from_memory_after_one_statement(app, retreat, count_statements):
    client = app.test_client()
    for path in ("/", f"/retreats/{retreat.slug}"):
        first, rendering = get(client, path, count_statements)
        second, serving = get(client, path, count_statements)

        assert first.status_code == second.status_code == 200
        assert second.get_data() == first.get_data()
        assert len(rendering) == statements_to_render(path) and len(serving) == 1, (
            rendering,
            serving,
        )
        assert second.headers["ETag"] == first.headers["ETag"]
        assert second.headers["Cache-Control"] == "no-cache"


def test_a_browser_holding_the_page_gets_a_304_until_it_changes(app, retreat):
    client = app.test_client()
    path = f"/retreats/{retreat.slug}"
    etag = get(client, path)[0].headers["ETag"]

    with app.app_context():
        not_modified = client.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not not_modified.get_data()

    paid_booking(retreat, CY)
    with app.app_context():
        changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "9 places left" in changed.get_data(as_text=True)


def test_booking_paying_and_cancelling_show_at_once_on_both_pages(app, db, retreat):
    client = app.test_client()
    detail = f"/retreats/{retreat.slug}"
    assert "10 places left" in get(client, detail)[0].get_data(as_text=True)
    get(client, "/")

    held = held_booking(retreat, ADA, BEA)
    assert "8 places left" in get(client, detail)[0].get_data(as_text=True)
    assert "8 places left" in get(client, "/")[0].get_data(as_text=True)

    discard_hold(booking_id=held.id)
    assert "10 places left" in get(client, detail)[0].get_data(as_text=True)
    assert "10 places left" in get(client, "/")[0].get_data(as_text=True)


def test_an_edit_through_a_bulk_update_shows_at_once(app, db, retreat):
    client = app.test_client()
    path = f"/retreats/{retreat.slug}"
    get(client, path)

    db.session.execute(update(Retreat).where(Retreat.id == retreat.id).values(capacity=4))
    db.session.commit()

    assert "4 places left" in get(client, path)[0].get_data(as_text=True)


def test_a_rolled_back_change_keeps_the_page(app, db, retreat, count_statements):
    client = app.test_client()
    path = f"/retreats/{retreat.slug}"
    get(client, path)

    retreat.capacity = 3
    db.session.flush()
    db.session.rollback()

    response, statements = get(client, path, count_statements)
    assert "10 places left" in response.get_data(as_text=True) and len(statements) == 1


def test_a_hold_that_runs_out_frees_its_seats_on_the_page_with_no_write(app, db, retreat):
    client = app.test_client()
    path = f"/retreats/{retreat.slug}"
    held = held_booking(retreat, CY)
    db.session.execute(
        update(Booking)
        .where(Booking.id == held.id)
        .values(hold_expires_at=utcnow() + timedelta(seconds=1))
    )
    db.session.commit()
    assert "9 places left" in get(client, path)[0].get_data(as_text=True)

    # Nothing is written from here on: only the clock moves past the hold's end.
    wait_until(lambda: "10 places left" in get(client, path)[0].get_data(as_text=True), timeout=10)


def test_a_change_made_by_another_instance_shows_on_this_one(app, app_config, db, retreat):
    this_instance = app.test_client()
    other_app = create_app(app_config)
    path = f"/retreats/{retreat.slug}"
    assert "10 places left" in get(this_instance, path)[0].get_data(as_text=True)

    with other_app.app_context():
        other = Retreat.query.filter_by(slug=retreat.slug).one()
        other.capacity = 6
        db.session.commit()  # the other app's session, on its own engine
        db.session.remove()

    assert "6 places left" in get(this_instance, path)[0].get_data(as_text=True)


def test_visitors_with_a_session_never_get_the_kept_page(app, db, retreat, count_statements):
    """Their page is rendered for them; only its content, the same for all, is kept
    (tests/catalog/test_fragments.py)."""
    client = app.test_client()
    path = f"/retreats/{retreat.slug}"
    get(client, path)
    client.set_cookie("session", "anything")

    response, statements = get(client, path, count_statements)
    assert response.status_code == 200 and len(statements) == 1  # the state; content kept
    assert "ETag" not in response.headers


def test_pages_are_kept_per_app_and_a_bounded_number(app, make_retreat):
    store = page_store()
    store.max_pages = 3
    client = app.test_client()
    for number in range(6):
        get(client, f"/?page={number + 1}")
    assert len(store) == 3


def test_a_worker_rechecks_for_changes_at_most_every_interval(app, retreat, count_statements):
    # Long enough that the second request comes within it even on a busy machine (-n 4).
    app.config["PUBLIC_PAGE_RECHECK_MS"] = 5000
    client = app.test_client()
    path = f"/retreats/{retreat.slug}"
    get(client, path)

    again, statements = get(client, path, count_statements)
    assert again.status_code == 200 and statements == []  # the state read just now still holds

    paid_booking(retreat, CY)
    wait_until(lambda: "9 places left" in get(client, path)[0].get_data(as_text=True), timeout=20)


def test_failed_sign_ins_leave_the_kept_pages_alone(app, retreat, organizer, count_statements):
    """Organizers are not on public pages: a password-guessing storm must not flush them."""
    client = app.test_client()
    path = f"/retreats/{retreat.slug}"
    get(client, path)
    signing_in = app.test_client()
    page = signing_in.get("/organizer/login").get_data(as_text=True)
    answer = signing_in.post(
        "/organizer/login",
        data={
            "csrf_token": csrf_token_from(page),
            "email": organizer.email,
            "password": "not the password",
        },
    )
    assert answer.status_code in (200, 401, 422)

    response, statements = get(client, path, count_statements)
    assert response.status_code == 200 and len(statements) == 1


def test_signed_in_organizers_remember_cookie_never_gets_the_kept_page(
    app, db, retreat, count_statements
):
    client = app.test_client()
    path = f"/retreats/{retreat.slug}"
    get(client, path)
    client.set_cookie("remember_token", "anything")

    response, statements = get(client, path, count_statements)
    assert response.status_code == 200 and len(statements) == 1  # the state; content kept
    assert "ETag" not in response.headers
