"""Deposits: a booking made early enough pays the retreat's deposit through Checkout and owes
the balance by its due date; one made later, or whose deposit would be all of it, pays in full.
The plan is kept on the booking, the ledger records the deposit, and the pages say what is
paid and what is due when."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from retreats.booking.checkout import checkout_lines
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.payment_plan import balance_due_at, deposit_rule_in_words, payment_plan
from retreats.booking.services import Payment as StripeSays
from retreats.booking.services import PaymentMismatch, confirm_booking
from retreats.database import utcnow
from retreats.extensions import db
from retreats.listings.models import DepositRule
from retreats.payments.models import Payment, PaymentKind, PaymentStatus
from retreats.payments.stripe_gateway import retrieve_checkout_session
from tests.factories import attendee, held_booking
from tests.journey import book_to_checkout, pay_and_land

COUPLE = [("Couple (2 people)", 89_000, 2)]


def with_deposit(make_retreat, rule=DepositRule.PERCENT, value=30, days=45, **options):
    return make_retreat(
        starts_in=timedelta(days=90),
        deposit_rule=rule,
        deposit_value=value,
        balance_due_days=days,
        **options,
    )


def test_the_plan_follows_the_retreat_s_rule(db, make_retreat):
    now = utcnow()
    percent = with_deposit(make_retreat, value=30)
    plan = payment_plan(percent, total_minor=89_001, people=2, now=now)
    # Rounded up: never a fraction of a cent short of the rule.
    assert (plan.today_minor, plan.balance_minor) == (26_701, 62_300)
    assert plan.balance_due_at == percent.starts_at - timedelta(days=45)

    per_person = with_deposit(make_retreat, rule=DepositRule.PER_PERSON, value=15_000)
    assert payment_plan(per_person, total_minor=89_000, people=2, now=now).today_minor == 30_000
    # A deposit that would be all of it, or nothing to pay: in full.
    assert not payment_plan(per_person, total_minor=25_000, people=2, now=now).has_deposit
    assert not payment_plan(percent, total_minor=0, people=1, now=now).has_deposit
    # Booked inside the balance window: in full.
    late = balance_due_at(percent) + timedelta(minutes=1)
    assert payment_plan(percent, total_minor=89_000, people=2, now=late).today_minor == 89_000
    assert not payment_plan(make_retreat(), total_minor=89_000, people=2, now=now).has_deposit


def test_the_rule_in_words(db, make_retreat):
    percent = with_deposit(make_retreat, value=30, days=45)
    assert deposit_rule_in_words(percent, money=str) == (
        "A deposit of 30% secures your place; the balance is due 45 days before the start. "
        "Booking later than that, you pay in full. A balance still unpaid 7 days after it was "
        "due cancels the booking, and the deposit is kept."
    )
    percent.balance_grace_days, percent.overdue_keeps_deposit = 0, False
    assert deposit_rule_in_words(percent, money=str).endswith(
        "A balance unpaid when due cancels the booking, and it is refunded."
    )
    assert deposit_rule_in_words(make_retreat(), money=str) == ""


def test_a_hold_keeps_its_plan_and_checkout_charges_the_deposit(db, make_retreat):
    retreat = with_deposit(make_retreat, tickets=COUPLE)
    booking = held_booking(retreat, attendee("a@example.org", "A"), attendee("b@example.org", "B"))

    assert (booking.deposit_minor, booking.balance_due_at) == (26_700, balance_due_at(retreat))
    # A later change of the rule does not change what this booking agreed to.
    retreat.deposit_value = 50
    db.session.commit()
    db.session.refresh(booking)
    assert booking.deposit_minor == 26_700
    (line,) = checkout_lines(booking)
    assert (line.unit_amount_minor, line.quantity) == (26_700, 1)
    assert "deposit" in line.name and "€623.00" in line.name  # the balance, named


def test_confirming_takes_the_deposit_and_leaves_the_balance_owed(db, make_retreat):
    retreat = with_deposit(make_retreat, tickets=COUPLE)
    booking = held_booking(retreat, attendee("a@example.org", "A"), attendee("b@example.org", "B"))

    with pytest.raises(PaymentMismatch):  # the whole price is not what this session asked
        confirm_booking(booking_id=booking.id, payment=StripeSays("cs_x", "pi_x", 89_000, "EUR"))
    confirmed = confirm_booking(
        booking_id=booking.id, payment=StripeSays("cs_d", "pi_d", 26_700, "EUR")
    )

    assert confirmed.status == BookingStatus.CONFIRMED
    assert (confirmed.paid_minor, confirmed.owed_minor) == (26_700, 62_300)


def test_a_booking_with_a_deposit_pays_it_through_checkout_and_sees_the_balance(
    live_site, browser, make_retreat
):
    retreat = with_deposit(make_retreat, tickets=COUPLE)
    form = browser.get(f"{live_site.url}/retreats/{retreat.slug}/book")
    assert "A deposit of 30% secures your place" in form.text

    pay_page = book_to_checkout(browser, live_site, retreat, retreat.ticket_types[0])
    booking = db.session.execute(select(Booking)).scalar_one()
    session = retrieve_checkout_session(booking.checkout_session_id)
    assert (session.amount_total, session.currency) == (26_700, "EUR")
    (asked,) = booking.payments
    assert (asked.kind, asked.status, asked.amount_minor) == (
        PaymentKind.DEPOSIT,
        PaymentStatus.OPEN,
        26_700,
    )

    page = pay_and_land(browser, pay_page)

    assert page.status_code == 200
    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.paid_minor, booking.owed_minor) == (26_700, 62_300)
    paid = db.session.scalars(select(Payment).where(Payment.booking_id == booking.id)).one()
    assert paid.status == PaymentStatus.SUCCEEDED and paid.stripe_payment_intent_id
    due_on = booking.balance_due_at.astimezone(retreat.zone)
    assert "€267.00 (the deposit)" in page.text
    assert f"€623.00, due by {due_on:%a} {due_on.day} {due_on:%b %Y}" in page.text


def test_the_organizer_sees_the_deposit_paid_and_the_balance_owed(
    db, make_retreat, organizer_client
):
    retreat = with_deposit(make_retreat, tickets=COUPLE)
    booking = held_booking(retreat, attendee("a@example.org", "A"), attendee("b@example.org", "B"))
    confirm_booking(booking_id=booking.id, payment=StripeSays("cs_d", "pi_d", 26_700, "EUR"))

    page = organizer_client.get(f"/organizer/retreats/{retreat.id}/bookings/{booking.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "€267.00; balance due by" in text and "owed now: €623.00" in text
    dashboard = organizer_client.get("/organizer/").get_data(as_text=True)
    assert "Balances owed" in dashboard and "€623.00" in dashboard
    export = organizer_client.get(f"/organizer/retreats/{retreat.id}/attendees.csv")
    rows = list(csv.DictReader(io.StringIO(export.get_data().decode("utf-8-sig"), newline="")))
    assert {(r["Booking total"], r["Booking paid"], r["Booking owed"]) for r in rows} == {
        ("890.00", "267.00", "623.00")
    }
