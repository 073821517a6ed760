"""Rate limits per client address: each limited route says 429 with a clear page and Retry-After
after its limit, nothing else is ever limited, and with Redis several instances count together."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from devtools.local_stripe.runner import free_port
from retreats import create_app
from retreats.booking.models import Booking, WaitlistEntry
from retreats.organizer.accounts.models import Organizer
from retreats.rate_limits import NEVER_LIMITED, ROUTE_LIMITS, wait_in_words

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def app_config(app_config) -> dict:
    # The suite turns limits off (its tests come from one address); here they are the point.
    # Forms need no CSRF token here: the limiter counts every request the view receives.
    return app_config | {"RATE_LIMITS_ENABLED": True, "WTF_CSRF_ENABLED": False}


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def assert_refused(response, *, longest_wait: int) -> None:
    """The 429 page: Retry-After within the limit's window and a sentence saying how long."""
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= longest_wait
    html = response.get_data(as_text=True)
    assert "Too many requests" in html
    assert f"Please wait {wait_in_words(retry_after)}, then try again." in html


def sign_in_attempt(client, number: int, **address):
    return client.post(
        "/organizer/login",
        data={"email": f"nobody{number}@example.org", "password": "not-the-password"},
        **address,
    )


def test_sign_in_is_refused_after_10_attempts_a_minute(client):
    for number in range(10):
        assert sign_in_attempt(client, number).status_code == 401
    assert_refused(sign_in_attempt(client, 10), longest_wait=60)
    # The form itself still opens: only the POST is limited.
    assert client.get("/organizer/login").status_code == 200


def test_the_limit_counts_per_client_address(client):
    for number in range(10):
        assert sign_in_attempt(client, number, **from_address("198.51.100.1")).status_code == 401
    assert sign_in_attempt(client, 10, **from_address("198.51.100.1")).status_code == 429
    assert sign_in_attempt(client, 11, **from_address("198.51.100.2")).status_code == 401


def test_a_forged_forwarded_for_header_changes_nothing_without_a_trusted_proxy(client):
    for number in range(10):
        forged = {"X-Forwarded-For": f"203.0.113.{number}"}
        assert sign_in_attempt(client, number, headers=forged).status_code == 401
    refused = sign_in_attempt(client, 10, headers={"X-Forwarded-For": "203.0.113.99"})
    assert refused.status_code == 429


def test_behind_a_trusted_proxy_each_visitor_counts_alone(app, app_config):
    app = create_app(app_config | {"TRUSTED_PROXY_COUNT": 1})
    client = app.test_client()
    balancer = from_address("10.0.0.2")  # every request reaches the app from the balancer

    def attempt(number: int, forwarded_for: str):
        return sign_in_attempt(
            client, number, headers={"X-Forwarded-For": forwarded_for}, **balancer
        )

    for number in range(10):
        # A visitor's own made-up entries come first; the balancer appends the real address.
        assert attempt(number, f"192.0.2.{number}, 203.0.113.7").status_code == 401
    assert attempt(10, "192.0.2.200, 203.0.113.7").status_code == 429
    assert attempt(11, "203.0.113.8").status_code == 401


def test_a_password_reset_request_is_refused_after_5_an_hour(client):
    for _ in range(5):
        response = client.post("/organizer/password/forgot", data={"email": "host@example.org"})
        assert response.status_code == 303
    refused = client.post("/organizer/password/forgot", data={"email": "host@example.org"})
    assert_refused(refused, longest_wait=3600)
    assert int(refused.headers["Retry-After"]) > 60  # the hourly window, not a minute's
    assert client.get("/organizer/password/forgot").status_code == 200


def test_sign_ups_and_new_email_links_share_5_an_hour_and_write_nothing_more(db, client):
    def sign_up(number: int):
        return client.post(
            "/organizer/sign-up",
            data={
                "name": f"Newcomer {number}",
                "email": f"new{number}@example.org",
                "password": "a long enough password",
                "confirm": "a long enough password",
                "offering": "Retreats by the sea.",
            },
        )

    for number in range(4):
        assert sign_up(number).status_code == 303
    link = client.post("/organizer/sign-up/new-link", data={"email": "new0@example.org"})
    assert link.status_code == 303
    assert_refused(sign_up(5), longest_wait=3600)
    assert_refused(
        client.post("/organizer/sign-up/new-link", data={"email": "new0@example.org"}),
        longest_wait=3600,
    )
    assert db.session.query(Organizer).count() == 4
    assert client.get("/organizer/sign-up").status_code == 200  # only the POST is limited


def valid_booking(retreat) -> dict:
    individual = next(t.id for t in retreat.ticket_types if t.seats_per_ticket == 1)
    return {
        "ticket_type": str(individual),
        "attendees-0-name": "Ada Lovelace",
        "attendees-0-email": "ada@example.org",
        "code_of_conduct": "y",
    }


def test_booking_posts_are_refused_after_20_a_minute_and_nothing_is_written(
    db, client, make_retreat
):
    retreat = make_retreat(capacity=4)
    book = f"/retreats/{retreat.slug}/book"
    for _ in range(20):
        assert client.post(book, data={"ticket_type": ""}).status_code == 422
    refused = client.post(book, data=valid_booking(retreat))
    assert_refused(refused, longest_wait=60)
    assert db.session.query(Booking).count() == 0
    # Reading the form is not booking: it still opens, as does everything public.
    assert client.get(book).status_code == 200
    assert client.get(f"/retreats/{retreat.slug}").status_code == 200


def test_joining_a_waitlist_is_refused_after_10_a_minute(db, client, make_retreat):
    retreat = make_retreat(capacity=4)
    join = f"/retreats/{retreat.slug}/waitlist"
    for _ in range(10):
        assert client.post(join, data={"name": ""}).status_code == 422
    refused = client.post(join, data={"name": "Dee", "email": "d@example.org", "seats": "1"})
    assert_refused(refused, longest_wait=60)
    assert db.session.query(WaitlistEntry).count() == 0
    assert client.get(join).status_code == 200


SECRET_LINK_PAGES = [
    "/bookings/NOPE?t=guess",
    "/bookings/NOPE/guide?t=guess",
    "/bookings/NOPE/guide.pdf?t=guess",
    "/bookings/NOPE/calendar.ics?t=guess",
    "/waitlist/1?t=guess",
    "/organizer/password/reset/guess",
    "/organizer/invite/guess",
]


def test_secret_link_pages_share_60_requests_a_minute(client):
    for number in range(60):
        response = client.get(SECRET_LINK_PAGES[number % len(SECRET_LINK_PAGES)])
        assert response.status_code in (404, 410)  # no such booking, offer or link
    for page in SECRET_LINK_PAGES:
        assert_refused(client.get(page), longest_wait=60)
    assert_refused(client.post("/bookings/NOPE/cancel?t=guess"), longest_wait=60)
    assert client.get("/").status_code == 200


def test_the_stripe_webhook_health_check_and_public_pages_are_never_limited(client):
    for _ in range(120):
        assert client.post("/stripe/webhook", data=b"{}").status_code == 400  # unsigned
        assert client.get("/healthz").status_code == 200
    for _ in range(70):
        assert client.get("/").status_code == 200
        assert client.get("/organizer/login").status_code == 200


def test_no_named_limit_covers_the_webhook_or_the_health_check():
    limited = {endpoint for named in ROUTE_LIMITS.values() for endpoint in named.endpoints}
    assert not limited & set(NEVER_LIMITED)


def test_limits_can_be_turned_off(app, app_config):
    client = create_app(app_config | {"RATE_LIMITS_ENABLED": False}).test_client()
    for number in range(15):
        assert sign_in_attempt(client, number).status_code == 401


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (59, "59 seconds"), (60, "1 minute"), (61, "2 minutes"), (3600, "1 hour")]
    + [(3601, "2 hours")],
)
def test_the_wait_is_said_in_words_rounded_up(seconds, words):
    assert wait_in_words(seconds) == words


# Redis: counters shared by every instance.


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """Debian's redis-server on 127.0.0.1 and a free port, keeping nothing on disk."""
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    # fmt: off
    server = subprocess.Popen(
        [
            REDIS_SERVER,
            "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # fmt: on
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def empty_redis(redis_url) -> str:
    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def two_instances(app_config, storage_url: str):
    """Two apps built as two gunicorn instances would be, each with its own limiter."""
    config = app_config | {"RATE_LIMIT_STORAGE_URL": storage_url}
    return create_app(config).test_client(), create_app(config).test_client()


def test_with_redis_two_instances_reach_the_limit_together(app, app_config, empty_redis):
    first, second = two_instances(app_config, empty_redis)
    for number in range(10):
        instance = first if number % 2 else second
        assert sign_in_attempt(instance, number).status_code == 401
    assert_refused(sign_in_attempt(first, 10), longest_wait=60)
    assert_refused(sign_in_attempt(second, 11), longest_wait=60)
    assert redis.Redis.from_url(empty_redis).keys("*retreats*")  # counted there, not in memory


def test_with_memory_storage_each_instance_counts_alone(app, app_config):
    first, second = two_instances(app_config, "memory://")
    for number in range(20):
        instance = first if number % 2 else second
        assert sign_in_attempt(instance, number).status_code == 401


def test_an_unreachable_redis_falls_back_to_counting_in_memory(app, app_config):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    client = create_app(app_config | {"RATE_LIMIT_STORAGE_URL": nowhere}).test_client()
    for number in range(10):
        assert sign_in_attempt(client, number).status_code == 401
    assert_refused(sign_in_attempt(client, 10), longest_wait=60)
