"""From the manage link an attendee downloads everything stored about their booking, and can
have their personal data deleted (the financial record stays, the organizer is told)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from retreats.base.audit import AuditEntry, record_audit
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.cancellation import cancel_booking
from retreats.booking.models import Booking
from retreats.booking.tokens import booking_token
from retreats.database import utcnow
from retreats.notifications.messages import build_message
from retreats.payments.models import Refund
from retreats.privacy import data_rights
from tests.conftest import csrf_token_from
from tests.factories import ADA, ADA_INTAKE, BEA, BEA_INTAKE, held_booking, paid_booking
from tests.privacy.helpers import (
    LABEL_OF,
    NO_INTAKE,
    answers_of,
    end_retreat,
    intake_tuple,
    paid_with_intake,
    raw_answers,
    raw_attendees,
    raw_row,
)

PERSONAL = (
    "Ada",
    "Bea",
    "Lovelace",
    "ada@example.org",
    "bea@example.org",
    "Charles",
    "20 7946 0000",
)
PERSONAL += ("Vegetarian", "No nuts", "Ground-floor", "slow down")


def manage_path(booking) -> str:
    return f"/bookings/{booking.reference}?t={booking_token(booking.reference)}"


def data_path(booking, token: str | None = "right") -> str:
    token = booking_token(booking.reference) if token == "right" else token
    return f"/bookings/{booking.reference}/data.json" + (f"?t={token}" if token else "")


def delete_path(booking, token: str | None = "right") -> str:
    token = booking_token(booking.reference) if token == "right" else token
    return f"/bookings/{booking.reference}/delete-data" + (f"?t={token}" if token else "")


@pytest.fixture
def cancelled(db, make_retreat) -> Booking:
    """Ada and Bea's couple booking (their intake answers given with it), paid, then cancelled
    by them (a refund is owed)."""
    booking = paid_with_intake(make_retreat(), ADA, BEA)
    cancel_booking(booking_id=booking.id)
    db.session.expire_all()
    return booking


def ask_for_deletion(client, booking, *, confirm: bool = True):
    page = client.get(manage_path(booking))
    assert page.status_code == 200
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    if confirm:
        data["confirm"] = "y"
    return client.post(delete_path(booking), data=data)


def everything_stored(db) -> str:
    """Every table a deletion touches, as a database dump would show it."""
    tables = ("bookings", "attendees", "answers", "outbox_emails", "audit_entries", "refunds")
    return " ".join(
        str(row)
        for table in tables
        for row in db.session.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
    )


# Downloading -----------------------------------------------------------------------------------


def test_the_download_holds_the_booking_its_attendees_their_answers_emails_and_refunds(
    db, client, cancelled
):
    response = client.get(data_path(cancelled))

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="booking-{cancelled.reference}.json"'
    data = json.loads(response.get_data(as_text=True))
    booking = data["booking"]
    assert booking["reference"] == cancelled.reference
    assert booking["retreat"]["title"] == cancelled.retreat.title
    assert booking["retreat"]["starts_at"] == cancelled.retreat.starts_at.isoformat()
    assert booking["status"] == "cancelled"
    assert (booking["amount_minor"], booking["currency"]) == (45_000, "EUR")
    assert booking["contact_email"] == ADA.email
    assert booking["confirmed_at"] and booking["cancelled_at"] and booking["created_at"]
    ada, bea = data["attendees"]
    assert ada["name"] == ADA.name and ada["email"] == ADA.email
    assert bea["name"] == BEA.name and bea["email"] == BEA.email
    given = [(ADA.name, key, text, key != "dietary-needs") for key, text in ADA_INTAKE.items()]
    given += [(BEA.name, key, text, False) for key, text in BEA_INTAKE.items()]
    assert sorted(
        (a["person"], a["question"], a["answer"], a["private"], a["asked_of"])
        for a in data["answers"]
    ) == sorted(
        (name, LABEL_OF[key], text, private, "person") for name, key, text, private in given
    )
    kinds = {(mail["kind"], mail["to"], mail["status"]) for mail in data["emails"]}
    assert ("confirmation", ADA.email, "pending") in kinds
    assert ("cancellation", ADA.email, "pending") in kinds
    assert all(not mail["kind"].startswith("organizer_") for mail in data["emails"])
    [refund] = data["refunds"]
    assert refund["amount_minor"] == cancelled.refunds[0].amount_minor
    assert refund["reason"] == "cancellation"


def test_the_download_leaves_out_the_organizers_payment_mismatch_notice(
    db, client, make_retreat, organizer
):
    from retreats.booking.payment_mismatch import handle_payment_mismatch
    from retreats.booking.services import Payment

    booking = held_booking(make_retreat(), ADA, BEA)
    payment = Payment(
        checkout_session_id="cs_test_cheap",
        payment_intent_id="pi_test_cheap",
        amount_minor=100,
        currency=booking.currency,
    )
    handle_payment_mismatch(booking_id=booking.id, payment=payment)
    assert db.session.query(OutboxEmail).filter_by(kind="organizer_payment_mismatch").count() == 1

    response = client.get(data_path(booking))

    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    assert all(not mail["kind"].startswith("organizer_") for mail in data["emails"])
    assert organizer.email not in response.get_data(as_text=True)
    [refund] = data["refunds"]
    assert refund["reason"] == "payment_mismatch"


@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 300])
def test_the_download_is_not_found_without_the_right_token(db, client, cancelled, token):
    assert client.get(data_path(cancelled, token)).status_code == 404
    assert client.get(f"/bookings/RB-NOSUCH/data.json?t={token}").status_code == 404


def test_the_manage_page_links_to_the_download_and_offers_deletion(db, client, cancelled):
    page = client.get(manage_path(cancelled)).get_data(as_text=True)

    assert f"/bookings/{cancelled.reference}/data.json?t=" in page
    assert f'action="/bookings/{cancelled.reference}/delete-data?t=' in page
    assert "cannot be undone" in page


# Deleting --------------------------------------------------------------------------------------


def test_deletion_removes_every_personal_field_from_the_stored_rows(db, client, cancelled):
    sent = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == cancelled.id, OutboxEmail.kind == "confirmation"
        )
    ).one()
    sent.status, sent.sent_at = OutboxStatus.SENT, utcnow()
    record_audit(
        "email.retried",
        actor_id=None,
        retreat_id=cancelled.retreat_id,
        booking_id=cancelled.id,
        detail=f"confirmation to {ADA.email}; {BEA.name} checked in",
    )
    db.session.commit()
    assert "ada@example.org" in everything_stored(db)

    response = ask_for_deletion(client, cancelled)

    assert response.status_code == 303
    booking = raw_row(db, "bookings", cancelled.id)
    assert booking["contact_name"] == "Deleted"
    assert booking["contact_email"] == f"deleted-{cancelled.reference.lower()}@invalid"
    for person in raw_attendees(db, cancelled):
        assert person["name"] == "Deleted" and person["email"] is None
    assert raw_answers(db, cancelled) == []  # every intake answer, the dietary need too
    assert answers_of(db, cancelled) == [NO_INTAKE, NO_INTAKE]
    dump = everything_stored(db)
    for secret in PERSONAL:
        assert secret not in dump, secret
    mails = {mail.kind: mail for mail in db.session.scalars(select(OutboxEmail))}
    assert mails["confirmation"].status == OutboxStatus.SENT  # what happened is kept
    assert mails["cancellation"].status == OutboxStatus.DROPPED  # never sent now
    assert mails["organizer_booking_cancelled"].to_address == "host@example.org"


def test_deletion_keeps_the_financial_record(db, client, cancelled):
    kept = ("reference", "amount_minor", "currency", "status", "seats")
    kept += ("created_at", "confirmed_at", "cancelled_at", "retreat_id", "ticket_type_id")
    before = raw_row(db, "bookings", cancelled.id)
    payments_before = [raw_row(db, "payments", payment.id) for payment in cancelled.payments]
    refunds_before = [raw_row(db, "refunds", refund.id) for refund in cancelled.refunds]

    ask_for_deletion(client, cancelled)

    after = raw_row(db, "bookings", cancelled.id)
    assert {name: after[name] for name in kept} == {name: before[name] for name in kept}
    # The ledger stays whole: every payment with Stripe's ids, every refund.
    assert [raw_row(db, "payments", row["id"]) for row in payments_before] == payments_before
    assert payments_before[0]["stripe_payment_intent_id"] == f"pi_test_{cancelled.id}"
    assert [raw_row(db, "refunds", row["id"]) for row in refunds_before] == refunds_before
    assert db.session.query(Refund).count() == 1


def test_deletion_is_audited_and_the_organizer_told_without_personal_data(db, client, cancelled):
    ask_for_deletion(client, cancelled)

    db.session.expire_all()
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "booking.personal_data_deleted")
    ).all()
    assert (entry.booking_id, entry.retreat_id, entry.actor_id) == (
        cancelled.id,
        cancelled.retreat_id,
        None,
    )
    [notice] = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "organizer_data_deleted")
    ).all()
    assert notice.to_address == "host@example.org" and notice.status == OutboxStatus.PENDING
    message = build_message(notice)
    assert message.recipient == "host@example.org"
    assert cancelled.reference in message.subject
    for body in (message.text, message.html):
        assert f"The attendee of booking {cancelled.reference} asked for their" in body
        assert "it was done on" in body
        for secret in PERSONAL + ("deleted-", "@invalid"):
            assert secret not in body, secret


def test_the_manage_link_still_works_and_says_the_data_was_deleted(db, client, cancelled):
    ask_for_deletion(client, cancelled)

    page = client.get(manage_path(cancelled))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your personal data has been deleted" in html
    assert "delete-data" not in html  # no second form
    data = json.loads(client.get(data_path(cancelled)).get_data(as_text=True))
    assert [person["name"] for person in data["attendees"]] == ["Deleted", "Deleted"]
    assert data["booking"]["amount_minor"] == 45_000


def test_a_second_request_changes_nothing(db, client, cancelled):
    ask_for_deletion(client, cancelled)
    with pytest.raises(data_rights.DomainError, match="already been deleted"):
        data_rights.delete_personal_data(booking_id=cancelled.id)
    assert db.session.query(AuditEntry).filter_by(action="booking.personal_data_deleted").count()


def unchanged(db, booking) -> bool:
    db.session.expire_all()
    stored = db.session.get(Booking, booking.id)
    return stored.contact_email == ADA.email and answers_of(db, booking) == [
        intake_tuple(ADA_INTAKE),
        intake_tuple(BEA_INTAKE),
    ]


def test_deletion_is_refused_without_the_csrf_token(db, client, cancelled):
    response = client.post(delete_path(cancelled), data={"confirm": "y"})
    assert response.status_code == 400
    assert unchanged(db, cancelled)


def test_deletion_is_refused_without_the_box_ticked(db, client, cancelled):
    response = ask_for_deletion(client, cancelled, confirm=False)
    assert response.status_code == 303
    assert unchanged(db, cancelled)


@pytest.mark.parametrize("token", [None, "wrong"])
def test_deletion_is_not_found_without_the_right_token(db, client, cancelled, token):
    page = client.get(manage_path(cancelled)).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "confirm": "y"}
    assert client.post(delete_path(cancelled, token), data=data).status_code == 404
    assert unchanged(db, cancelled)


def test_an_active_booking_must_be_cancelled_first(db, client, make_retreat):
    booking = paid_with_intake(make_retreat(), ADA, BEA)
    page = client.get(manage_path(booking)).get_data(as_text=True)
    assert "please cancel the booking first" in page
    assert "delete-data" not in page

    with pytest.raises(data_rights.DomainError, match="cancel the booking first"):
        data_rights.delete_personal_data(booking_id=booking.id)
    assert unchanged(db, booking)


def test_a_booking_for_a_retreat_that_is_over_can_be_deleted(db, client, make_retreat):
    booking = paid_booking(make_retreat(), ADA, BEA)
    end_retreat(db, booking.retreat, days_ago=1)

    assert ask_for_deletion(client, booking).status_code == 303
    assert raw_row(db, "bookings", booking.id)["status"] == "confirmed"
    assert raw_attendees(db, booking)[0]["name"] == "Deleted"


def test_nothing_is_half_written_when_the_deletion_fails(db, cancelled, monkeypatch):
    def broken(*_args, **_values):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(data_rights, "queue_organizer_notice", broken)
    with pytest.raises(RuntimeError):
        data_rights.delete_personal_data(booking_id=cancelled.id)

    assert unchanged(db, cancelled)
    assert "ada@example.org" in str(raw_row(db, "bookings", cancelled.id))
    assert (
        not db.session.query(AuditEntry).filter_by(action="booking.personal_data_deleted").count()
    )


def test_no_mail_is_ever_queued_to_a_deleted_booking(db, client, make_retreat, organizer):
    """A confirmed booking of a past retreat, deleted; then the organizer writes to everyone."""
    from retreats.organizer.attendees.actions import message_confirmed_attendees

    retreat = make_retreat()
    deleted, kept = paid_booking(retreat, ADA), paid_booking(retreat, BEA)
    end_retreat(db, retreat, days_ago=1)
    assert ask_for_deletion(client, deleted).status_code in (200, 303)
    db.session.expire_all()

    queued = message_confirmed_attendees(
        retreat_id=retreat.id, actor_id=organizer.id, subject="Photos", body="Thank you all."
    )
    messages = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "organizer_message")
    ).all()
    assert [mail.booking_id for mail in messages] == [kept.id]
    assert queued == 2  # both bookings were written to; only the real address gets the mail
