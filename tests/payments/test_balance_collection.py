"""The balance collects itself (booking/balance_collection.py), through the real app, the local
Stripe stand-in and a real SMTP server: the card saved with consent is charged off-session on
the due date; declined, needing authentication or never saved, the person is mailed a link that
pays exactly what is owed; reminders go once; an unpaid balance cancels after the grace period."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking import balance_collection, stripe_webhook
from retreats.booking.balance_collection import collect_balances
from retreats.booking.models import Booking, BookingStatus
from retreats.extensions import db
from retreats.listings.models import DepositRule
from retreats.notifications.sender import send_due_emails
from retreats.payments import stripe_gateway
from retreats.payments.models import Payment, PaymentKind, PaymentStatus
from retreats.payments.stripe_gateway import PaymentGatewayError
from tests.conftest import wait_until
from tests.journey import book_to_checkout, hidden_value, pay, pay_and_land

COUPLE = [("Couple (2 people)", 89_000, 2)]
DEPOSIT, BALANCE = 26_700, 62_300
DECLINED_LATER = "4000000000000341"  # saves fine, every later charge is declined
NEEDS_AUTHENTICATION = "4000002760003184"  # asks its owner to authenticate every payment
CONSENT = ("save_card_for_balance",)


def deposit_paid(live_site, browser, make_retreat, *, card="4242424242424242", ticked=CONSENT):
    """A couple booking that paid its 30 % deposit (the card saved when `ticked` says so)."""
    retreat = make_retreat(
        starts_in=timedelta(days=90),
        deposit_rule=DepositRule.PERCENT,
        deposit_value=30,
        balance_due_days=45,
        tickets=COUPLE,
    )
    paid = pay(browser, book_to_checkout(browser, live_site, retreat, ticked=ticked), card=card)
    assert paid.status_code == 303, paid.text
    assert browser.get(paid.headers["Location"]).status_code == 200
    booking = db.session.execute(select(Booking)).scalar_one()
    assert (booking.status, booking.paid_minor, booking.owed_minor) == (
        BookingStatus.CONFIRMED,
        DEPOSIT,
        BALANCE,
    )
    return booking


def the_booking(booking_id: int) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def balance_payments(booking_id: int) -> list[Payment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.booking_id == booking_id, Payment.kind == PaymentKind.BALANCE)
            .order_by(Payment.id)
        )
    )


def mails(kind: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)))


def delivered(smtp_inbox, kind_subject: str, *, now) -> str:
    """Send what is due at `now` and return the text of the one message whose subject has
    `kind_subject`."""
    send_due_emails(now=now)
    messages = [m for m in smtp_inbox.messages if kind_subject in m["Subject"]]
    assert len(messages) == 1, [m["Subject"] for m in smtp_inbox.messages]
    part = messages[0].get_body(preferencelist=("plain",))
    return part.get_content()


def test_the_saved_card_is_charged_on_the_due_date_once(
    live_site, browser, make_retreat, smtp_inbox
):
    booking = deposit_paid(live_site, browser, make_retreat)
    assert booking.balance_by_saved_card
    due = booking.balance_due_at
    # The day before, nothing is asked.
    assert collect_balances(now=due - timedelta(days=1)).asked == 0
    assert balance_payments(booking.id) == []

    result = collect_balances(now=due)

    assert (result.asked, result.charged) == (1, 1)
    (payment,) = balance_payments(booking.id)
    assert (payment.status, payment.amount_minor, payment.attempts) == (
        PaymentStatus.SUCCEEDED,
        BALANCE,
        1,
    )
    assert payment.stripe_payment_intent_id.startswith("pi_")
    assert payment.stripe_customer_id.startswith("cus_")
    assert payment.stripe_payment_method_id.startswith("pm_")
    paid = the_booking(booking.id)
    assert (paid.paid_minor, paid.owed_minor, paid.balance_asked_at) == (89_000, 0, due)
    receipt = delivered(smtp_inbox, "Your balance is paid", now=due)
    assert "charged to the card you saved with your deposit" in receipt
    # Later rounds ask for nothing more, and the reminders still queued are not sent.
    assert collect_balances(now=due + timedelta(days=30)) == collect_balances(now=due)
    assert len(balance_payments(booking.id)) == 1
    send_due_emails(now=due + timedelta(days=30))
    assert not [m for m in smtp_inbox.messages if "overdue" in m["Subject"]]
    assert {row.status for row in mails("balance_overdue")} == {OutboxStatus.DROPPED}


@pytest.mark.parametrize(
    ("card", "code", "says"),
    [
        (DECLINED_LATER, "card_declined", "the card was declined"),
        (NEEDS_AUTHENTICATION, "authentication_required", "asks you to confirm the payment"),
    ],
)
def test_a_card_that_cannot_be_charged_gets_the_link_that_pays_exactly_what_is_owed(
    live_site, browser, make_retreat, smtp_inbox, card, code, says
):
    booking = deposit_paid(live_site, browser, make_retreat, card=card)
    due = booking.balance_due_at

    result = collect_balances(now=due)

    assert (result.asked, result.charged) == (1, 0)
    (payment,) = balance_payments(booking.id)
    assert payment.status == PaymentStatus.FAILED and code in payment.note
    assert the_booking(booking.id).owed_minor == BALANCE
    failed = db.session.query(AuditEntry).filter_by(action="booking.balance_charge_failed").one()
    assert code in failed.detail
    text = delivered(smtp_inbox, "Your balance is due: pay it here", now=due)
    assert says in text and "€623.00" in text
    link = re.search(r"(http://\S+/balance\?\S+)", text).group(1)
    # A second round neither charges again nor mails again.
    collect_balances(now=due + timedelta(hours=1))
    assert len(balance_payments(booking.id)) == 1
    assert len(mails("balance_pay_link")) == 1

    pays_the_balance_by_link(browser, link, booking.id)


def pays_the_balance_by_link(browser, link: str, booking_id: int) -> None:
    """The emailed link's page, its button, Checkout: the balance paid; the link again pays
    nothing."""
    page = browser.get(link)
    assert page.status_code == 200 and "€623.00" in page.text
    tampered = browser.get(link.replace("amount=62300", "amount=100"))
    assert tampered.status_code == 400 and "pays nothing" in tampered.text
    to_checkout = browser.post(
        link.split("?")[0] + "?" + link.split("?")[1].split("&amount")[0],
        data={"csrf_token": hidden_value(page.text, "csrf_token"), "amount": "62300"},
        allow_redirects=False,
    )
    assert to_checkout.status_code == 303, to_checkout.text
    landed = pay_and_land(browser, to_checkout.headers["Location"])
    assert landed.status_code == 200 and "Paid in full" in landed.text
    assert the_booking(booking_id).owed_minor == 0
    again = browser.get(link)
    assert "Nothing is owed on this booking" in again.text and "Pay the balance" not in again.text


def test_without_consent_no_card_is_saved_and_the_link_is_mailed(
    live_site, browser, make_retreat, smtp_inbox
):
    booking = deposit_paid(live_site, browser, make_retreat, ticked=())
    assert not booking.balance_by_saved_card
    due = booking.balance_due_at
    # The reminders before the due date say to pay by the link; each goes once.
    early = delivered(smtp_inbox, "Your balance is due on", now=due - timedelta(days=14))
    assert "Pay it here" in early and "€623.00" in early
    send_due_emails(now=due - timedelta(days=14))
    assert len([m for m in smtp_inbox.messages if "balance is due on" in m["Subject"]]) == 1

    result = collect_balances(now=due)

    assert (result.asked, result.charged) == (1, 0)
    assert balance_payments(booking.id) == []  # no card: nothing was sent to Stripe
    assert len(mails("balance_pay_link")) == 1
    send_due_emails(now=due)
    pay_link_mail = [m for m in smtp_inbox.messages if "pay it here" in m["Subject"]]
    assert len(pay_link_mail) == 1


def charge_then_die(booking, *, due, card_answers: list) -> None:
    """The worker asks Stripe to charge the saved card and dies before it records the answer
    (appended to `card_answers`)."""
    real_charge = stripe_gateway.charge_saved_card

    def charge_and_die(**arguments):
        card_answers.append(real_charge(**arguments))  # Stripe answered…
        raise SystemExit("worker killed")  # …and the worker died before recording it

    balance_collection.stripe_gateway.charge_saved_card = charge_and_die
    try:
        with pytest.raises(SystemExit):
            collect_balances(now=due)
    finally:
        balance_collection.stripe_gateway.charge_saved_card = real_charge
    db.session.rollback()


@pytest.fixture
def webhook_lost(monkeypatch):
    """Stripe's events about saved-card charges reach the app but are dropped, as if lost: the
    list fills with each event's PaymentIntent as it comes."""
    arrived = []

    def drop(intent, **_):
        arrived.append(intent)
        return "lost"

    monkeypatch.setattr(stripe_webhook, "apply_off_session_report", drop)
    return arrived


def test_the_worker_killed_after_charging_records_the_charge_and_never_charges_twice(
    live_site, browser, make_retreat, webhook_lost
):
    booking = deposit_paid(live_site, browser, make_retreat)
    due = booking.balance_due_at
    charges = []
    charge_then_die(booking, due=due, card_answers=charges)
    wait_until(lambda: webhook_lost)  # Stripe told the app, and it did not hear
    (payment,) = balance_payments(booking.id)
    assert (payment.status, payment.attempts) == (PaymentStatus.OPEN, 1)
    assert charges[0].succeeded

    # The next round asks Stripe again with the same key: the same PaymentIntent, recorded.
    result = collect_balances(now=payment.retry_after)

    assert result.charged == 1
    (payment,) = balance_payments(booking.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.stripe_payment_intent_id == charges[0].payment_intent_id
    assert the_booking(booking.id).paid_minor == 89_000


def test_the_webhook_records_a_charge_whose_worker_died_and_the_next_round_asks_nothing(
    live_site, browser, make_retreat, monkeypatch
):
    booking = deposit_paid(live_site, browser, make_retreat)
    due = booking.balance_due_at
    charges = []
    charge_then_die(booking, due=due, card_answers=charges)
    assert charges[0].succeeded

    # Stripe's payment_intent.succeeded reaches the webhook, which records the money.
    wait_until(lambda: balance_payments(booking.id)[0].status == PaymentStatus.SUCCEEDED)

    (payment,) = balance_payments(booking.id)
    assert (payment.stripe_payment_intent_id, payment.amount_minor) == (
        charges[0].payment_intent_id,
        BALANCE,
    )
    assert the_booking(booking.id).owed_minor == 0
    assert len(mails("balance_received")) == 1
    asked_stripe = []
    monkeypatch.setattr(stripe_gateway, "charge_saved_card", lambda **a: asked_stripe.append(a))
    result = collect_balances(now=due + timedelta(hours=1))
    assert (result.charged, asked_stripe) == (0, [])
    assert len(mails("balance_received")) == 1


def test_the_webhook_tells_of_a_declined_charge_whose_worker_died_and_the_link_goes_once(
    live_site, browser, make_retreat
):
    booking = deposit_paid(live_site, browser, make_retreat, card=DECLINED_LATER)
    due = booking.balance_due_at
    charges = []
    charge_then_die(booking, due=due, card_answers=charges)
    assert (charges[0].succeeded, charges[0].code) == (False, "card_declined")

    wait_until(lambda: balance_payments(booking.id)[0].status == PaymentStatus.FAILED)

    (payment,) = balance_payments(booking.id)
    assert payment.stripe_payment_intent_id == charges[0].payment_intent_id
    assert "card_declined" in payment.note
    assert len(mails("balance_pay_link")) == 1
    # The failed payment is not asked again; the person pays by the link.
    assert collect_balances(now=due + timedelta(hours=1)).charged == 0
    assert len(balance_payments(booking.id)) == 1
    assert len(mails("balance_pay_link")) == 1
    assert the_booking(booking.id).owed_minor == BALANCE


def test_stripe_out_of_reach_is_asked_again_with_back_off_and_the_person_told_once(
    live_site, browser, make_retreat, monkeypatch
):
    booking = deposit_paid(live_site, browser, make_retreat)
    due = booking.balance_due_at

    def unreachable(**arguments):
        raise PaymentGatewayError("connection refused")

    monkeypatch.setattr(balance_collection.stripe_gateway, "charge_saved_card", unreachable)
    collect_balances(now=due)
    waits = []
    for _ in balance_collection.CHARGE_RETRY_WAITS:
        (payment,) = balance_payments(booking.id)
        if payment.status != PaymentStatus.OPEN:
            break
        waits.append(payment.retry_after - due)
        assert collect_balances(now=payment.retry_after - timedelta(seconds=1)).charged == 0
        collect_balances(now=payment.retry_after)
    (payment,) = balance_payments(booking.id)

    assert waits == sorted(waits) and len(set(waits)) == len(waits)  # longer each time
    assert payment.status == PaymentStatus.FAILED and "unreachable" in payment.note
    assert len(mails("balance_pay_link")) == 1
    collect_balances(now=due + timedelta(days=1))
    assert len(mails("balance_pay_link")) == 1


@pytest.mark.parametrize(("keeps_deposit", "refund"), [(True, 0), (False, DEPOSIT)])
def test_an_unpaid_balance_cancels_the_booking_after_the_grace_period(
    live_site, browser, make_retreat, smtp_inbox, keeps_deposit, refund
):
    booking = deposit_paid(live_site, browser, make_retreat, ticked=())
    retreat = booking.retreat
    retreat.overdue_keeps_deposit = keeps_deposit
    db.session.commit()
    due = booking.balance_due_at
    grace_ends = due + timedelta(days=retreat.balance_grace_days)
    collect_balances(now=due)
    overdue = delivered(smtp_inbox, "Your balance is overdue", now=due + timedelta(days=1))
    assert "€623.00" in overdue
    assert collect_balances(now=grace_ends - timedelta(minutes=1)).cancelled == 0

    assert collect_balances(now=grace_ends).cancelled == 1

    cancelled = the_booking(booking.id)
    assert cancelled.status == BookingStatus.CANCELLED
    assert [(r.reason, r.amount_minor) for r in cancelled.refunds] == (
        [("overdue", refund)] if refund else []
    )
    wait_until(lambda: all(r.stripe_refund_id for r in the_booking(booking.id).refunds))
    text = delivered(smtp_inbox, "the balance was not paid", now=grace_ends)
    assert ("the deposit is kept" in text) is keeps_deposit
    assert collect_balances(now=grace_ends + timedelta(days=1)).cancelled == 0
