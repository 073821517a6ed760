"""Balances where the organizer looks: the attendee list marks an overdue balance and filters
for it (in SQL, the same rule as balance_collection.is_overdue), the export follows the filter,
and the dashboard sums, per retreat and in its currency, what was paid, what is owed and not
yet due, and what is overdue."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from retreats.booking.balance_collection import is_overdue
from retreats.booking.models import Attendee, BookingStatus
from retreats.database import utcnow
from retreats.listings.models import DepositRule
from retreats.organizer.attendees.queries import AttendeeFilter, attendee_counts, listed_bookings
from retreats.organizer.dashboard import retreat_summaries
from retreats.payments.ledger import record_offline_payment, record_payment_refund
from tests.conftest import BOTH_DATABASES
from tests.factories import stored_booking
from tests.organizer.helpers import booking_blocks, list_page, owing_booking

PAST = -timedelta(days=2)
AHEAD = timedelta(days=20)


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """The sums are SQL: both databases."""
    return request.param


def a_mix(db, retreat) -> dict:
    """One booking of each kind that matters to "overdue", by name."""
    mix = {
        "overdue": owing_booking(db, retreat, due_in=PAST),
        "owing, not yet due": owing_booking(db, retreat, due_in=AHEAD),
        "paid in full": stored_booking(retreat),
        "cancelled past due": owing_booking(
            db, retreat, due_in=PAST, status=BookingStatus.CANCELLED
        ),
        "paid the rest in cash": owing_booking(db, retreat, due_in=PAST),
        "refunded part, still paid up": owing_booking(db, retreat, deposit=100_000, due_in=PAST),
    }
    now = utcnow()
    for name, booking in mix.items():
        booking.attendees.append(
            Attendee(name=f"Guest {name}", email=None, code_of_conduct_accepted_at=now)
        )
    record_offline_payment(mix["paid the rest in cash"], amount_minor=70_000, note="Cash", now=now)
    # A refund does not make a booking owe again: what is owed is its price less what it paid.
    (payment,) = mix["refunded part, still paid up"].payments
    record_payment_refund(payment, amount_minor=20_000, reason="goodwill", now=now)
    db.session.commit()
    return mix


def test_the_overdue_filter_lists_exactly_the_overdue_balances(db, organizer_client, make_retreat):
    retreat = make_retreat()
    mix = a_mix(db, retreat)
    overdue = mix["overdue"]

    page = list_page(organizer_client, retreat, status="overdue")

    assert set(booking_blocks(page)) == {overdue.reference}
    assert "1 booking (balance overdue)" in page
    now = utcnow()
    assert [b.reference for b in listed_bookings(retreat.id, AttendeeFilter("overdue"))] == [
        overdue.reference
    ]
    assert attendee_counts(retreat.id, AttendeeFilter("overdue")).listed_bookings == 1
    # The SQL says what is_overdue says, booking by booking.
    db.session.expire_all()
    assert {name for name, booking in mix.items() if is_overdue(booking, now=now)} == {"overdue"}


def test_the_list_marks_an_overdue_balance_and_shows_what_is_owed(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    mix = a_mix(db, retreat)

    blocks = booking_blocks(list_page(organizer_client, retreat))

    overdue = blocks[mix["overdue"].reference]
    due = mix["overdue"].balance_due_at.astimezone(retreat.zone)
    assert "Balance overdue" in overdue
    assert f"owes €700.00 (due {due.day} {due:%b %Y})" in overdue
    not_yet = blocks[mix["owing, not yet due"].reference]
    assert "owes €700.00" in not_yet and "Balance overdue" not in not_yet
    for name in ("paid in full", "paid the rest in cash", "refunded part, still paid up"):
        assert "Balance overdue" not in blocks[mix[name].reference], name
        assert "owes" not in blocks[mix[name].reference], name


def test_the_overdue_filter_is_offered_and_kept_by_the_export(db, organizer_client, make_retreat):
    retreat = make_retreat()
    mix = a_mix(db, retreat)

    page = list_page(organizer_client, retreat)
    assert '<option value="overdue">Balance overdue</option>' in page
    export = organizer_client.get(
        f"/organizer/retreats/{retreat.id}/attendees.csv", query_string={"status": "overdue"}
    )

    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.get_data().decode("utf-8-sig"), newline="")))
    assert {row["Booking"] for row in rows} == {mix["overdue"].reference}
    assert {row["Booking owed"] for row in rows} == {"700.00"}


def figures_of(page: str, title: str) -> dict[str, str]:
    """The dashboard's figures of one retreat, by their names."""
    start = page.index(f">{title}</a></h2>")
    block = page[start : page.index("</li>", start)]
    return dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(?:<a [^>]*>)?(.*?)(?:</a>)?</dd>", block))


def test_the_dashboard_sums_paid_owed_and_overdue_per_retreat_in_its_currency(
    db, organizer_client, make_retreat
):
    deposits = {"deposit_rule": DepositRule.PERCENT, "deposit_value": 30}
    euros = make_retreat(title="Euro Retreat", **deposits)
    a_mix(db, euros)
    owing_booking(db, euros, amount=50_000, deposit=10_000, due_in=AHEAD)
    overpaid = stored_booking(euros, amount=10_000)
    overpaid.payments[0].amount_minor = 12_000  # paid more than its price: owes nothing
    dollars = make_retreat(title="Dollar Retreat", currency="USD", **deposits)
    owing_booking(db, dollars, amount=20_000, deposit=5_000, due_in=PAST)
    make_retreat(title="Quiet Retreat")  # no deposit, no bookings
    db.session.commit()

    page = organizer_client.get("/organizer/").get_data(as_text=True)

    # Paid, less refunds, by bookings ever confirmed: 300 + 300 + 250 + 300 (cancelled, kept)
    # + 1000 (300 and 700 in cash) + 1000 - 200 (refunded) + 100 + 120.
    euro = figures_of(page, "Euro Retreat")
    assert euro["Revenue paid"] == "€3,170.00"
    assert euro["Balances owed, not yet due"] == "€1,100.00"  # 700 + 400
    assert euro["Balances overdue"] == "€700.00"
    dollar = figures_of(page, "Dollar Retreat")
    assert (dollar["Revenue paid"], dollar["Balances overdue"]) == ("$50.00", "$150.00")
    assert dollar["Balances owed, not yet due"] == "$0.00"
    assert "Balances overdue" not in figures_of(page, "Quiet Retreat")
    assert f'href="/organizer/retreats/{euros.id}/attendees?status=overdue"' in page


def test_refunds_do_not_count_as_owed_on_the_dashboard(db, organizer_client, make_retreat):
    retreat = make_retreat(title="Refund Retreat")
    booking = stored_booking(retreat, amount=25_000, refunded=5_000)
    assert booking.owed_minor == 0

    figures = figures_of(organizer_client.get("/organizer/").get_data(as_text=True), retreat.title)

    assert figures["Revenue paid"] == "€200.00"
    assert "Balances overdue" not in figures and "Balances owed, not yet due" not in figures


def test_the_sums_agree_with_each_booking_s_own(db, make_retreat, organizer):
    retreat = make_retreat(title="Agreeing Retreat")
    mix = a_mix(db, retreat)
    now = utcnow()
    db.session.expire_all()

    (summary,) = [s for s in retreat_summaries(organizer, now=now) if s.retreat.id == retreat.id]

    owed = {name: booking.owed_minor for name, booking in mix.items()}
    due_passed = {
        name: booking.balance_due_at is not None and booking.balance_due_at <= now
        for name, booking in mix.items()
    }
    assert summary.overdue_minor == sum(owed[n] for n in owed if due_passed[n]) == 70_000
    assert summary.outstanding_minor == sum(owed[n] for n in owed if not due_passed[n]) == 70_000
    assert summary.revenue_minor == sum(
        b.kept_minor for b in mix.values() if b.confirmed_at is not None
    )
