"""The local Stripe server, driven through the official stripe library and a browser's requests."""

import json
import re
import time
import uuid
from pathlib import Path

import pytest
import requests
import stripe

from devtools.local_stripe.runner import running_local_stripe, wait_for_http

LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_devtools_test"  # the secret conftest starts the server with
PAYING_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0341"
SUCCESS_URL = "http://127.0.0.1:5000/bookings/paid?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://127.0.0.1:5000/retreats/spring-couples-retreat"


def session_params(**overrides) -> dict:
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 12000,
                    "product_data": {
                        "name": "Spring couples retreat",
                        "description": "Two nights, all meals",
                    },
                },
            }
        ],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "expires_at": int(time.time()) + 45 * 60,
        "metadata": {"booking_ref": "BK-7Q2X"},
        "client_reference_id": "booking-42",
        "customer_email": "ana@example.com",
        "payment_intent_data": {"metadata": {"booking_ref": "BK-7Q2X"}},
    }
    params.update(overrides)
    return params


def pay(session, card_number: str) -> requests.Response:
    return requests.post(session.url, data={"card_number": card_number}, allow_redirects=False)


def verified_event(delivery) -> stripe.Event:
    """The delivered event, checked exactly as the app's webhook view checks it."""
    return stripe.Webhook.construct_event(
        delivery.body, delivery.signature, LOCAL_STRIPE_WEBHOOK_SECRET
    )


@pytest.mark.parametrize(
    ("overrides", "param", "message"),
    [
        ({"line_items": None}, "line_items", "Missing required param: line_items."),
        ({"mode": "subscription"}, "mode", "Invalid mode: subscription"),
        (
            {"expires_at": int(time.time()) + 10 * 60},
            "expires_at",
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
        ),
        (
            {"expires_at": int(time.time()) + 25 * 60 * 60},
            "expires_at",
            "The `expires_at` timestamp must be less than 24 hours",
        ),
        (
            {"shipping_options": "x"},
            "shipping_options",
            "Received unknown parameter: shipping_options",
        ),
        ({"success_url": "/relative"}, "success_url", "Not a valid URL"),
    ],
    ids=[
        "no-line-items",
        "mode",
        "expires-too-soon",
        "expires-too-late",
        "unknown",
        "relative-url",
    ],
)
def test_create_refuses_what_stripe_refuses(stripe_client, overrides, param, message):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(params=session_params(**overrides))
    error = refused.value
    assert error.http_status == 400
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert error.param == param
    assert error.user_message.startswith(message)


def test_create_refuses_bad_line_items(stripe_client):
    zero_quantity = session_params()
    zero_quantity["line_items"][0]["quantity"] = 0
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(params=zero_quantity)
    assert refused.value.param == "line_items[0][quantity]"

    mixed = session_params()
    mixed["line_items"].append(
        {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 500,
                                       "product_data": {"name": "Guide"}}}
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(params=mixed)
    assert refused.value.param == "line_items[1][price_data][currency]"


def test_create_returns_an_open_session(stripe_client, local_stripe_url):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert (session.amount_total, session.amount_subtotal, session.currency) == (
        24000,
        24000,
        "eur",
    )
    assert session.client_reference_id == "booking-42"
    assert session.customer_email == "ana@example.com"
    assert session.customer_details is None
    assert session.payment_intent is None
    assert session.metadata.to_dict() == {"booking_ref": "BK-7Q2X"}
    assert session.livemode is False
    assert session.url == f"{local_stripe_url}/checkout/pay/{session.id}"
    assert session.created <= int(time.time()) < session.expires_at


def test_unknown_session_is_resource_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"


def test_requests_without_a_secret_key_are_refused(local_stripe_url):
    response = requests.post(f"{local_stripe_url}/v1/checkout/sessions", data={"mode": "payment"})
    assert response.status_code == 401


def test_pay_page_shows_the_amount_items_and_a_way_back(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    page = requests.get(session.url)

    assert page.status_code == 200
    assert '<label for="card_number">Card number</label>' in page.text
    assert "€240.00" in page.text
    assert "Spring couples retreat" in page.text
    assert f'href="{CANCEL_URL}">Cancel and go back</a>' in page.text


def test_paying_with_4242_completes_the_session(stripe_client, webhook_receiver):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    paid = pay(session, PAYING_CARD)

    assert paid.status_code == 303
    assert paid.headers["Location"] == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session.id)
    after = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert (after.status, after.payment_status) == ("complete", "paid")
    assert after.customer_details.email == "ana@example.com"
    assert after.url is None
    intent = after.payment_intent
    assert intent.object == "payment_intent"
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 24000, "eur")
    assert intent.metadata["checkout_session"] == session.id
    assert intent.metadata["booking_ref"] == "BK-7Q2X"
    unexpanded = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert unexpanded.payment_intent == intent.id

    [delivery] = webhook_receiver.wait_for_event("checkout.session.completed", session.id)
    event = verified_event(delivery)
    assert event.type == "checkout.session.completed"
    assert event.data.object.payment_status == "paid"
    assert event.data.object.payment_intent == intent.id

    assert pay(session, PAYING_CARD).status_code == 409  # paid once only


def test_declined_card_leaves_the_session_open(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    declined = pay(session, DECLINED_CARD)

    assert declined.status_code == 402
    assert "Your card was declined." in declined.text
    assert re.search(r'<input id="card_number"[^>]*value=', declined.text) is None  # not echoed
    after = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (after.status, after.payment_status, after.payment_intent) == ("open", "unpaid", None)


def test_invalid_card_number_is_explained(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    response = pay(session, "1234 5678")

    assert response.status_code == 400
    assert "Your card number is invalid." in response.text
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expire_closes_an_open_session_once(stripe_client, webhook_receiver):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    expired = stripe_client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert expired.payment_status == "unpaid"
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert again.value.http_status == 400
    assert "Only Checkout Sessions with a status in [open] can be expired" in str(
        again.value.user_message
    )
    [delivery] = webhook_receiver.wait_for_event("checkout.session.expired", session.id)
    assert verified_event(delivery).data.object.status == "expired"
    assert "expired" in requests.get(session.url).text


def test_session_past_its_expiry_is_expired_in_the_background(
    stripe_client, local_stripe_url, webhook_receiver
):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    lapse = requests.post(f"{local_stripe_url}/_config/checkout/sessions/{session.id}/lapse")
    assert lapse.status_code == 200

    [delivery] = webhook_receiver.wait_for_event("checkout.session.expired", session.id)
    assert verified_event(delivery).data.object.status == "expired"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_idempotency_key_replays_the_first_response(stripe_client, local_stripe_url):
    key = f"create-{uuid.uuid4()}"
    params = session_params()

    first = stripe_client.v1.checkout.sessions.create(
        params=params, options={"idempotency_key": key}
    )
    second = stripe_client.v1.checkout.sessions.create(
        params=params, options={"idempotency_key": key}
    )

    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert second.last_response.body == first.last_response.body

    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.checkout.sessions.create(
            params={**params, "client_reference_id": "another"}, options={"idempotency_key": key}
        )


def test_idempotency_key_covers_payment_intents(stripe_client):
    key = f"intent-{uuid.uuid4()}"
    params = {"amount": 5000, "currency": "eur"}

    first = stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    second = stripe_client.v1.payment_intents.create(
        params=params, options={"idempotency_key": key}
    )

    assert first.id == second.id


def test_refund_sends_signed_refund_events(stripe_client, webhook_receiver):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())
    assert pay(session, PAYING_CARD).status_code == 303
    intent_id = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent

    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 4000})

    assert (refund.status, refund.amount) == ("succeeded", 4000)
    [refunded] = webhook_receiver.wait_for_event("charge.refunded", refund.charge)
    assert verified_event(refunded).data.object.amount_refunded == 4000
    [created] = webhook_receiver.wait_for_event("refund.created", refund.id)
    assert verified_event(created).data.object.payment_intent == intent_id
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 90000})


def test_failed_webhook_delivery_is_retried(stripe_client, webhook_receiver):
    marker = f"retry-{uuid.uuid4()}"
    webhook_receiver.fail_once_markers.add(marker)
    session = stripe_client.v1.checkout.sessions.create(
        params=session_params(metadata={"marker": marker})
    )

    stripe_client.v1.checkout.sessions.expire(session.id)

    first, retried = webhook_receiver.wait_for_event(
        "checkout.session.expired", session.id, count=2
    )
    assert (first.answered, retried.answered) == (500, 200)
    assert first.event["id"] == retried.event["id"]
    assert verified_event(retried).data.object.id == session.id


def test_state_is_kept_in_the_state_dir_and_resumed(tmp_path: Path):
    shared_pickle = Path("/tmp/localstripe.pickle")  # where localstripe alone would write
    shared_before = shared_pickle.stat().st_mtime_ns if shared_pickle.exists() else None

    with running_local_stripe(state_dir=tmp_path) as base_url:
        client = stripe.StripeClient("sk_test_local", base_addresses={"api": base_url})
        session = client.v1.checkout.sessions.create(params=session_params())
    assert (tmp_path / "localstripe.pickle").is_file()

    with running_local_stripe(state_dir=tmp_path, from_scratch=False) as base_url:
        client = stripe.StripeClient("sk_test_local", base_addresses={"api": base_url})
        assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    shared_after = shared_pickle.stat().st_mtime_ns if shared_pickle.exists() else None
    assert shared_after == shared_before


def test_memory_only_writes_no_state_file(tmp_path: Path):
    shared_pickle = Path("/tmp/localstripe.pickle")  # where localstripe alone would write
    shared_before = shared_pickle.stat().st_mtime_ns if shared_pickle.exists() else None

    with running_local_stripe(state_dir=tmp_path, memory_only=True) as base_url:
        client = stripe.StripeClient("sk_test_local", base_addresses={"api": base_url})
        session = client.v1.checkout.sessions.create(params=session_params())
        assert pay(session, PAYING_CARD).status_code == 303
        assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"

    assert [path.name for path in tmp_path.iterdir()] == ["server.log"]
    shared_after = shared_pickle.stat().st_mtime_ns if shared_pickle.exists() else None
    assert shared_after == shared_before


API_DELAY_MS = 400


def test_api_delay_keeps_api_calls_waiting_but_not_the_pay_page(tmp_path: Path):
    with running_local_stripe(
        state_dir=tmp_path, memory_only=True, api_delay_ms=API_DELAY_MS
    ) as base_url:
        client = stripe.StripeClient("sk_test_local", base_addresses={"api": base_url})
        started = time.monotonic()
        session = client.v1.checkout.sessions.create(params=session_params())
        create_seconds = time.monotonic() - started
        started = time.monotonic()
        client.v1.checkout.sessions.retrieve(session.id)
        retrieve_seconds = time.monotonic() - started
        started = time.monotonic()
        page = requests.get(session.url)
        page_seconds = time.monotonic() - started

    assert create_seconds >= API_DELAY_MS / 1000
    assert retrieve_seconds >= API_DELAY_MS / 1000
    assert page.status_code == 200
    assert page_seconds < API_DELAY_MS / 1000


def test_wait_for_http_gives_up_after_its_timeout():
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        wait_for_http("http://127.0.0.1:9/", timeout=0.3)
    assert time.monotonic() - started < 5


def test_error_responses_have_stripes_shape(local_stripe_url):
    response = requests.post(
        f"{local_stripe_url}/v1/checkout/sessions",
        data={"mode": "payment"},
        headers={"Authorization": "Bearer sk_test_local"},
    )
    assert response.status_code == 400
    error = json.loads(response.text)["error"]
    assert error == {
        "type": "invalid_request_error",
        "message": "Missing required param: line_items.",
        "param": "line_items",
    }


# Stripe's documented limits (the sources are named in devtools/local_stripe/params.py).
NAME_LIMIT, DESCRIPTION_LIMIT, IMAGES_LIMIT, LINE_ITEMS_LIMIT = 5000, 40000, 8, 100
REFERENCE_LIMIT, METADATA_KEYS, KEY_LIMIT, VALUE_LIMIT = 200, 50, 40, 500


def product(name: str = "Guide", **product_data) -> dict:
    return {
        "quantity": 1,
        "price_data": {
            "currency": "eur",
            "unit_amount": 500,
            "product_data": {"name": name, **product_data},
        },
    }


def full_metadata() -> dict[str, str]:
    """As much metadata as Stripe takes: 50 keys of 40 characters, values of 500."""
    return {f"key{n:037d}": "v" * VALUE_LIMIT for n in range(METADATA_KEYS)}


def test_create_accepts_everything_stripe_accepts_up_to_its_limits(stripe_client):
    longest = product(
        "N" * NAME_LIMIT,
        description="D" * DESCRIPTION_LIMIT,
        images=[f"https://example.org/{n}.jpg" for n in range(IMAGES_LIMIT)],
        metadata=full_metadata(),
    )
    params = session_params(
        line_items=[longest] + [product() for _ in range(LINE_ITEMS_LIMIT - 1)],
        client_reference_id="R" * REFERENCE_LIMIT,
        metadata=full_metadata(),
        payment_intent_data={"metadata": full_metadata()},
    )
    session = stripe_client.v1.checkout.sessions.create(params=params)

    again = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items"]}
    )
    assert len(again.line_items.data) == LINE_ITEMS_LIMIT
    assert again.line_items.data[0].description == "N" * NAME_LIMIT
    assert again.client_reference_id == "R" * REFERENCE_LIMIT
    assert again.metadata.to_dict() == full_metadata()


def one_longer(text: str, limit: int) -> str:
    return text * (limit + 1)


def too_long_message(text: str, limit: int) -> str:
    """Stripe names a string it refuses by its first and last ten characters."""
    value = one_longer(text, limit)
    return f"Invalid string: {value[:10]}...{value[-10:]}; must be at most {limit} characters"


PRODUCT = "line_items[0][price_data][product_data]"


@pytest.mark.parametrize(
    ("overrides", "param", "message"),
    [
        (
            {"line_items": [product(one_longer("N", NAME_LIMIT))]},
            f"{PRODUCT}[name]",
            too_long_message("N", NAME_LIMIT),
        ),
        (
            {"line_items": [product(description=one_longer("D", DESCRIPTION_LIMIT))]},
            f"{PRODUCT}[description]",
            too_long_message("D", DESCRIPTION_LIMIT),
        ),
        (
            {"client_reference_id": one_longer("R", REFERENCE_LIMIT)},
            "client_reference_id",
            too_long_message("R", REFERENCE_LIMIT),
        ),
        (
            {"line_items": [product(images=["https://example.org/a.jpg"] * (IMAGES_LIMIT + 1))]},
            f"{PRODUCT}[images]",
            "must have at most 8 elements",  # the wording is ours; the limit is Stripe's
        ),
        (
            {"line_items": [product() for _ in range(LINE_ITEMS_LIMIT + 1)]},
            "line_items",
            "must have at most 100 elements",
        ),
        ({"metadata": {"k" * (KEY_LIMIT + 1): "v"}}, "metadata", "Invalid key: "),
        (
            {"metadata": {"k": one_longer("v", VALUE_LIMIT)}},
            "metadata[k]",
            too_long_message("v", VALUE_LIMIT),
        ),
        (
            {"metadata": full_metadata() | {"one_more": "v"}},
            "metadata",
            "Invalid metadata: metadata can have at most 50 keys.",
        ),
        (
            {"line_items": [product(metadata={"k": one_longer("v", VALUE_LIMIT)})]},
            f"{PRODUCT}[metadata][k]",
            too_long_message("v", VALUE_LIMIT),
        ),
        (
            {"payment_intent_data": {"metadata": {"k" * (KEY_LIMIT + 1): "v"}}},
            "payment_intent_data[metadata]",
            "Invalid key: ",
        ),
    ],
    ids=[
        "product-name",
        "product-description",
        "client-reference-id",
        "product-images",
        "line-items",
        "metadata-key",
        "metadata-value",
        "metadata-keys",
        "product-metadata-value",
        "payment-intent-metadata-key",
    ],
)
def test_create_refuses_past_stripes_limits_as_stripe_does(
    stripe_client, overrides, param, message
):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(params=session_params(**overrides))
    error = refused.value
    assert error.http_status == 400
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert error.param == param
    assert message in error.user_message, error.user_message
