"""Saving a card at Checkout and charging it later off-session, on the local Stripe server.

Driven as the app drives real Stripe: the official library, with a client built like
retreats/payments/stripe_gateway.py builds its own, and the pay page's form POST.
"""

import uuid

import pytest
import requests
import stripe

from tests.devtools.test_local_stripe import pay, session_params, verified_event

PAYING_CARD = "4242 4242 4242 4242"
DECLINED_LATER_CARD = "4000 0000 0000 0341"  # attaches fine, every charge is declined
ALWAYS_AUTHENTICATE_CARD = "4000 0027 6000 3184"  # 3-D Secure on every payment
SET_UP_ONCE_CARD = "4000 0025 0000 3155"  # 3-D Secure on-session, none once set up
AMOUNT_LATER = 18000


@pytest.fixture
def gateway_client(local_stripe_url: str) -> stripe.StripeClient:
    """A client made as stripe_gateway._client makes it: retries, a requests session."""
    session = requests.Session()
    session.trust_env = False
    return stripe.StripeClient(
        "sk_test_local",
        base_addresses={"api": local_stripe_url},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=(5, 10), session=session),
    )


def saving_params(**overrides) -> dict:
    """A session as the app opens it when the payer agrees to have the balance taken later."""
    return session_params(
        customer_creation="always",
        payment_intent_data={
            "metadata": {"booking_ref": "BK-7Q2X"},
            "setup_future_usage": "off_session",
        },
        **overrides,
    )


def save_card(client: stripe.StripeClient, card_number: str) -> tuple[str, str]:
    """Pay a card-saving session with the card; the customer and the saved card's ids."""
    session = client.v1.checkout.sessions.create(params=saving_params())
    assert pay(session, card_number).status_code == 303
    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    return paid.customer, paid.payment_intent.payment_method


def charge_later(
    client: stripe.StripeClient,
    customer: str,
    payment_method: str,
    *,
    key: str | None = None,
    metadata: dict | None = None,
) -> stripe.PaymentIntent:
    """Charge the saved card with its owner away, as stripe_gateway.charge_saved_card does."""
    params = {
        "amount": AMOUNT_LATER,
        "currency": "eur",
        "customer": customer,
        "payment_method": payment_method,
        "off_session": True,
        "confirm": True,
        "metadata": metadata or {"booking_ref": "BK-7Q2X", "part": "balance"},
    }
    return client.v1.payment_intents.create(
        params=params, options={"idempotency_key": key or f"balance-{uuid.uuid4()}"}
    )


def charges_of(client: stripe.StripeClient, customer: str) -> list:
    return client.v1.charges.list(params={"customer": customer}).data


def test_paying_a_card_saving_session_saves_the_card_on_a_new_customer(
    gateway_client, webhook_receiver
):
    session = gateway_client.v1.checkout.sessions.create(params=saving_params())
    assert session.customer is None
    assert session.customer_creation == "always"
    page = requests.get(session.url)
    assert "Your card will be saved for later payments" in page.text

    assert pay(session, PAYING_CARD).status_code == 303

    paid = gateway_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    intent = paid.payment_intent
    assert paid.customer.startswith("cus_")
    assert (intent.status, intent.customer) == ("succeeded", paid.customer)
    assert intent.payment_method.startswith("pm_")
    assert intent.setup_future_usage == "off_session"
    # What stripe_gateway.saved_card_of_payment reads: the intent alone, not expanded.
    again = gateway_client.v1.payment_intents.retrieve(intent.id)
    assert (again.customer, again.payment_method) == (paid.customer, intent.payment_method)
    assert again.setup_future_usage == "off_session"
    card = gateway_client.v1.payment_methods.retrieve(intent.payment_method)
    assert card.customer == paid.customer
    assert card.card.last4 == "4242"
    customer = gateway_client.v1.customers.retrieve(paid.customer)
    assert customer.email == "ana@example.com"
    [delivery] = webhook_receiver.wait_for_event("checkout.session.completed", session.id)
    assert verified_event(delivery).data.object.customer == paid.customer


def test_a_session_that_saves_nothing_makes_no_customer(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    assert pay(session, PAYING_CARD).status_code == 303

    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert paid.customer is None
    assert paid.customer_creation == "if_required"
    assert (paid.payment_intent.customer, paid.payment_intent.setup_future_usage) == (None, None)
    card = stripe_client.v1.payment_methods.retrieve(paid.payment_intent.payment_method)
    assert card.customer is None


def test_customer_creation_always_without_saving_makes_a_customer_but_keeps_no_card(
    stripe_client,
):
    session = stripe_client.v1.checkout.sessions.create(
        params=session_params(customer_creation="always")
    )

    assert pay(session, PAYING_CARD).status_code == 303

    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert paid.customer.startswith("cus_")
    assert paid.payment_intent.customer == paid.customer
    assert paid.payment_intent.setup_future_usage is None
    card = stripe_client.v1.payment_methods.retrieve(paid.payment_intent.payment_method)
    assert card.customer is None


def test_a_session_for_an_existing_customer_saves_the_card_on_it(stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "bo@example.com"})
    params = saving_params(customer=customer.id)
    del params["customer_creation"], params["customer_email"]
    session = stripe_client.v1.checkout.sessions.create(params=params)
    assert session.customer == customer.id
    assert "Paying as bo@example.com" in requests.get(session.url).text

    assert pay(session, PAYING_CARD).status_code == 303

    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent", "customer"]}
    )
    assert paid.customer.id == customer.id
    assert paid.customer_details.email == "bo@example.com"
    assert paid.payment_intent.customer == customer.id
    card = stripe_client.v1.payment_methods.retrieve(paid.payment_intent.payment_method)
    assert card.customer == customer.id


@pytest.mark.parametrize(
    ("overrides", "param", "message"),
    [
        (
            {"customer": "cus_someone", "customer_creation": "always", "customer_email": None},
            "customer_creation",
            "You may only specify one of these parameters: customer, customer_creation.",
        ),
        (
            {"customer": "cus_someone"},
            "customer_email",
            "You may only specify one of these parameters: customer, customer_email.",
        ),
        (
            {"customer": "cus_nobody", "customer_email": None},
            "customer",
            "No such customer: 'cus_nobody'",
        ),
        (
            {"customer_creation": "sometimes"},
            "customer_creation",
            "Invalid customer_creation: must be one of always or if_required",
        ),
        (
            {"payment_intent_data": {"setup_future_usage": "later"}},
            "payment_intent_data[setup_future_usage]",
            "Invalid payment_intent_data[setup_future_usage]: must be one of off_session or "
            "on_session",
        ),
    ],
    ids=["customer-and-creation", "customer-and-email", "no-such-customer", "creation", "usage"],
)
def test_create_refuses_what_stripe_refuses_about_customers(
    stripe_client, overrides, param, message
):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(params=session_params(**overrides))
    error = refused.value
    assert error.http_status == 400
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert (error.param, error.user_message) == (param, message)


@pytest.mark.parametrize("card_number", [ALWAYS_AUTHENTICATE_CARD, SET_UP_ONCE_CARD])
def test_a_card_asking_for_3d_secure_pays_on_the_pay_page(stripe_client, card_number):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())

    assert pay(session, card_number).status_code == 303

    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert (paid.status, paid.payment_intent.status) == ("complete", "succeeded")
    assert paid.payment_intent.next_action is None


@pytest.mark.parametrize(
    "overrides", [{}, {"customer_creation": "always"}], ids=["plain", "customer-only"]
)
def test_0341_is_declined_on_the_pay_page_unless_the_card_is_saved(stripe_client, overrides):
    session = stripe_client.v1.checkout.sessions.create(params=session_params(**overrides))

    declined = pay(session, DECLINED_LATER_CARD)

    assert declined.status_code == 402
    assert "Your card was declined." in declined.text
    after = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (after.status, after.customer) == ("open", None)


def test_a_saved_card_is_charged_off_session(gateway_client, webhook_receiver):
    customer, payment_method = save_card(gateway_client, PAYING_CARD)

    intent = charge_later(gateway_client, customer, payment_method)

    assert intent.status == "succeeded"
    assert (intent.amount, intent.amount_received, intent.currency) == (
        AMOUNT_LATER,
        AMOUNT_LATER,
        "eur",
    )
    assert (intent.customer, intent.payment_method) == (customer, payment_method)
    assert intent.metadata.to_dict() == {"booking_ref": "BK-7Q2X", "part": "balance"}
    assert gateway_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    [delivery] = webhook_receiver.wait_for_event("payment_intent.succeeded", intent.id)
    event = verified_event(delivery)
    assert (event.data.object.status, event.data.object.amount_received) == (
        "succeeded",
        AMOUNT_LATER,
    )
    assert event.data.object.metadata.to_dict() == {"booking_ref": "BK-7Q2X", "part": "balance"}


def test_0341_is_saved_then_declined_off_session(gateway_client, webhook_receiver):
    customer, payment_method = save_card(gateway_client, DECLINED_LATER_CARD)
    assert gateway_client.v1.payment_methods.retrieve(payment_method).customer == customer

    with pytest.raises(stripe.CardError) as declined:
        charge_later(gateway_client, customer, payment_method)

    error = declined.value
    assert error.http_status == 402
    assert (error.code, error.user_message) == ("card_declined", "Your card was declined.")
    assert error.error.type == "card_error"
    assert error.error.decline_code == "generic_decline"
    assert error.error.charge.startswith("ch_")
    intent = error.error.payment_intent
    assert (intent.status, intent.amount_received) == ("requires_payment_method", 0)
    assert intent.last_payment_error.code == "card_declined"
    assert intent.last_payment_error.payment_method.id == payment_method
    assert intent.metadata["part"] == "balance"
    assert gateway_client.v1.payment_intents.retrieve(intent.id).status == (
        "requires_payment_method"
    )
    [delivery] = webhook_receiver.wait_for_event("payment_intent.payment_failed", intent.id)
    failed = verified_event(delivery).data.object
    assert failed.last_payment_error.decline_code == "generic_decline"
    assert failed.metadata.to_dict() == {"booking_ref": "BK-7Q2X", "part": "balance"}


def test_3184_is_saved_then_needs_authentication_off_session(gateway_client, webhook_receiver):
    customer, payment_method = save_card(gateway_client, ALWAYS_AUTHENTICATE_CARD)

    with pytest.raises(stripe.CardError) as refused:
        charge_later(gateway_client, customer, payment_method)

    error = refused.value
    assert error.http_status == 402
    assert error.code == "authentication_required"
    assert error.error.decline_code == "authentication_required"
    assert error.user_message == (
        "Your card was declined. This transaction requires authentication."
    )
    intent = error.error.payment_intent
    assert intent.status == "requires_payment_method"  # nobody there to authenticate
    assert intent.next_action is None
    assert intent.last_payment_error.code == "authentication_required"
    [delivery] = webhook_receiver.wait_for_event("payment_intent.payment_failed", intent.id)
    assert verified_event(delivery).data.object.metadata["part"] == "balance"


def test_3155_saved_for_off_session_is_charged_without_authentication(gateway_client):
    customer, payment_method = save_card(gateway_client, SET_UP_ONCE_CARD)

    intent = charge_later(gateway_client, customer, payment_method)

    assert intent.status == "succeeded"


def test_a_declined_charge_is_replayed_under_its_key_and_not_tried_again(gateway_client):
    customer, payment_method = save_card(gateway_client, DECLINED_LATER_CARD)
    key = f"balance-{uuid.uuid4()}"

    with pytest.raises(stripe.CardError) as first:
        charge_later(gateway_client, customer, payment_method, key=key)
    with pytest.raises(stripe.CardError) as second:
        charge_later(gateway_client, customer, payment_method, key=key)

    first_intent = first.value.error.payment_intent
    assert second.value.error.payment_intent.id == first_intent.id
    assert second.value.headers["Idempotent-Replayed"] == "true"
    assert second.value.code == "card_declined"
    # One from the Checkout payment that saved the card (the test-only exception), one declined.
    charges = charges_of(gateway_client, customer)
    assert sorted(charge.status for charge in charges) == ["failed", "succeeded"]


def test_a_successful_charge_is_replayed_under_its_key_and_charged_once(gateway_client):
    customer, payment_method = save_card(gateway_client, PAYING_CARD)
    key = f"balance-{uuid.uuid4()}"

    first = charge_later(gateway_client, customer, payment_method, key=key)
    second = charge_later(gateway_client, customer, payment_method, key=key)

    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    charges = charges_of(gateway_client, customer)
    # One from the Checkout payment that saved the card, one from the charge made later.
    assert sorted(charge.amount for charge in charges) == [AMOUNT_LATER, 24000]


def test_a_card_saved_on_another_customer_is_refused(gateway_client):
    _, payment_method = save_card(gateway_client, PAYING_CARD)
    stranger = gateway_client.v1.customers.create(params={"email": "eve@example.com"})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        charge_later(gateway_client, stranger.id, payment_method)

    error = refused.value
    assert (error.http_status, error.param) == (400, "payment_method")
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert error.user_message == (
        f"The PaymentMethod {payment_method} does not belong to the Customer you supplied "
        f"{stranger.id}. Please use this PaymentMethod with the Customer that it belongs to "
        "instead."
    )
    assert charges_of(gateway_client, stranger.id) == []


def test_a_card_paid_with_once_and_not_saved_cannot_be_charged_again(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(params=session_params())
    assert pay(session, PAYING_CARD).status_code == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    customer = stripe_client.v1.customers.create(params={"email": "ana@example.com"})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        charge_later(stripe_client, customer.id, paid.payment_intent.payment_method)

    assert refused.value.http_status == 400
    assert "It may not be used again." in refused.value.user_message
