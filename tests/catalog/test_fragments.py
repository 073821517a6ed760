"""Pages for visitors with a session: the content kept for everyone, the layout theirs alone.

retreats/caching/fragments.py keeps what a public page shows every visitor alike (the catalog's
cards, a retreat's tickets and seats) under the same state as the kept pages; the header, flash
messages and the organizer's name around it are rendered for each request. These tests check
that nothing of one visitor is kept for another, and that the kept content follows every change
as the kept pages do.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from jinja2 import DictLoader
from sqlalchemy import update

from retreats.booking.models import Booking
from retreats.caching.fragments import (
    PER_VISITOR_GLOBALS,
    PerVisitorInFragment,
    fragment_store,
    render_fragment,
    render_piece,
)
from retreats.caching.public_pages import page_store
from retreats.database import utcnow
from tests.catalog.statements import statements_to_render
from tests.conftest import wait_until
from tests.factories import CY, create_organizer, held_booking

PAGES = ("/", "/?focus=emotional", "/retreats/{slug}")


@pytest.fixture(autouse=True)
def read_the_state_on_every_request(app):
    app.config["PUBLIC_PAGE_RECHECK_MS"] = 0


@pytest.fixture
def retreat(make_retreat):
    return make_retreat(capacity=2)


def get(client, path: str, count_statements=None):
    """One GET in a fresh app context, as a real request has; (response, statements)."""
    with client.application.app_context():
        if count_statements is None:
            return client.get(path), None
        with count_statements() as statements:
            return client.get(path), list(statements)


def html_of(client, path: str) -> str:
    response = get(client, path)[0]
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def visitor_with_a_session(app, retreat):
    """A visitor who opened the booking form: a session with its CSRF token in it."""
    client = app.test_client()
    html_of(client, f"/retreats/{retreat.slug}/book")
    return client


def flash_for(client, message: str) -> None:
    """A flash message waiting for the visitor's next page, as after a redirect."""
    with client.session_transaction() as session:
        session.setdefault("_flashes", []).append(("info", message))


def kept_html(app) -> str:
    with app.app_context():
        return "".join(kept.fragment.html for kept in fragment_store().values())


def seats_line(html: str) -> str:
    return next(
        line.strip() for line in html.splitlines() if "left</" in line or "Sold out" in line
    )


def test_a_visitor_with_a_session_gets_the_kept_content_after_one_statement(
    app, retreat, count_statements
):
    visitor = visitor_with_a_session(app, retreat)
    for path in ("/", f"/retreats/{retreat.slug}"):
        first, rendering = get(visitor, path, count_statements)
        second, serving = get(visitor, path, count_statements)

        assert first.status_code == second.status_code == 200
        assert second.get_data() == first.get_data()
        assert len(rendering) == statements_to_render(path) and len(serving) == 1, (
            rendering,
            serving,
        )
        assert "ETag" not in second.headers and "Set-Cookie" not in second.headers


def test_visitors_with_a_session_and_anonymous_ones_share_the_content(app, retreat):
    anonymous = app.test_client()
    visitor = visitor_with_a_session(app, retreat)
    for path in ("/", f"/retreats/{retreat.slug}"):
        kept_page = html_of(anonymous, path)
        assert html_of(visitor, path) == kept_page  # nothing of theirs to show: the same page
    with app.app_context():
        # The catalog's and the retreat page's content, and the blank booking form opened (and
        # the page around it, as the visitor had no session then).
        assert len(fragment_store()) == 4 and len(page_store()) == 2


def test_no_flash_message_csrf_token_or_organizer_name_is_kept_for_others(
    app, db, retreat, sign_in
):
    ada = visitor_with_a_session(app, retreat)
    bea = visitor_with_a_session(app, retreat)
    organizer = sign_in(create_organizer(email="zelda@example.org", name="Zelda Quartermaine"))
    anonymous = app.test_client()

    for template in PAGES:
        path = template.format(slug=retreat.slug)
        flash_for(ada, "Only for Ada: you are on the waitlist")
        flash_for(bea, "Only for Bea: that ticket is gone")
        ada_page, bea_page = html_of(ada, path), html_of(bea, path)
        organizer_page, anonymous_page = html_of(organizer, path), html_of(anonymous, path)

        assert "Only for Ada" in ada_page and "Only for Bea" not in ada_page
        assert "Only for Bea" in bea_page and "Only for Ada" not in bea_page
        assert "Zelda Quartermaine" in organizer_page and 'name="csrf_token"' in organizer_page
        for page in (ada_page, bea_page, anonymous_page):
            assert "Zelda Quartermaine" not in page and "csrf_token" not in page
        assert "Only for" not in anonymous_page and "Only for" not in organizer_page
        assert "Only for Ada" not in html_of(ada, path)  # shown once, then gone

    kept = kept_html(app)
    assert "Upcoming retreats and workshops" in kept and retreat.title in kept
    for per_visitor in ("Only for", "Zelda", "csrf_token", "Sign out", "flash"):
        assert per_visitor not in kept, per_visitor


@pytest.mark.parametrize(
    "source",
    [
        "{{ current_user.name }}",
        "{% if current_user.is_authenticated %}yes{% endif %}",
        "{{ csrf_token() }}",
        "{{ csrf_meta_tag() }}",
        "{% for message in get_flashed_messages() %}{{ message }}{% endfor %}",
        "{{ session.get('csrf_token') }}",
        "{% if session %}yes{% endif %}",
        "{{ request.cookies }}",
        "{{ g.user }}",
    ],
)
@pytest.mark.parametrize("render", [render_fragment, render_piece])
def test_a_fragment_template_cannot_reach_the_visitor(app, source, render):
    app.jinja_loader = DictLoader({"reaches_for_the_visitor.html": source})
    with app.test_request_context("/"), pytest.raises(PerVisitorInFragment):
        render("reaches_for_the_visitor.html")


def test_the_guard_covers_every_per_visitor_global_of_the_app(app):
    """A new per-visitor global (a context processor's) must join PER_VISITOR_GLOBALS."""
    shared_by_all = {"url_for", "config", "static_url", "has_endpoint", "cover_size"}
    shared_by_all |= {"policy_summary", "deposit_rule", "date_range", "time_range"}
    shared_by_all |= {"data_deletion_refusal", "listing_card"}  # rendered as a fragment is
    shared_by_all |= {"absolute_url", "retreat_url", "cover_url", "event_json_ld"}
    shared_by_all |= {"range", "dict", "lipsum", "cycler", "joiner", "namespace"}
    with app.test_request_context("/"):
        context: dict = {}
        app.update_template_context(context)
    names = set(app.jinja_env.globals) | set(context)
    assert names - shared_by_all <= set(PER_VISITOR_GLOBALS), names - shared_by_all


def test_a_booking_that_takes_the_last_seat_shows_at_once_for_a_visitor_with_a_session(
    app, retreat
):
    visitor = visitor_with_a_session(app, retreat)
    detail = f"/retreats/{retreat.slug}"
    assert "2 places left" in html_of(visitor, detail)
    assert "2 places left" in html_of(visitor, "/")

    held_booking(retreat, CY)
    assert "1 place left" in html_of(visitor, detail)
    held_booking(retreat, CY)

    page, catalog = html_of(visitor, detail), html_of(visitor, "/")
    assert "Sold out" in page and "Book your place" not in page
    assert "Sold out" in catalog and "Waitlist open" in catalog


def test_a_change_shows_for_a_visitor_with_a_session_no_later_than_on_the_kept_page(
    app, db, retreat
):
    app.config["PUBLIC_PAGE_RECHECK_MS"] = 1000
    anonymous = app.test_client()
    visitor = visitor_with_a_session(app, retreat)
    detail = f"/retreats/{retreat.slug}"
    assert "2 places left" in html_of(anonymous, detail)
    assert "2 places left" in html_of(visitor, detail)

    held_booking(retreat, CY)
    held_booking(retreat, CY)

    def both_sold_out() -> bool:
        kept_page = seats_line(html_of(anonymous, detail))
        visitors_page = seats_line(html_of(visitor, detail))
        if "Sold out" in kept_page:  # the visitor asked after: never an older state than this
            assert "Sold out" in visitors_page
        return "Sold out" in visitors_page

    wait_until(both_sold_out, timeout=10)


def test_a_hold_that_runs_out_frees_its_seat_for_a_visitor_with_a_session(app, db, retreat):
    visitor = visitor_with_a_session(app, retreat)
    path = f"/retreats/{retreat.slug}"
    held = held_booking(retreat, CY)
    db.session.execute(
        update(Booking)
        .where(Booking.id == held.id)
        .values(hold_expires_at=utcnow() + timedelta(seconds=1))
    )
    db.session.commit()
    assert "1 place left" in html_of(visitor, path)

    # Nothing is written from here on: only the clock moves past the hold's end.
    wait_until(lambda: "2 places left" in html_of(visitor, path), timeout=10)


def test_an_unknown_retreat_is_a_404_for_a_visitor_with_a_session(app, retreat):
    visitor = visitor_with_a_session(app, retreat)
    with app.app_context():
        kept_before = len(fragment_store())  # the blank booking form the visitor opened
    assert get(visitor, "/retreats/no-such-retreat")[0].status_code == 404
    with app.app_context():
        assert len(fragment_store()) == kept_before  # nothing kept for a page that is not there
