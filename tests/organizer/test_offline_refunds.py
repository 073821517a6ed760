"""Money paid outside Stripe, seen from both sides: the person gets a receipt for each payment
the organizer records (once), and when such a booking is cancelled the organizer sees the part
to return by hand on the booking page and the dashboard, marks it returned with a note of how
(audited; refused input said beside the field, nothing written), and the person's page says
who returns it and when it was done. Someone else's refund is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail
from retreats.base.tokens import hash_token
from retreats.booking.cancellation import cancel_booking
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.notices import queue_payment_receipt
from retreats.booking.tokens import booking_token
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.notifications.messages import build_message
from retreats.notifications.sender import send_due_emails
from retreats.organizer.attendees.actions import RefundChoice, cancel_booking_for_attendee
from retreats.organizer.attendees.balances import mark_refund_returned
from retreats.payments import ledger, refunds
from retreats.payments.models import Payment, PaymentKind, Refund, RefundStatus
from tests.conftest import BOTH_DATABASES
from tests.html_forms import form_values
from tests.organizer.helpers import audit_entries_with_action, field_error, owing_booking


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """Money and the version check: both databases."""
    return request.param


@pytest.fixture(autouse=True)
def stripe_takes_refunds(monkeypatch) -> list[str]:
    """Stripe takes every refund it is asked for (the card part of a cancellation)."""
    asked: list[str] = []

    def refund_payment(**request) -> str:
        asked.append(request["payment_intent_id"])
        return f"re_fake_{len(asked)}"

    monkeypatch.setattr(refunds, "refund_payment", refund_payment)
    return asked


def page_url(booking) -> str:
    return f"/organizer/retreats/{booking.retreat_id}/bookings/{booking.id}"


def returned_url(booking, refund_id: int, retreat_id: int | None = None) -> str:
    retreat_id = booking.retreat_id if retreat_id is None else retreat_id
    return f"/organizer/retreats/{retreat_id}/bookings/{booking.id}/refunds/{refund_id}/returned"


def manage_url(booking) -> str:
    return f"/bookings/{booking.reference}?t={booking_token(booking.reference)}"


def cancelled_after_a_bank_transfer(db, retreat, organizer) -> tuple[Booking, Refund]:
    """A €1,000 booking that paid a €300 deposit by card and €500 by bank transfer, then was
    cancelled by the organizer with everything refunded: the €500 is to be returned by hand."""
    booking = owing_booking(db, retreat, amount=100_000, deposit=30_000)
    booking.token_hash = hash_token(booking_token(booking.reference))  # its manage link works
    ledger.record_offline_payment(booking, amount_minor=50_000, note="Bank transfer", now=utcnow())
    db.session.commit()
    cancel_booking_for_attendee(
        booking_id=booking.id, actor_id=organizer.id, refund=RefundChoice.FULL
    )
    db.session.expire_all()
    (by_hand,) = db.session.scalars(
        select(Refund).where(
            Refund.booking_id == booking.id, Refund.status == RefundStatus.BY_ORGANIZER
        )
    )
    return db.session.get(Booking, booking.id), by_hand


def written(db) -> tuple:
    """What marking a refund returned writes: bookings, refunds and audit entries."""
    db.session.expire_all()
    return tuple(
        sorted(map(repr, db.session.execute(select(model.__table__)).all()))
        for model in (Booking, Refund, AuditEntry, OutboxEmail)
    )


def submit_returned(client, booking, refund, **changes):
    """POST the refund's "returned" form as the booking page shows it, with `changes`."""
    page = client.get(page_url(booking)).get_data(as_text=True)
    action = returned_url(booking, refund.id)
    return client.post(action, data=form_values(page, action) | changes)


# To return by hand, and marked returned ------------------------------------------------------


def test_both_pages_say_who_returns_the_offline_part(
    db, client, organizer_client, make_retreat, organizer
):
    booking, refund = cancelled_after_a_bank_transfer(db, make_retreat(), organizer)

    page = organizer_client.get(page_url(booking)).get_data(as_text=True)
    row = page[page.index(f'<tr id="refund-{refund.id}">') :]
    row = row[: row.index("</tr>")]
    assert "€500.00" in row and "to return yourself (paid offline)" in row
    assert f'action="{returned_url(booking, refund.id)}"' in row and "Mark as returned" in row
    assert f'id="refund-{refund.id}-note"' in row
    assert "€500.00 of it still to return yourself" in page
    assert "<dt>Refunded</dt><dd>€800.00" in page  # the sums count both parts

    theirs = client.get(manage_url(booking)).get_data(as_text=True)
    assert (
        "€500.00 to be returned to you by the organizer, the way you paid them (you paid it "
        "outside the card payment)." in theirs
    )
    assert "€300.00:\n    sent back to your card on" in theirs


def test_marking_it_returned_records_how_and_when_and_is_audited(
    db, client, organizer_client, make_retreat, organizer
):
    retreat = make_retreat()
    booking, refund = cancelled_after_a_bank_transfer(db, retreat, organizer)

    response = submit_returned(organizer_client, booking, refund, note="  Bank transfer 3 Dec  ")

    assert response.status_code == 303
    assert response.headers["Location"].endswith(page_url(booking) + "#refunds")
    db.session.expire_all()
    returned = db.session.get(Refund, refund.id)
    assert (returned.status, returned.note) == (RefundStatus.SUCCEEDED, "Bank transfer 3 Dec")
    assert returned.succeeded_at is not None and returned.payment_intent_id is None
    assert db.session.get(Booking, booking.id).refunded_minor == 80_000  # the sums stay
    (entry,) = audit_entries_with_action(db, "booking.offline_refund_returned")
    assert (entry.actor_id, entry.retreat_id, entry.booking_id) == (
        organizer.id,
        retreat.id,
        booking.id,
    )
    assert entry.detail == "€500.00: Bank transfer 3 Dec"

    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "€500.00 is marked returned to Ada." in page
    assert "returned by you on" in page and "Bank transfer 3 Dec" in page
    assert returned_url(booking, refund.id) not in page
    assert "to return yourself" not in page
    day = returned.succeeded_at.astimezone(retreat.zone)
    theirs = client.get(manage_url(booking)).get_data(as_text=True)
    assert f"€500.00: returned by the organizer on {day:%-d %B %Y}." in theirs
    assert "to be returned to you by the organizer" not in theirs


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Say how you returned it"),
        ("   ", "Say how you returned it"),
        ("x" * 501, "At most 500 characters"),
    ],
)
def test_a_missing_or_long_note_is_refused_beside_the_field_and_nothing_is_written(
    db, organizer_client, make_retreat, organizer, typed, message
):
    booking, refund = cancelled_after_a_bank_transfer(db, make_retreat(), organizer)
    before = written(db)

    response = submit_returned(organizer_client, booking, refund, note=typed)

    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), f"refund-{refund.id}-note")
    assert error and message in error, error
    assert written(db) == before


def test_the_service_refuses_a_blank_note_beside_its_field(db, make_retreat, organizer):
    booking, refund = cancelled_after_a_bank_transfer(db, make_retreat(), organizer)
    before = written(db)
    with pytest.raises(DomainError, match="Say how you returned the money") as refused:
        mark_refund_returned(
            booking_id=booking.id,
            refund_id=refund.id,
            actor_id=organizer.id,
            note=" \n ",
            version=booking.version,
        )
    assert refused.value.field == "note"
    assert written(db) == before


def test_a_refund_returned_already_is_said_so_and_nothing_changes(
    db, organizer_client, make_retreat, organizer
):
    retreat = make_retreat()
    booking, refund = cancelled_after_a_bank_transfer(db, retreat, organizer)
    page = organizer_client.get(page_url(booking)).get_data(as_text=True)
    shown = form_values(page, returned_url(booking, refund.id))
    first = organizer_client.post(returned_url(booking, refund.id), data=shown | {"note": "Cash"})
    assert first.status_code == 303
    before = written(db)
    current = {"version": str(db.session.get(Booking, booking.id).version)}

    for values in (shown, shown | current):  # the page as it was, and with the new version
        again = organizer_client.post(
            returned_url(booking, refund.id),
            data=values | {"note": "Cash, again"},
            follow_redirects=True,
        )
        assert again.status_code == 200
        day = db.session.get(Refund, refund.id).succeeded_at.astimezone(retreat.zone)
        assert (
            f"This refund was already marked returned on {day.day} {day:%b %Y}; nothing was "
            "changed." in again.text
        )
        assert written(db) == before
    assert len(audit_entries_with_action(db, "booking.offline_refund_returned")) == 1


def test_a_refund_through_stripe_cannot_be_marked_returned_by_hand(
    db, organizer_client, make_retreat, organizer
):
    booking, refund = cancelled_after_a_bank_transfer(db, make_retreat(), organizer)
    (by_card,) = [r for r in booking.refunds if r.id != refund.id]
    page = organizer_client.get(page_url(booking)).get_data(as_text=True)
    shown = form_values(page, returned_url(booking, refund.id))
    before = written(db)

    response = organizer_client.post(
        returned_url(booking, by_card.id), data=shown | {"note": "Cash"}, follow_redirects=True
    )

    assert "goes back to the card through Stripe, not by hand" in response.text
    assert written(db) == before


def test_a_page_shown_before_the_booking_changed_is_told_so(
    db, organizer_client, make_retreat, organizer
):
    booking, refund = cancelled_after_a_bank_transfer(db, make_retreat(), organizer)
    page = organizer_client.get(page_url(booking)).get_data(as_text=True)
    shown = form_values(page, returned_url(booking, refund.id))
    booking.room_label = "Olive 2"  # someone else's change: a new version
    db.session.commit()
    before = written(db)

    response = organizer_client.post(
        returned_url(booking, refund.id), data=shown | {"note": "Cash"}, follow_redirects=True
    )

    assert "This booking changed a moment ago. Please look again." in response.text
    assert written(db) == before


def test_someone_elses_refund_is_not_found(
    db, organizer_client, make_retreat, organizer, sign_in, other_organizer
):
    booking, refund = cancelled_after_a_bank_transfer(db, make_retreat(), organizer)
    other_booking, other_refund = cancelled_after_a_bank_transfer(db, make_retreat(), organizer)
    shown = form_values(
        organizer_client.get(page_url(booking)).get_data(as_text=True),
        returned_url(booking, refund.id),
    ) | {"note": "Taken over"}
    stranger = sign_in(other_organizer)
    token = form_values(
        stranger.get("/organizer/retreats/new").get_data(as_text=True), "/organizer/retreats/new"
    )["csrf_token"]
    own_retreat = make_retreat(organizer=other_organizer)
    before = written(db)

    for url in (
        returned_url(booking, refund.id),
        returned_url(booking, refund.id, retreat_id=own_retreat.id),  # B's retreat, A's booking
    ):
        assert stranger.post(url, data=shown | {"csrf_token": token}).status_code == 404, url
    # A's own refund of another booking, in this booking's address: not this booking's.
    assert (
        organizer_client.post(returned_url(booking, other_refund.id), data=shown).status_code == 404
    )
    assert organizer_client.post(returned_url(booking, 10**9), data=shown).status_code == 404
    assert written(db) == before


def test_the_organizer_is_told_what_to_give_back_when_cancelling(
    db, organizer_client, make_retreat
):
    booking = owing_booking(db, make_retreat(), amount=100_000, deposit=30_000)
    ledger.record_offline_payment(booking, amount_minor=50_000, note="Bank transfer", now=utcnow())
    db.session.commit()
    cancel_url = f"{page_url(booking)}/cancel"
    page = organizer_client.get(page_url(booking)).get_data(as_text=True)
    shown = form_values(page, cancel_url) | {"refund": "full", "confirm": "y"}

    after = organizer_client.post(cancel_url, data=shown, follow_redirects=True)

    assert f"Booking {booking.reference} is cancelled; €800.00 is being refunded." in after.text
    assert "Of it, €500.00 was paid to you outside Stripe: give it back yourself" in after.text
    assert "to return yourself (paid offline)" in after.text


def test_the_notice_of_an_attendees_cancellation_says_what_to_give_back(
    db, make_retreat, stripe_takes_refunds
):
    booking = owing_booking(db, make_retreat(starts_in=timedelta(days=60)))
    ledger.record_offline_payment(booking, amount_minor=50_000, note="Cash", now=utcnow())
    db.session.commit()
    cancel_booking(booking_id=booking.id)

    notice = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == booking.id,
            OutboxEmail.kind == "organizer_booking_cancelled",
        )
    ).one()
    message = build_message(notice)
    assert "Of it, €500.00 was paid to you outside the card payment: give it back" in message.text
    assert "<strong>€500.00</strong> was paid to you outside the card payment" in message.html


# The dashboard -----------------------------------------------------------------------------


def dashboard(client) -> str:
    response = client.get("/organizer/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_dashboard_counts_refunds_to_return_and_links_to_them(
    db, organizer_client, make_retreat, organizer
):
    one = make_retreat(title="One to return")
    two = make_retreat(title="Two to return")
    booking, refund = cancelled_after_a_bank_transfer(db, one, organizer)
    cancelled_after_a_bank_transfer(db, two, organizer)
    cancelled_after_a_bank_transfer(db, two, organizer)

    page = dashboard(organizer_client)

    link = f'href="{page_url(booking)}#refunds">Refunds to return yourself: 1 (€500.00)</a>'
    assert link in page
    listed = f"/organizer/retreats/{two.id}/attendees?status=cancelled"
    assert f'href="{listed}">Refunds to return yourself: 2 (€1,000.00)</a>' in page

    submit_returned(organizer_client, booking, refund, note="Cash")
    assert "Refunds to return yourself: 1 (€500.00)" not in dashboard(organizer_client)


def dashboard_statements(client, count_statements) -> tuple[str, list[str]]:
    dashboard(client)  # sign-in and first-request work out of the way
    with count_statements() as statements:
        page = dashboard(client)
    return page, list(statements)


def test_the_dashboard_needs_no_more_statements_for_refunds_to_return(
    db, make_retreat, organizer, sign_in, count_statements
):
    client = sign_in(organizer)
    make_retreat()
    _, without = dashboard_statements(client, count_statements)
    for _ in range(2):
        cancelled_after_a_bank_transfer(db, make_retreat(), organizer)
    page, with_refunds = dashboard_statements(client, count_statements)
    assert page.count("Refunds to return yourself: 1") == 2
    assert len(with_refunds) == len(without), with_refunds


# The receipt of an offline payment ---------------------------------------------------------


def offline_url(booking) -> str:
    return f"{page_url(booking)}/offline-payments"


def record_on_page(client, booking, **values):
    page = client.get(page_url(booking)).get_data(as_text=True)
    response = client.post(
        offline_url(booking), data=form_values(page, offline_url(booking)) | values
    )
    assert response.status_code == 303
    return response


def receipts(booking) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where(
                OutboxEmail.booking_id == booking.id,
                OutboxEmail.kind == "offline_payment_received",
            )
            .order_by(OutboxEmail.id)
        )
    )


def test_each_offline_payment_gets_one_receipt_that_is_delivered(
    db, organizer_client, make_retreat, smtp_inbox
):
    booking = owing_booking(db, make_retreat(), amount=100_000, deposit=30_000)

    record_on_page(organizer_client, booking, amount="250", note="Bank transfer SLOW-7")
    (first,) = receipts(booking)
    payment = db.session.get(Payment, first.payment_id)
    assert (payment.kind, payment.amount_minor) == (PaymentKind.OFFLINE, 25_000)
    assert first.to_address == booking.contact_email
    queue_payment_receipt(payment)  # asked again: still the one receipt
    db.session.commit()
    assert [row.id for row in receipts(booking)] == [first.id]
    record_on_page(organizer_client, booking, amount="450", note="Cash at the door")
    assert len(receipts(booking)) == 2

    assert send_due_emails() == 2
    mails = {m["Subject"]: m for m in smtp_inbox.wait_for(2)}
    title = booking.retreat.title
    part = mails[f"We received €250.00: {title}"].get_body(preferencelist=("plain",)).get_content()
    rest = mails[f"We received €450.00: {title}"].get_body(preferencelist=("plain",)).get_content()
    assert f"we received €250.00 for your booking {booking.reference}" in part
    assert "How:      Bank transfer SLOW-7" in part
    assert "You now owe €450.00 of the €1,000.00" in part
    assert "How:      Cash at the door" in rest
    assert "Your booking is paid in full (€1,000.00)." in rest and "You now owe" not in rest
    html = mails[f"We received €250.00: {title}"].get_body(preferencelist=("html",)).get_content()
    assert "You now owe <strong>€450.00</strong>" in html
    assert send_due_emails() == 0  # sent once


def test_a_receipt_of_a_booking_cancelled_before_it_went_out_says_no_balance(
    db, organizer_client, make_retreat, organizer, smtp_inbox
):
    booking = owing_booking(db, make_retreat(), amount=100_000, deposit=30_000)
    record_on_page(organizer_client, booking, amount="100", note="Cash")
    cancel_booking_for_attendee(
        booking_id=booking.id, actor_id=organizer.id, refund=RefundChoice.FULL
    )
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED

    send_due_emails()
    mails = {m["Subject"]: m for m in smtp_inbox.wait_for(2)}
    receipt = mails[f"We received €100.00: {booking.retreat.title}"]
    text = receipt.get_body(preferencelist=("plain",)).get_content()
    assert "we received €100.00" in text
    assert "You now owe" not in text and "paid in full" not in text
