"""A kept page, asked for again by a visitor with no cookie, is answered before Flask: the same
status, headers and bytes as Flask gave; anything else still goes through Flask."""

from __future__ import annotations

import pytest
from flask import request_started

from tests.factories import ADA, held_booking


@pytest.fixture
def retreat(make_retreat):
    """Ten places; the tests' app reads the state on every request (PUBLIC_PAGE_RECHECK_MS 0)."""
    return make_retreat(capacity=10)


@pytest.fixture
def through_flask(app):
    """The paths of the requests Flask itself handled, in order."""
    seen: list[str] = []

    def note(sender, **extra):
        from flask import request

        seen.append(request.full_path)

    request_started.connect(note, app)
    yield seen
    request_started.disconnect(note, app)


def answer(response) -> tuple:
    return response.status, sorted(response.headers.items()), response.get_data()


@pytest.mark.parametrize("path", ["/", "/?focus=emotional", "/retreats/{slug}"])
def test_a_kept_page_is_answered_again_as_flask_answered_it(app, retreat, through_flask, path):
    path = path.format(slug=retreat.slug)
    client = app.test_client()
    first = client.get(path)
    second = client.get(path)
    third = client.get(path)

    assert first.status_code == 200
    assert answer(second) == answer(third) == answer(first)
    assert "Content-Security-Policy" in second.headers and "ETag" in second.headers
    # Flask rendered and kept the first, and its answer was noted: the others never reached it.
    assert len(through_flask) == 1


def test_a_change_is_answered_by_flask_at_once(app, retreat, through_flask):
    client = app.test_client()
    for _ in range(3):
        assert "10 places left" in client.get("/").get_data(as_text=True)
    held_booking(retreat, ADA)

    assert "9 places left" in client.get("/").get_data(as_text=True)
    assert len(through_flask) == 2  # the page was rendered anew through Flask


@pytest.mark.parametrize(
    "headers, query",
    [
        ({"cookie": "session"}, ""),
        ({"If-None-Match": '"whatever"'}, ""),
        ({}, "t=secret"),
    ],
    ids=["a cookie", "a conditional request", "a secret link"],
)
def test_anything_but_a_plain_anonymous_get_goes_through_flask(
    app, retreat, through_flask, headers, query
):
    client = app.test_client()
    path = f"/?{query}" if query else "/"
    client.get(path)  # kept, and its headers noted
    client.get("/")
    seen = len(through_flask)
    client.get("/")  # the plain request, as a control: answered before Flask
    assert len(through_flask) == seen

    if "cookie" in headers:
        client.set_cookie(headers.pop("cookie"), "anything")
    client.get(path, headers=headers)
    assert len(through_flask) == seen + 1
