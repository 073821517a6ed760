"""Every organizer route, walked as organizer B against organizer A's retreat, bookings and
attendees: 403 or 404, nothing of A's in the body, nothing changed in the database.

A's world is the `a_world` fixture (tests/conftest.py). The routes come from the app's URL map,
so a route added later is walked too; a route with a parameter this test does not know fails
until a value is added to `organizer_url_values` (tests/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import BOTH_DATABASES, SECRETS_OF_A, organizer_url_values


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """The access checks guard private data: both databases."""
    return request.param


# Routes reached with a one-time token, not a signed-in organizer (tested in test_accounts.py
# and test_sign_up.py).
TOKEN_ROUTES = {"organizer.reset_password", "organizer.accept_invite", "organizer.verify_email"}


def values_for(rule, world) -> dict:
    """A's objects for each URL parameter an organizer route takes."""
    known = organizer_url_values(world)
    unknown = set(rule.arguments) - set(known)
    assert not unknown, f"{rule.endpoint}: add A's object for {unknown} to organizer_url_values()"
    return {name: known[name] for name in rule.arguments}


def organizer_rules(app, *, with_arguments: bool):
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("organizer.") and rule.endpoint not in TOKEN_ROUTES
    ]
    return [rule for rule in rules if bool(rule.arguments) == with_arguments]


def snapshot(db) -> dict:
    """Every row of every table, to prove a request changed nothing."""
    with db.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for table in db.metadata.sorted_tables
        }


def csrf_token_of(client) -> str:
    page = client.get("/organizer/").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the dashboard"
    return match.group(1)


# Plausible values for any organizer form: if a view forgot its access check, the request
# should get as far as changing something, so the snapshot comparison would catch it.
FORM_VALUES = {
    "title": "Taken over by B",
    "summary": "B was here",
    "capacity": "1",
    "name": "B's ticket",
    "price": "1",
    "seats_per_ticket": "1",
    "refund": "full",
    "subject": "Hello from B",
    "body": "B writes to A's attendees",
    "action": "send",
    "confirm": "y",
    "email": "b-friend@example.org",
    "room_label": "B's room",
    "rooms": "9",
    "sleeps": "2",
    "shared": "private",
    "suits_couple": "y",
    "price_per": "room",
    "hidden": "1",
}


def test_organizer_b_can_reach_none_of_organizer_as_objects(
    app, db, a_world, sign_in, other_organizer
):
    client_b = sign_in(other_organizer)
    token = csrf_token_of(client_b)
    before = snapshot(db)
    walked = []
    for rule in organizer_rules(app, with_arguments=True):
        url = app.url_map.bind("localhost").build(rule.endpoint, values_for(rule, a_world))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client_b.get(url + "?private=1")
            else:
                response = client_b.open(
                    url, method=method, data={"csrf_token": token} | FORM_VALUES
                )
            walked.append((method, rule.endpoint))
            assert response.status_code in (403, 404), (method, url, response.status_code)
            body = response.get_data(as_text=True)
            leaked = [secret for secret in SECRETS_OF_A if secret in body]
            assert not leaked, (method, url, leaked)
    assert snapshot(db) == before
    assert ("GET", "organizer.attendees") in walked and ("POST", "organizer.check_in") in walked
    assert len(walked) >= 15


def test_b_sees_only_their_own_things_on_pages_without_ids(
    app, db, a_world, sign_in, other_organizer
):
    client_b = sign_in(other_organizer)
    for rule in organizer_rules(app, with_arguments=False):
        if "GET" not in rule.methods:
            continue
        response = client_b.get(rule.rule)
        assert response.status_code in (200, 302), (rule.rule, response.status_code)
        body = response.get_data(as_text=True)
        assert not [secret for secret in SECRETS_OF_A if secret in body], rule.rule


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(app, db, a_world, client):
    anonymous_rules = {
        "organizer.login",
        "organizer.forgot_password",
        # Signing up (tests/organizer/test_sign_up.py): for people with no account yet.
        "organizer.sign_up",
        "organizer.sign_up_sent",
        "organizer.new_email_link",
        "organizer.waiting_for_approval",
    }
    for rule in organizer_rules(app, with_arguments=True) + organizer_rules(
        app, with_arguments=False
    ):
        if rule.endpoint in anonymous_rules:
            continue
        url = app.url_map.bind("localhost").build(
            rule.endpoint, values_for(rule, a_world) if rule.arguments else {}
        )
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        if method == "POST" and response.status_code == 400:
            continue  # refused earlier still: no CSRF token without a session
        assert response.status_code == 302, (method, url, response.status_code)
        assert "/organizer/login" in response.headers["Location"]


def test_a_sees_their_attendee_s_private_answer_when_asking_so_the_walk_would_see_a_leak(
    db, a_world, sign_in, organizer
):
    """The secrets B must never see are really on A's pages: the private answer to A's own
    question shows on A's attendee list once A asks for private answers."""
    client_a = sign_in(organizer)
    url = f"/organizer/retreats/{a_world['retreat'].id}/attendees"
    private_answer = SECRETS_OF_A[-1]

    assert private_answer not in client_a.get(url).get_data(as_text=True)
    assert private_answer in client_a.get(url + "?private=1").get_data(as_text=True)
