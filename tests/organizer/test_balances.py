"""A booking's balance on the organizer's booking page: its ledger, what is owed and by when, a
later due date (asked again then, reminders moved, audited) and payments received outside
Stripe (at most what is owed, audited); refused input is said beside its field and writes
nothing, and a booking changed meanwhile is "changed a moment ago", never a 500."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.balance_collection import is_overdue
from retreats.booking.email_schedule import BALANCE_REMINDERS, schedule_balance_reminders
from retreats.booking.models import Booking, BookingStatus
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.organizer.attendees import balances
from retreats.organizer.attendees.balances import extend_balance_due, record_offline_payment
from retreats.payments.models import Payment, PaymentKind, PaymentStatus
from tests.conftest import BOTH_DATABASES
from tests.factories import stored_booking
from tests.html_forms import form_values
from tests.organizer.helpers import audit_entries_with_action, field_error, owing_booking


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """Money and the version check: both databases."""
    return request.param


def page_url(booking) -> str:
    return f"/organizer/retreats/{booking.retreat_id}/bookings/{booking.id}"


def extend_url(booking) -> str:
    return f"{page_url(booking)}/balance-due"


def offline_url(booking) -> str:
    return f"{page_url(booking)}/offline-payments"


def submit(client, booking, action: str, **changes):
    """POST the form of the booking page that posts to `action`, as shown, with `changes`."""
    page = client.get(page_url(booking))
    assert page.status_code == 200
    return client.post(action, data=form_values(page.get_data(as_text=True), action) | changes)


def fresh(booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def local_day(booking, moment: datetime) -> date:
    return moment.astimezone(booking.retreat.zone).date()


def written(db) -> tuple:
    """What the two forms write: bookings, payments, audit entries and outbox rows."""
    db.session.expire_all()
    return tuple(
        sorted(map(repr, db.session.execute(select(model.__table__)).all()))
        for model in (Booking, Payment, AuditEntry, OutboxEmail)
    )


def reminders(booking) -> dict[str, datetime]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == booking.id,
            OutboxEmail.kind.in_(list(BALANCE_REMINDERS)),
            OutboxEmail.status == OutboxStatus.PENDING,
        )
    )
    return {row.kind: row.send_after for row in rows}


# The ledger on the booking page ---------------------------------------------------------------


def test_the_booking_page_shows_the_ledger_what_is_owed_and_when(
    db, organizer_client, make_retreat
):
    retreat = make_retreat(starts_in=timedelta(days=60))
    booking = owing_booking(db, retreat, amount=100_000, deposit=30_000, due_in=timedelta(days=9))
    booking.balance_by_saved_card = True
    db.session.add(
        Payment(
            booking=booking,
            kind=PaymentKind.BALANCE,
            status=PaymentStatus.FAILED,
            amount_minor=70_000,
            currency="EUR",
            note="charged to the card saved with the deposit; not taken: card_declined",
        )
    )
    db.session.commit()

    page = organizer_client.get(page_url(booking)).get_data(as_text=True)

    ledger = page[page.index('id="balance"') : page.index("<h2>Emails</h2>")]
    due = booking.balance_due_at.astimezone(retreat.zone)
    assert "<dt>Owed</dt>" in ledger and "€700.00" in ledger
    assert f"{due.day} {due:%b %Y}, {due:%H:%M}" in ledger
    assert "Yes: it is charged on the due date" in ledger
    assert "<td>deposit</td>" in ledger and "€300.00" in ledger and "<td>succeeded</td>" in ledger
    assert "<td>balance</td>" in ledger and "<td>failed</td>" in ledger
    assert "not taken: card_declined" in ledger
    assert "Balance overdue" not in page
    assert 'action="' + extend_url(booking) in page and 'action="' + offline_url(booking) in page


def test_an_overdue_balance_says_when_it_cancels_the_booking(db, organizer_client, make_retreat):
    retreat = make_retreat(starts_in=timedelta(days=30), balance_grace_days=5)
    booking = owing_booking(db, retreat, due_in=-timedelta(days=2))
    assert is_overdue(booking, now=utcnow())

    page = organizer_client.get(page_url(booking)).get_data(as_text=True)

    cancels = (booking.balance_due_at + timedelta(days=5)).astimezone(retreat.zone)
    assert "Balance overdue" in page
    assert f"overdue, cancels on {cancels.day} {cancels:%b %Y}, {cancels:%H:%M}" in page
    assert "No: they are sent a link to pay" in page


def test_a_booking_paid_in_full_offers_neither_form(db, organizer_client, make_retreat):
    booking = stored_booking(make_retreat())
    page = organizer_client.get(page_url(booking)).get_data(as_text=True)
    assert '<dt>Owed</dt><dd class="booking-owed">€0.00</dd>' in page
    assert extend_url(booking) not in page and offline_url(booking) not in page


# A later due date ------------------------------------------------------------------------------


def test_a_later_due_date_keeps_its_time_of_day_and_moves_the_reminders(
    db, organizer_client, organizer, make_retreat
):
    retreat = make_retreat(starts_in=timedelta(days=90), timezone="America/New_York")
    booking = owing_booking(db, retreat, due_in=timedelta(days=20))
    schedule_balance_reminders(booking, now=utcnow())
    db.session.commit()
    old_due = booking.balance_due_at
    new_day = local_day(booking, old_due) + timedelta(days=10)

    response = submit(organizer_client, booking, extend_url(booking), due_on=new_day.isoformat())

    assert response.status_code == 303
    assert response.headers["Location"].endswith(page_url(booking) + "#balance")
    moved = fresh(booking)
    local_new, local_old = (m.astimezone(retreat.zone) for m in (moved.balance_due_at, old_due))
    assert local_new.date() == new_day
    assert local_new.time() == local_old.time()
    assert moved.balance_asked_at is None
    assert reminders(booking) == {
        kind: moved.balance_due_at + offset for kind, offset in BALANCE_REMINDERS.items()
    }
    (entry,) = audit_entries_with_action(db, "booking.balance_due_extended")
    old_day = local_day(booking, old_due)
    assert (entry.actor_id, entry.booking_id) == (organizer.id, booking.id)
    assert entry.detail == (f"{old_day.day} {old_day:%b %Y} → {new_day.day} {new_day:%b %Y}")
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is now due by" in page


def test_an_overdue_balance_given_more_time_is_asked_for_again(db, organizer_client, make_retreat):
    retreat = make_retreat(starts_in=timedelta(days=30))
    booking = owing_booking(db, retreat, due_in=-timedelta(days=2))
    booking.balance_asked_at = booking.balance_due_at
    db.session.commit()
    new_day = local_day(booking, utcnow()) + timedelta(days=5)

    response = submit(organizer_client, booking, extend_url(booking), due_on=new_day.isoformat())

    assert response.status_code == 303
    moved = fresh(booking)
    assert moved.balance_asked_at is None
    assert not is_overdue(moved, now=utcnow())
    assert local_day(booking, moved.balance_due_at) == new_day
    assert "Balance overdue" not in organizer_client.get(page_url(booking)).get_data(as_text=True)


def wrong_dates(booking) -> list[tuple[str, str]]:
    today = local_day(booking, utcnow())
    starts = booking.retreat.local_starts_at.date()
    due = local_day(booking, booking.balance_due_at)
    return [
        ("", "Please choose the new due date."),
        ("someday", "Not a valid date value."),
        ("2027-02-30", "Not a valid date value."),
        (today.isoformat(), "Choose a date after today."),
        ((today - timedelta(days=3)).isoformat(), "Choose a date after today."),
        (due.isoformat(), "Choose a date after the current due date"),
        ((starts + timedelta(days=1)).isoformat(), "Choose a date before the retreat starts"),
        ("9999-12-31", "Choose a date before the retreat starts"),
    ]


def test_a_wrong_date_is_refused_beside_the_field_and_nothing_is_written(
    db, organizer_client, make_retreat
):
    retreat = make_retreat(starts_in=timedelta(days=30), timezone="Pacific/Honolulu")
    booking = owing_booking(db, retreat, due_in=timedelta(days=10))
    before = written(db)
    for typed, message in wrong_dates(booking):
        response = submit(organizer_client, booking, extend_url(booking), due_on=typed)
        assert response.status_code in (400, 422), typed
        error = field_error(response.get_data(as_text=True), "due_on")
        assert error and message in error, (typed, error)
        assert written(db) == before, typed


def test_a_due_date_on_the_start_day_after_the_start_time_is_refused(
    db, organizer_client, make_retreat
):
    zone = ZoneInfo("Europe/Lisbon")
    start_day = utcnow().astimezone(zone).date() + timedelta(days=30)
    starts_at = datetime.combine(start_day, time(10), tzinfo=zone).astimezone(UTC)
    retreat = make_retreat(starts_at=starts_at, ends_at=starts_at + timedelta(days=2))
    booking = owing_booking(db, retreat)
    # Due at 23:00 on the retreat's clock: on the start day, that is after the 10:00 start.
    booking.balance_due_at = datetime.combine(
        start_day - timedelta(days=20), time(23), tzinfo=zone
    ).astimezone(UTC)
    db.session.commit()
    local_start = retreat.local_starts_at

    response = submit(
        organizer_client, booking, extend_url(booking), due_on=local_start.date().isoformat()
    )

    assert "Choose a date before the retreat starts" in field_error(response.text, "due_on")


def test_a_page_shown_before_the_booking_changed_is_told_so(db, organizer_client, make_retreat):
    booking = owing_booking(db, make_retreat(starts_in=timedelta(days=60)))
    page = organizer_client.get(page_url(booking)).get_data(as_text=True)
    shown = form_values(page, extend_url(booking))
    booking.room_label = "Olive 2"  # someone else's change: a new version
    db.session.commit()
    before = written(db)
    new_day = local_day(booking, booking.balance_due_at) + timedelta(days=3)

    response = organizer_client.post(
        extend_url(booking), data=shown | {"due_on": new_day.isoformat()}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "This booking changed a moment ago. Please look again." in response.text
    assert written(db) == before


def bump_version_meanwhile(booking_id: int, **values) -> None:
    """Another transaction changes the booking and commits, between our read and our write."""
    bookings = Booking.__table__
    with db.engine.begin() as other:
        other.execute(
            update(bookings)
            .where(bookings.c.id == booking_id)
            .values(version=bookings.c.version + 1, **values)
        )


def test_a_change_committed_during_the_extension_wins_and_nothing_is_written(
    db, organizer, make_retreat, monkeypatch
):
    booking = owing_booking(db, make_retreat(starts_in=timedelta(days=60)))
    schedule = balances.schedule_balance_reminders

    def worker_asks_first(booking, **options):
        bump_version_meanwhile(booking.id, balance_asked_at=utcnow())
        return schedule(booking, **options)

    monkeypatch.setattr(balances, "schedule_balance_reminders", worker_asks_first)
    old_due = booking.balance_due_at
    with pytest.raises(DomainError, match="changed a moment ago"):
        extend_balance_due(
            booking_id=booking.id,
            actor_id=organizer.id,
            due_on=local_day(booking, old_due) + timedelta(days=3),
            version=booking.version,
        )

    assert fresh(booking).balance_due_at == old_due
    assert audit_entries_with_action(db, "booking.balance_due_extended") == []


def test_the_due_date_stays_while_the_saved_card_is_being_charged(
    db, organizer_client, make_retreat
):
    booking = owing_booking(db, make_retreat(starts_in=timedelta(days=60)))
    db.session.add(
        Payment(
            booking=booking,
            kind=PaymentKind.BALANCE,
            status=PaymentStatus.OPEN,
            amount_minor=70_000,
            currency="EUR",
        )
    )
    db.session.commit()
    before = written(db)
    new_day = local_day(booking, booking.balance_due_at) + timedelta(days=3)

    response = submit(organizer_client, booking, extend_url(booking), due_on=new_day.isoformat())

    assert response.status_code == 303
    landing = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "being charged right now" in landing
    assert written(db) == before


# Payments received outside Stripe --------------------------------------------------------------


def test_a_bank_transfer_is_recorded_and_what_is_owed_goes_down(
    db, organizer_client, organizer, make_retreat
):
    booking = owing_booking(db, make_retreat(), amount=100_000, deposit=30_000)
    assert booking.owed_minor == 70_000

    response = submit(
        organizer_client,
        booking,
        offline_url(booking),
        amount="250.50",
        note="  Bank transfer, reference SLOW-7  ",
    )

    assert response.status_code == 303
    paid = fresh(booking)
    offline = [p for p in paid.payments if p.kind == PaymentKind.OFFLINE]
    assert [(p.status, p.amount_minor, p.currency, p.note) for p in offline] == [
        (PaymentStatus.SUCCEEDED, 25_050, "EUR", "Bank transfer, reference SLOW-7")
    ]
    assert offline[0].created_at == offline[0].succeeded_at is not None
    assert (paid.paid_minor, paid.owed_minor) == (55_050, 44_950)
    (entry,) = audit_entries_with_action(db, "booking.offline_payment")
    assert (entry.actor_id, entry.booking_id) == (organizer.id, booking.id)
    assert entry.detail == "€250.50: Bank transfer, reference SLOW-7"
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "€250.50 received is on the ledger" in page and "it still owes €449.50" in page
    assert "<td>offline</td>" in page and "Bank transfer, reference SLOW-7" in page


def test_paying_all_that_is_owed_in_cash_ends_the_overdue_balance(
    db, organizer_client, make_retreat
):
    booking = owing_booking(db, make_retreat(), due_in=-timedelta(days=1))
    assert is_overdue(booking, now=utcnow())

    response = submit(organizer_client, booking, offline_url(booking), amount="700", note="Cash")

    assert response.status_code == 303
    paid = fresh(booking)
    assert (paid.owed_minor, is_overdue(paid, now=utcnow())) == (0, False)
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "paid in full" in page and "Balance overdue" not in page
    assert offline_url(booking) not in page  # nothing more to record


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("amount", "700.01", "more than the €700.00 this booking owes"),
        ("amount", "1000", "more than the €700.00 this booking owes"),
        ("amount", "0", "more than nothing"),
        ("amount", "-5", "cannot be negative"),
        ("amount", "seven", "Enter the amount as a number"),
        ("amount", "1.234", "Enter the amount as a number"),
        ("amount", "", "Enter the amount received."),
        ("note", "", "Say how the money came"),
        ("note", "   ", "Say how the money came"),
        ("note", "x" * 501, "At most 500 characters"),
    ],
)
def test_a_wrong_payment_is_refused_beside_its_field_and_nothing_is_written(
    db, organizer_client, make_retreat, field, typed, message
):
    booking = owing_booking(db, make_retreat(), amount=100_000, deposit=30_000)
    before = written(db)
    values = {"amount": "100", "note": "Bank transfer"} | {field: typed}

    response = submit(organizer_client, booking, offline_url(booking), **values)

    assert response.status_code in (400, 422)
    error = field_error(response.get_data(as_text=True), field)
    assert error and message in error, error
    assert written(db) == before


def test_the_same_page_cannot_record_twice(db, organizer_client, make_retreat):
    booking = owing_booking(db, make_retreat())
    page = organizer_client.get(page_url(booking)).get_data(as_text=True)
    shown = form_values(page, offline_url(booking)) | {"amount": "400", "note": "Cash"}

    first = organizer_client.post(offline_url(booking), data=shown)
    second = organizer_client.post(offline_url(booking), data=shown, follow_redirects=True)

    assert first.status_code == 303
    assert "This booking changed a moment ago" in second.text
    assert fresh(booking).owed_minor == 30_000
    assert len(audit_entries_with_action(db, "booking.offline_payment")) == 1


def test_a_balance_arriving_during_the_recording_wins_and_nothing_is_written(
    db, organizer, make_retreat, monkeypatch
):
    booking = owing_booking(db, make_retreat())
    record = balances.ledger.record_offline_payment

    def balance_arrives_first(booking, **options):
        bump_version_meanwhile(booking.id)
        return record(booking, **options)

    monkeypatch.setattr(balances.ledger, "record_offline_payment", balance_arrives_first)
    with pytest.raises(DomainError, match="changed a moment ago"):
        record_offline_payment(
            booking_id=booking.id,
            actor_id=organizer.id,
            amount_minor=10_000,
            note="Cash",
            version=booking.version,
        )

    assert fresh(booking).owed_minor == 70_000
    assert audit_entries_with_action(db, "booking.offline_payment") == []


def test_nothing_is_recorded_on_a_booking_that_owes_nothing(db, organizer_client, make_retreat):
    paid = stored_booking(make_retreat())
    cancelled = owing_booking(db, make_retreat(), status=BookingStatus.CANCELLED)
    token_page = owing_booking(db, make_retreat())
    shown = form_values(
        organizer_client.get(page_url(token_page)).get_data(as_text=True), offline_url(token_page)
    )
    before = written(db)
    for booking in (paid, cancelled):
        response = organizer_client.post(
            offline_url(booking),
            data=shown | {"amount": "10", "note": "Cash", "version": str(booking.version)},
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert "owes nothing (any longer), so nothing was recorded" in response.text
        extended = organizer_client.post(
            extend_url(booking),
            data=shown | {"due_on": "2099-01-01", "version": str(booking.version)},
            follow_redirects=True,
        )
        assert "has a due date to move; this one" in extended.text
    assert written(db) == before


# Someone else's booking ------------------------------------------------------------------------


def test_another_organizer_can_neither_extend_nor_record(
    db, organizer_client, make_retreat, sign_in, other_organizer
):
    booking = owing_booking(db, make_retreat(starts_in=timedelta(days=60)))
    shown = form_values(
        organizer_client.get(page_url(booking)).get_data(as_text=True), offline_url(booking)
    )
    stranger = sign_in(other_organizer)
    token = form_values(
        stranger.get("/organizer/retreats/new").get_data(as_text=True), "/organizer/retreats/new"
    )["csrf_token"]
    own_retreat = make_retreat(organizer=other_organizer)
    values = shown | {
        "csrf_token": token,
        "amount": "100",
        "note": "Taken over",
        "due_on": (local_day(booking, booking.balance_due_at) + timedelta(days=3)).isoformat(),
    }
    before = written(db)
    for url in (
        extend_url(booking),
        offline_url(booking),
        # B's own retreat with A's booking in the address.
        f"/organizer/retreats/{own_retreat.id}/bookings/{booking.id}/balance-due",
        f"/organizer/retreats/{own_retreat.id}/bookings/{booking.id}/offline-payments",
    ):
        assert stranger.post(url, data=values).status_code == 404, url
    assert written(db) == before
