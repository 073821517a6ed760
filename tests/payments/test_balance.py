"""Paying the balance from the manage page: a Checkout Session for exactly what is owed, the
same one while it is open, recorded once on the ledger; money that is not owed goes back."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from retreats.base.audit import AuditEntry
from retreats.booking.balance import apply_balance_session
from retreats.booking.models import Booking
from retreats.extensions import db
from retreats.listings.models import DepositRule
from retreats.payments.models import Payment, PaymentKind, PaymentStatus, Refund
from retreats.payments.stripe_gateway import retrieve_checkout_session
from tests.conftest import wait_until
from tests.journey import book_to_checkout, hidden_value, pay, pay_and_land

COUPLE = [("Couple (2 people)", 89_000, 2)]


def deposit_paid(live_site, browser, make_retreat) -> tuple[Booking, str]:
    """A couple booking that paid its 30 % deposit; its manage page's URL."""
    retreat = make_retreat(
        starts_in=timedelta(days=90),
        deposit_rule=DepositRule.PERCENT,
        deposit_value=30,
        balance_due_days=45,
        tickets=COUPLE,
    )
    landed = pay_and_land(browser, book_to_checkout(browser, live_site, retreat))
    assert landed.status_code == 200
    booking = db.session.execute(select(Booking)).scalar_one()
    return booking, landed.url


def press_pay_the_balance(browser, manage_url: str):
    page = browser.get(manage_url)
    assert "Pay the balance (€623.00)" in page.text
    action = re.search(r'<form method="post" action="([^"]*/balance[^"]*)"', page.text)
    assert action, "no balance form on the page"
    url = live_url(manage_url, action.group(1).replace("&amp;", "&"))
    token = hidden_value(page.text, "csrf_token")
    return browser.post(url, data={"csrf_token": token}, allow_redirects=False)


def live_url(page_url: str, path: str) -> str:
    return page_url.split("/bookings/")[0] + path


def the_booking(booking_id: int) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def test_the_balance_is_paid_from_the_manage_page_for_exactly_what_is_owed(
    live_site, browser, make_retreat
):
    booking, manage_url = deposit_paid(live_site, browser, make_retreat)

    to_checkout = press_pay_the_balance(browser, manage_url)
    assert to_checkout.status_code == 303, to_checkout.text
    pay_page = to_checkout.headers["Location"]
    assert pay_page.startswith(f"{live_site.stripe_url}/checkout/pay/cs_")
    # Pressed again (or in another tab) while it is open: the same session, no second one.
    again = press_pay_the_balance(browser, manage_url)
    assert again.headers["Location"] == pay_page
    balance = db.session.scalars(select(Payment).where(Payment.kind == PaymentKind.BALANCE)).one()
    session = retrieve_checkout_session(balance.stripe_checkout_session_id)
    assert (session.amount_total, balance.amount_minor) == (62_300, 62_300)

    landed = pay_and_land(browser, pay_page)

    assert landed.status_code == 200
    paid = the_booking(booking.id)
    assert (paid.paid_minor, paid.owed_minor) == (89_000, 0)
    assert "Paid in full" in landed.text and "Pay the balance" not in landed.text
    # The webhook follows and records nothing twice.
    wait_until(
        lambda: db.session.query(AuditEntry).filter_by(action="booking.balance_paid").count()
    )
    assert db.session.query(AuditEntry).filter_by(action="booking.balance_paid").count() == 1
    assert the_booking(booking.id).paid_minor == 89_000
    # Nothing owed now: the route says so instead of opening a session.
    token = manage_url.split("t=")[1]
    refused = browser.post(
        live_url(manage_url, f"/bookings/{booking.reference}/balance?t={token}"),
        data={"csrf_token": hidden_value(browser.get(manage_url).text, "csrf_token")},
    )
    assert "Nothing is owed on this booking" in refused.text


def test_a_balance_paid_twice_gives_the_second_payment_back(live_site, browser, make_retreat):
    booking, manage_url = deposit_paid(live_site, browser, make_retreat)
    first = press_pay_the_balance(browser, manage_url).headers["Location"]
    # A second session for the same balance, as two tabs racing could open.
    open_payment = db.session.scalars(
        select(Payment).where(Payment.kind == PaymentKind.BALANCE)
    ).one()
    open_payment.amount_minor = 1  # no longer matches what is owed: the next press opens anew
    db.session.commit()
    second = press_pay_the_balance(browser, manage_url).headers["Location"]
    assert second != first

    assert pay(browser, first).status_code == 303
    assert pay(browser, second).status_code == 303
    wait_until(lambda: db.session.query(Refund).count() == 1)

    paid = the_booking(booking.id)
    (refund,) = paid.refunds
    assert (refund.reason, refund.amount_minor) == ("balance_not_owed", 62_300)
    assert refund.payment.kind == PaymentKind.BALANCE
    assert (paid.paid_minor - paid.refunded_minor, paid.owed_minor) == (89_000, 0)
    statuses = sorted(p.status for p in paid.payments if p.kind == PaymentKind.BALANCE)
    assert statuses == [PaymentStatus.SUCCEEDED, PaymentStatus.SUCCEEDED]
    # Stripe's events and the success pages, however often, change nothing more.
    for payment in paid.payments:
        apply_balance_session(retrieve_checkout_session(payment.stripe_checkout_session_id))
    assert db.session.query(Refund).count() == 1
