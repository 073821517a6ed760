"""Under a rush, a worker reads the state once and renders a changed page once, not once per
request: while one request does it, the worker's others go on with what they had (a page or
state a moment behind), unless its next change in time has come."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from retreats.caching import public_pages
from retreats.caching.public_pages import KeptPage, RecentState, page_store
from retreats.database import utcnow
from tests.factories import ADA, held_booking

WAIT_SECONDS = 10
RECHECK_SECONDS = 0.001  # due again at once, yet reused while another request reads it


@pytest.fixture
def retreat(make_retreat):
    """Ten places; the tests' app reads the state on every request (PUBLIC_PAGE_RECHECK_MS 0)."""
    return make_retreat(capacity=10)


def places_left(page: str) -> str:
    return next(line.strip() for line in page.splitlines() if "places left" in line)


class Held:
    """Stops the first call of a function until released; later calls go straight through."""

    def __init__(self, real):
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()
        self._first = True
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            first, self._first = self._first, False
        if first:
            self.entered.set()
            assert self.release.wait(WAIT_SECONDS), "never released"
        return self.real(*args, **kwargs)


def in_a_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        outcome["value"] = work()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_while_one_request_renders_a_changed_page_the_others_get_the_one_before(
    app, retreat, monkeypatch
):
    client = app.test_client()
    before = client.get("/").get_data(as_text=True)
    assert "10 places left" in places_left(before)
    held_booking(retreat, ADA)  # the page changes: one place fewer

    rendering = Held(public_pages.make_response)
    monkeypatch.setattr(public_pages, "make_response", rendering)
    thread, outcome = in_a_thread(lambda: app.test_client().get("/").get_data(as_text=True))
    assert rendering.entered.wait(WAIT_SECONDS)

    meanwhile = client.get("/")  # the first request is still rendering the new page
    assert meanwhile.status_code == 200
    assert meanwhile.get_data(as_text=True) == before

    rendering.release.set()
    thread.join(WAIT_SECONDS)
    assert "9 places left" in places_left(outcome["value"])
    assert "9 places left" in places_left(client.get("/").get_data(as_text=True))


def test_a_kept_page_whose_next_change_has_come_is_never_served_while_another_renders(app, retreat):
    client = app.test_client()
    client.get("/")
    key = "/?"
    kept = page_store().get(key)
    assert kept is not None
    # As if a hold shown on it had run out a moment ago: what it shows is known to be wrong.
    lapsed = KeptPage(
        state=(kept.state[0] - 1, utcnow() - timedelta(seconds=1)),
        body=b"a page from before a hold ran out",
        etag="lapsed",
        content_type=kept.content_type,
    )
    page_store().put(key, lapsed)
    with page_store().rendering(key):  # another request is rendering it
        answer = client.get("/").get_data(as_text=True)
    assert "a page from before a hold ran out" not in answer
    assert "10 places left" in places_left(answer)


def test_one_request_reads_the_state_while_the_others_go_on_with_the_last_one(app, monkeypatch):
    reads = []
    now = utcnow()

    def read_state():
        reads.append(threading.current_thread().name)
        return (len(reads), now + timedelta(hours=1))

    monkeypatch.setattr(public_pages, "current_state", read_state)
    recent = RecentState()
    assert recent.get(RECHECK_SECONDS) == (1, now + timedelta(hours=1))
    due = time.monotonic() + RECHECK_SECONDS
    while time.monotonic() < due:  # the state read just now is due again
        pass

    reading = Held(read_state)
    monkeypatch.setattr(public_pages, "current_state", reading)
    thread, outcome = in_a_thread(lambda: recent.get(RECHECK_SECONDS))
    assert reading.entered.wait(WAIT_SECONDS)
    # The last one, not read again:
    assert recent.get(RECHECK_SECONDS) == (1, now + timedelta(hours=1))
    reading.release.set()
    thread.join(WAIT_SECONDS)
    assert outcome["value"] == (2, now + timedelta(hours=1))
    assert len(reads) == 2


def test_once_its_next_change_has_come_the_state_is_waited_for_not_reused(app, monkeypatch):
    reads = []
    # Read a moment ago, and its next change (a hold running out) has come since.
    states = iter([(1, utcnow() - timedelta(seconds=1)), (2, None)])

    def read_state():
        reads.append(1)
        return next(states)

    monkeypatch.setattr(public_pages, "current_state", read_state)
    recent = RecentState()
    assert recent.get(60)[0] == 1

    reading = Held(read_state)
    monkeypatch.setattr(public_pages, "current_state", reading)
    thread, outcome = in_a_thread(lambda: recent.get(60))
    assert reading.entered.wait(WAIT_SECONDS)
    waiter, waited = in_a_thread(lambda: recent.get(60))
    waiter.join(0.2)
    assert waiter.is_alive(), "it must wait for the state being read, not reuse the lapsed one"
    reading.release.set()
    thread.join(WAIT_SECONDS)
    waiter.join(WAIT_SECONDS)
    assert outcome["value"] == waited["value"] == (2, None)
    assert len(reads) == 2  # the waiting request did not read it a third time
