"""Buying a voucher end to end: the real app over HTTP, the local Stripe server and its
webhooks, real SMTP. Paid → active, the receipt at once, the voucher on its day."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

import pytest

from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.database import utcnow
from retreats.extensions import db
from retreats.gift_vouchers.codes import purchase_token
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.notifications.sender import send_due_emails
from retreats.payments.models import StripeEvent
from tests.conftest import BOTH_DATABASES, wait_until
from tests.gift_vouchers.helpers import filled_voucher_form, only_voucher
from tests.journey import pay


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param


@pytest.fixture
def retreat(make_retreat):
    return make_retreat(title="Couples Weekend in Sintra", slug="sintra")


IN_A_WEEK = (utcnow() + timedelta(days=7)).date()
SEND_AT = datetime.combine(IN_A_WEEK, datetime.min.time(), tzinfo=UTC).replace(hour=8)


def buy_to_checkout(browser, site, path="/retreats/sintra/gift", **changes) -> str:
    """Fill in the form and send it; returns the Checkout URL the buyer is sent to."""
    form_url = f"{site.url}{path}"
    data = filled_voucher_form(browser.get(form_url).text, day=IN_A_WEEK, **changes)
    response = browser.post(form_url, data=data, allow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["Location"]
    assert location.startswith(f"{site.stripe_url}/checkout/pay/cs_")
    return location


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_buy_pay_and_the_voucher_arrives_on_its_day(live_site, browser, retreat, smtp_inbox):
    checkout = buy_to_checkout(browser, live_site)
    voucher = only_voucher()
    assert voucher.status == GiftVoucherStatus.AWAITING_PAYMENT
    assert (voucher.amount_minor, voucher.currency) == (15_000, "EUR")
    assert voucher.organizer_id == retreat.organizer_id
    assert voucher.send_at == SEND_AT

    paid = pay(browser, checkout)
    assert paid.status_code == 303
    landing = browser.get(paid.headers["Location"])
    assert landing.status_code == 200
    assert landing.url.endswith(
        f"/gift-vouchers/{voucher.reference}?t={purchase_token(voucher.reference)}"
    )
    voucher = only_voucher()
    assert voucher.status == GiftVoucherStatus.ACTIVE
    assert voucher.expires_at == voucher.paid_at + timedelta(days=3 * 365)
    assert voucher.stripe_payment_intent_id
    page = landing.text
    assert "Paid: thank you, Cleo Buyer" in page
    assert voucher.shown_code in page and "€150.00" in page and "Dora Given" in page

    # The webhook arrives too and changes nothing.
    wait_until(lambda: db.session.query(StripeEvent).count() >= 1)
    assert only_voucher().paid_at == voucher.paid_at

    # The receipt goes at once; the voucher waits for its day.
    assert send_due_emails() == 1
    [receipt] = smtp_inbox.wait_for(1)
    assert receipt["To"] == "cleo@example.org"
    assert receipt["Subject"] == f"Your gift voucher {voucher.reference} for Dora Given"
    purchase_link = re.search(r"http://\S+/gift-vouchers/\S+", text_of(receipt)).group(0)
    assert voucher.shown_code in browser.get(purchase_link).text
    assert send_due_emails(now=SEND_AT - timedelta(seconds=1)) == 0

    assert send_due_emails(now=SEND_AT) == 1
    [_, gift] = smtp_inbox.wait_for(2)
    assert gift["To"] == "dora@example.org"
    assert gift["Subject"] == "Cleo Buyer has given you a retreat voucher"
    assert parseaddr(gift["From"])[0] == "Open Hearts"
    text = text_of(gift)
    assert voucher.shown_code in text and "Happy anniversary, love." in text
    assert retreat.organizer.name in text and "€150.00" in text
    assert send_due_emails(now=SEND_AT + timedelta(days=1)) == 0  # sent once, never twice


def test_a_discreet_voucher_has_a_neutral_subject_and_sender(
    app, live_site, browser, retreat, smtp_inbox
):
    checkout = buy_to_checkout(browser, live_site, discreet="y")
    pay(browser, checkout)
    wait_until(lambda: only_voucher().status == GiftVoucherStatus.ACTIVE)  # by the webhook
    voucher = only_voucher()
    assert send_due_emails(now=SEND_AT) == 2
    messages = {message["To"]: message for message in smtp_inbox.wait_for(2)}
    gift, receipt = messages["dora@example.org"], messages["cleo@example.org"]
    discreet_name = app.config["DISCREET_SENDER_NAME"]
    assert gift["Subject"] == "A message for you"
    assert parseaddr(gift["From"]) == (discreet_name, "bookings@retreats.test")
    assert receipt["Subject"] == f"Your receipt {voucher.reference}"
    assert parseaddr(receipt["From"])[0] == discreet_name
    # The voucher itself is all there, inside.
    assert voucher.shown_code in text_of(gift)


def test_a_site_wide_voucher_names_every_retreat(live_site, browser, retreat, smtp_inbox):
    checkout = buy_to_checkout(browser, live_site, path="/gift")
    pay(browser, checkout)
    wait_until(lambda: only_voucher().status == GiftVoucherStatus.ACTIVE)
    assert only_voucher().organizer_id is None
    assert send_due_emails(now=SEND_AT) == 2
    [gift] = [m for m in smtp_inbox.wait_for(2) if m["To"] == "dora@example.org"]
    assert "on any retreat or workshop on Open Hearts" in text_of(gift)


def test_the_same_form_sent_twice_makes_one_voucher_and_one_checkout(live_site, browser, retreat):
    form_url = f"{live_site.url}/retreats/sintra/gift"
    data = filled_voucher_form(browser.get(form_url).text, day=IN_A_WEEK)
    first = browser.post(form_url, data=data, allow_redirects=False)
    second = browser.post(form_url, data=data, allow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.query(GiftVoucher).count() == 1


def test_a_tampered_amount_is_charged_as_the_form_said_and_never_more(live_site, browser, retreat):
    # The only amount is the one typed; the server turns it into what Checkout charges.
    checkout = buy_to_checkout(browser, live_site, amount="20.50", amount_minor="1")
    assert only_voucher().amount_minor == 2050
    assert "20.50" in browser.get(checkout).text


def test_leaving_checkout_leaves_it_unpaid_and_returns_to_the_form(live_site, browser, retreat):
    checkout = buy_to_checkout(browser, live_site)
    cancel_url = re.search(r'href="([^"]+/abandon[^"]*)"', browser.get(checkout).text).group(1)
    back = browser.get(cancel_url.replace("&amp;", "&"))
    assert back.url == f"{live_site.url}/retreats/sintra/gift"
    assert "You left the payment page, so nothing was charged." in back.text
    voucher = only_voucher()
    assert voucher.status == GiftVoucherStatus.UNPAID
    page = browser.get(
        f"{live_site.url}/gift-vouchers/{voucher.reference}?t={purchase_token(voucher.reference)}"
    )
    assert "This voucher was not paid" in page.text
    assert voucher.shown_code not in page.text
    assert db.session.query(OutboxEmail).count() == 0


def test_a_voided_vouchers_email_is_dropped_never_sent(live_site, browser, retreat, smtp_inbox):
    pay(browser, buy_to_checkout(browser, live_site))
    wait_until(lambda: only_voucher().status == GiftVoucherStatus.ACTIVE)
    assert send_due_emails() == 1  # the receipt
    voucher = only_voucher()
    voucher.status = GiftVoucherStatus.VOID  # as the organizer's void does (another part)
    voucher.voided_at = utcnow()
    db.session.commit()
    assert send_due_emails(now=SEND_AT) == 0
    [gift_email] = db.session.query(OutboxEmail).filter_by(kind="gift_voucher").all()
    assert gift_email.status == OutboxStatus.DROPPED
    assert [m["To"] for m in smtp_inbox.wait_for(1)] == ["cleo@example.org"]


def test_two_clicks_at_the_same_moment_make_one_voucher(
    live_site, requests_session_factory, retreat
):
    buyer = requests_session_factory()
    form_url = f"{live_site.url}/retreats/sintra/gift"
    data = filled_voucher_form(buyer.get(form_url).text, day=IN_A_WEEK)
    start = threading.Barrier(2)
    answers = []

    def click():
        start.wait()
        answers.append(buyer.post(form_url, data=data, allow_redirects=False))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)
    assert [answer.status_code for answer in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    db.session.expire_all()
    assert db.session.query(GiftVoucher).count() == 1
