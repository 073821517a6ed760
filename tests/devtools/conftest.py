"""Fixtures for the local Stripe server: a real server process and a webhook receiver."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from devtools.local_stripe.runner import running_local_stripe

WEBHOOK_SECRET = "whsec_devtools_test"  # test_local_stripe.py verifies events with it


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got, and what it answered."""

    body: bytes
    signature: str | None
    answered: int

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A tiny webhook endpoint on 127.0.0.1 that records every delivery.

    An event whose payload contains one of ``fail_once_markers`` is answered 500 the first
    time, so that tests can watch it being retried.
    """

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    fail_once_markers: set[str] = field(default_factory=set)
    _failed_event_ids: set[str] = field(default_factory=set)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, body: bytes, signature: str | None) -> int:
        with self._changed:
            event_id = json.loads(body).get("id")
            fail = event_id not in self._failed_event_ids and any(
                marker in body.decode("utf-8") for marker in self.fail_once_markers
            )
            if fail:
                self._failed_event_ids.add(event_id)
            answered = 500 if fail else 200
            self.deliveries.append(Delivery(body=body, signature=signature, answered=answered))
            self._changed.notify_all()
            return answered

    def wait_for(
        self, matches: Callable[[Delivery], bool], *, count: int = 1, timeout: float = 15
    ) -> list[Delivery]:
        """The deliveries that match, once there are ``count`` of them; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [delivery for delivery in self.deliveries if matches(delivery)]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._changed.wait(remaining)
        assert len(found) >= count, f"expected {count} deliveries, got {len(found)}"
        return found

    def wait_for_event(self, event_type: str, object_id: str, **options) -> list[Delivery]:
        def matches(delivery: Delivery) -> bool:
            event = delivery.event
            return event["type"] == event_type and event["data"]["object"]["id"] == object_id

        return self.wait_for(matches, **options)


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.record(body, self.headers.get("Stripe-Signature"))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def local_stripe_state_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("local-stripe")


@pytest.fixture(scope="session")
def local_stripe_url(local_stripe_state_dir, webhook_receiver: WebhookReceiver) -> Iterator[str]:
    with running_local_stripe(
        state_dir=local_stripe_state_dir,
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
    ) as base_url:
        yield base_url


@pytest.fixture
def stripe_client(local_stripe_url: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_local", base_addresses={"api": local_stripe_url})
