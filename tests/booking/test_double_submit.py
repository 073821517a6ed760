"""A double-submitted booking form makes one booking and sends both clicks to one Checkout."""

from __future__ import annotations

import threading

from retreats.booking.models import Booking
from tests.journey import filled_booking_form


def test_the_same_form_sent_twice_makes_one_booking(live_site, browser, make_retreat, db):
    retreat = make_retreat(capacity=4, tickets=[("Couple (2 people)", 89_000, 2)])
    form_url = f"{live_site.url}/retreats/{retreat.slug}/book"
    form = filled_booking_form(browser.get(form_url).text, retreat.ticket_types[0])

    first = browser.post(form_url, data=form, allow_redirects=False)
    second = browser.post(form_url, data=form, allow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.query(Booking).count() == 1


def test_two_clicks_at_the_same_moment_make_one_booking(
    live_site, requests_session_factory, make_retreat, db
):
    retreat = make_retreat(capacity=4, tickets=[("Couple (2 people)", 89_000, 2)])
    visitor = requests_session_factory()
    form_url = f"{live_site.url}/retreats/{retreat.slug}/book"
    form = filled_booking_form(visitor.get(form_url).text, retreat.ticket_types[0])
    answers = []
    start = threading.Barrier(2)

    def click():
        start.wait()
        answers.append(visitor.post(form_url, data=form, allow_redirects=False))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    db.session.expire_all()
    assert db.session.query(Booking).count() == 1


def test_a_new_form_is_a_new_booking(live_site, browser, make_retreat, db):
    retreat = make_retreat(capacity=4, tickets=[("Couple (2 people)", 89_000, 2)])
    form_url = f"{live_site.url}/retreats/{retreat.slug}/book"
    for _ in range(2):
        form = filled_booking_form(browser.get(form_url).text, retreat.ticket_types[0])
        assert browser.post(form_url, data=form, allow_redirects=False).status_code == 303
    assert db.session.query(Booking).count() == 2
