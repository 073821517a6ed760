"""A couple books a retreat with a deposit in a real browser: the form says what is paid today
and when the rest is due, they agree that the card be kept for the balance, pay the deposit;
the worker, told the due date (`outbox work --once --now`), charges the saved card, and the
booking's page shows it paid in full."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from retreats.booking.models import Booking, BookingStatus
from retreats.listings.models import DepositRule
from retreats.payments.models import PaymentKind, PaymentStatus
from tests.e2e.visitor import fill_person, pay_on_hosted_page
from tests.journey import PAYING_CARD

COUPLE = [("Couple (2 people)", 89_000, 2)]


def test_a_couple_pays_a_deposit_and_the_worker_charges_the_balance_on_its_due_date(
    page, audit, live_site, make_retreat, db, app, smtp_inbox
):
    retreat = make_retreat(
        starts_in=timedelta(days=90),
        deposit_rule=DepositRule.PERCENT,
        deposit_value=30,
        balance_due_days=45,
        tickets=COUPLE,
    )
    page.goto(f"/retreats/{retreat.slug}/book")
    page.get_by_role("radio", name=re.compile("Couple")).check()
    paying = page.get_by_role("group", name="Paying the balance")
    expect(paying).to_contain_text("A deposit of 30% secures your place")
    fill_person(page, "About you", name="Ada Lovelace", email="ada@example.org")
    fill_person(
        page,
        "About your partner (couple tickets only)",
        name="Bea Lovelace",
        email="bea@example.org",
    )
    paying.get_by_role("checkbox", name=re.compile("Keep my card with Stripe")).check()
    page.get_by_role("checkbox", name=re.compile("code of conduct")).check()
    audit.check("booking-form-with-a-deposit")
    page.get_by_role("button", name="Continue to payment").click()
    pay_on_hosted_page(page, live_site.stripe_url, PAYING_CARD)

    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    balance = page.locator(".balance-owed")
    expect(balance).to_contain_text("€623.00")
    expect(balance).to_contain_text("we charge it to the card you saved with the deposit")
    audit.check("confirmed-with-a-balance-due")
    db.session.expire_all()
    booking = db.session.query(Booking).one()
    assert (booking.status, booking.paid_minor, booking.balance_by_saved_card) == (
        BookingStatus.CONFIRMED,
        26_700,
        True,
    )

    # The worker, told it is the due date, charges the saved card and sends the receipt.
    due = booking.balance_due_at.strftime("%Y-%m-%dT%H:%M")
    worked = app.test_cli_runner().invoke(args=["outbox", "work", "--once", "--now", due])
    assert worked.exit_code == 0, worked.output
    assert "1 asked for (1 charged)" in worked.output

    page.reload()
    expect(page.locator(".balance-paid")).to_have_text("Paid in full")
    expect(page.get_by_role("button", name=re.compile("Pay the balance"))).to_have_count(0)
    audit.check("balance-charged")
    db.session.expire_all()
    booking = db.session.query(Booking).one()
    assert (booking.paid_minor, booking.owed_minor) == (89_000, 0)
    kinds = [(p.kind, p.status) for p in booking.payments]
    assert kinds == [
        (PaymentKind.DEPOSIT, PaymentStatus.SUCCEEDED),
        (PaymentKind.BALANCE, PaymentStatus.SUCCEEDED),
    ]
    receipt = [m for m in smtp_inbox.messages if "Your balance is paid" in m["Subject"]]
    assert len(receipt) == 1
