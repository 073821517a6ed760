"""One booking's page and its actions: cancel with a full or a policy refund (paid back at the
local Stripe, the attendee emailed, freed seats offered on), and resending the confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.models import Booking, BookingStatus, WaitlistStatus
from retreats.booking.services import AttendeeDetails
from retreats.booking.waitlist import join_waitlist
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.notifications.sender import send_due_emails
from retreats.organizer.attendees import actions as attendee_actions
from retreats.organizer.attendees.actions import RefundChoice, cancel_booking_for_attendee
from retreats.payments.models import Refund, RefundStatus
from tests.conftest import BOTH_DATABASES
from tests.factories import (
    ADA,
    ADA_INTAKE,
    BEA,
    BEA_INTAKE,
    CY,
    held_booking,
    intake,
    paid_booking,
)
from tests.journey import book_to_checkout, pay_and_land
from tests.organizer.helpers import at_local_stripe, audit_entries_with_action, session_csrf_token


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """Refunds and cancellations move money: both databases."""
    return request.param


def detail_url(booking) -> str:
    return f"/organizer/retreats/{booking.retreat_id}/bookings/{booking.id}"


def fresh(booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def refunds() -> list[Refund]:
    db.session.expire_all()
    return list(db.session.execute(select(Refund)).scalars())


def post_action(client, booking, action: str, **data):
    return client.post(
        f"{detail_url(booking)}/{action}",
        data={"csrf_token": session_csrf_token(client, booking.retreat_id), **data},
        follow_redirects=True,
    )


@pytest.mark.parametrize(
    ("choice", "refund_minor", "refund_shown"),
    [("full", 45_000, "€450.00"), ("policy", 22_500, "€225.00")],
)
def test_an_organizer_cancels_and_the_refund_reaches_stripe_and_the_attendee_is_told(
    live_site, browser, make_retreat, organizer_client, smtp_inbox, choice, refund_minor,
    refund_shown,
):  # fmt: skip
    # 20 days ahead: the policy gives 50% back (full refund only until 30 days before).
    retreat = make_retreat(
        capacity=2, starts_in=timedelta(days=20), tickets=[("Couple (2 people)", 45_000, 2)]
    )
    landing = pay_and_land(browser, book_to_checkout(browser, live_site, retreat))
    assert "Your booking is confirmed" in landing.text
    booking = db.session.execute(select(Booking)).scalar_one()
    waiting = join_waitlist(retreat_id=retreat.id, name="Wes", email="wes@example.org", seats=2)

    page = organizer_client.get(detail_url(booking)).text
    assert "Full refund: €450.00" in page
    assert "As the cancellation policy gives today: €225.00" in page

    after = post_action(organizer_client, booking, "cancel", refund=choice, confirm="y")

    assert f"Booking {booking.reference} is cancelled; {refund_shown} is being refunded." in (
        after.text
    )
    cancelled = fresh(booking)
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.cancelled_at
    assert cancelled.refunded_minor == refund_minor
    [refund] = refunds()
    assert (refund.status, refund.amount_minor) == (RefundStatus.SUCCEEDED, refund_minor)
    assert refund.reason == "organizer_cancellation"
    at_stripe = at_local_stripe(browser, live_site, f"refunds/{refund.stripe_refund_id}")
    assert at_stripe["amount"] == refund_minor
    assert at_stripe["payment_intent"] == cancelled.payment_intent_id
    [entry] = audit_entries_with_action(db, "booking.cancelled")
    assert entry.booking_id == booking.id and entry.detail == f"refund {refund_shown} ({choice})"
    db.session.refresh(waiting)
    assert waiting.status == WaitlistStatus.OFFERED  # the freed seats went to the waitlist
    assert "Refunds" in after.text and refund.stripe_refund_id in after.text

    send_due_emails()
    messages = {m["Subject"]: m for m in smtp_inbox.wait_for(3)}
    told = messages[f"Your booking {booking.reference} has been cancelled"]
    assert told["To"] == "ada@example.org"
    assert refund_shown in told.get_body(preferencelist=("plain",)).get_content()

    # Cancelling again (a second tab, a double click): refused, and no second refund.
    again = post_action(organizer_client, booking, "cancel", refund="full", confirm="y")
    assert "Only a confirmed booking can be cancelled" in again.text
    assert len(refunds()) == 1
    assert len(audit_entries_with_action(db, "booking.cancelled")) == 1


def test_cancelling_needs_the_tick_and_one_of_the_two_refunds(organizer_client, make_retreat):
    booking = paid_booking(make_retreat(), ADA)

    unticked = post_action(organizer_client, booking, "cancel", refund="full")
    assert "Please tick the box to confirm the cancellation." in unticked.text
    made_up = post_action(organizer_client, booking, "cancel", refund="double", confirm="y")
    assert "Not a valid choice" in made_up.text
    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert refunds() == [] and audit_entries_with_action(db, "booking.cancelled") == []


def test_a_booking_that_is_not_confirmed_cannot_be_cancelled(organizer_client, make_retreat):
    pending = held_booking(make_retreat(), CY)

    page = organizer_client.get(detail_url(pending)).text
    assert "Cancel this booking" not in page
    assert "there is nothing to cancel or resend" in page
    response = post_action(organizer_client, pending, "cancel", refund="full", confirm="y")

    assert "Only a confirmed booking can be cancelled" in response.text
    assert fresh(pending).status == BookingStatus.PENDING
    assert db.session.query(OutboxEmail).count() == 0


def test_a_booking_never_paid_through_stripe_is_cancelled_without_a_refund(make_retreat, organizer):
    retreat = make_retreat()
    booking = paid_booking(retreat, CY, payment_intent=False)

    result = cancel_booking_for_attendee(
        booking_id=booking.id, actor_id=organizer.id, refund=RefundChoice.FULL
    )

    assert (result.refund_minor, result.refund_ids) == (0, [])
    assert fresh(booking).status == BookingStatus.CANCELLED
    assert refunds() == []
    kinds = {
        email.kind
        for email in db.session.query(OutboxEmail)
        if email.status != OutboxStatus.DROPPED
    }
    assert kinds == {"confirmation", "organizer_new_booking", "cancelled_by_organizer"}
    with pytest.raises(DomainError, match="Only a confirmed booking"):
        cancel_booking_for_attendee(
            booking_id=booking.id, actor_id=organizer.id, refund=RefundChoice.FULL
        )


def test_a_booking_cancelled_by_someone_else_meanwhile_is_left_as_they_left_it(
    make_retreat, organizer, monkeypatch
):
    booking = paid_booking(make_retreat(), ADA)
    work_out_refund = attendee_actions.refund_options

    def co_host_cancels_first(booking, **options):
        # Between our read and our write, another organizer's cancellation commits.
        bookings = Booking.__table__
        with db.engine.begin() as other:
            other.execute(
                update(bookings)
                .where(bookings.c.id == booking.id)
                .values(status="cancelled", version=bookings.c.version + 1)
            )
        return work_out_refund(booking, **options)

    monkeypatch.setattr(attendee_actions, "refund_options", co_host_cancels_first)
    with pytest.raises(DomainError, match="changed a moment ago"):
        cancel_booking_for_attendee(
            booking_id=booking.id, actor_id=organizer.id, refund=RefundChoice.FULL
        )

    assert refunds() == []
    assert fresh(booking).refunded_minor == 0
    assert db.session.query(OutboxEmail).filter_by(kind="cancelled_by_organizer").count() == 0
    assert audit_entries_with_action(db, "booking.cancelled") == []


def test_resending_the_confirmation_sends_a_second_email(
    organizer_client, make_retreat, smtp_inbox
):
    booking = paid_booking(make_retreat(), ADA, BEA)
    assert send_due_emails() == 2  # the confirmation, and the organizer's new-booking notice
    subject = f"Your booking {booking.reference} is confirmed: {booking.retreat.title}"

    response = post_action(organizer_client, booking, "resend")

    assert "The confirmation is on its way to ada@example.org again." in response.text
    assert send_due_emails() == 1
    to_ada = [m["Subject"] for m in smtp_inbox.wait_for(3) if m["To"] == "ada@example.org"]
    assert to_ada == [subject, subject]
    post_action(organizer_client, booking, "resend")
    keys = sorted(
        email.key for email in db.session.query(OutboxEmail).filter_by(kind="confirmation")
    )
    assert keys == [
        f"confirmation:{booking.id}:ada@example.org",
        f"confirmation:{booking.id}:ada@example.org:resend:1",
        f"confirmation:{booking.id}:ada@example.org:resend:2",
    ]
    assert len(audit_entries_with_action(db, "booking.confirmation_resent")) == 2
    assert "confirmation" in organizer_client.get(detail_url(booking)).text  # the emails list


def test_only_a_confirmed_booking_has_its_confirmation_resent(organizer_client, make_retreat):
    pending = held_booking(make_retreat(), CY)

    response = post_action(organizer_client, pending, "resend")

    assert "Only a confirmed booking has a confirmation to send again." in response.text
    assert db.session.query(OutboxEmail).count() == 0
    assert audit_entries_with_action(db, "booking.confirmation_resent") == []


def test_the_booking_page_shows_private_answers_only_when_asked_and_records_it(
    organizer_client, make_retreat, organizer
):
    retreat = make_retreat()
    booking = paid_booking(retreat, ADA, BEA, answers=intake(retreat, ADA_INTAKE, BEA_INTAKE))
    private = [ADA_INTAKE[key] for key in ("hopes", "accessibility", "emergency-contact")]

    page = organizer_client.get(detail_url(booking)).text
    assert "Ada Lovelace" in page and "Bea Lovelace" in page
    assert "Vegetarian" in page and "No nuts" in page  # ordinary answers: always shown
    assert all(answer not in page for answer in private)
    assert audit_entries_with_action(db, "answers.viewed") == []

    shown = organizer_client.get(detail_url(booking), query_string={"private": "1"}).text
    assert all(answer in shown for answer in private)
    [entry] = audit_entries_with_action(db, "answers.viewed")
    assert (entry.actor_id, entry.booking_id) == (organizer.id, booking.id)
    assert entry.detail == f"booking {booking.reference}"


def test_a_booking_of_another_retreat_is_not_found_through_mine(
    organizer_client, make_retreat, sign_in, other_organizer
):
    mine = make_retreat()
    theirs = paid_booking(make_retreat(organizer=other_organizer), AttendeeDetails("X", "x@x.org"))
    through_mine = f"/organizer/retreats/{mine.id}/bookings/{theirs.id}"

    assert organizer_client.get(through_mine).status_code == 404
    token = session_csrf_token(organizer_client, mine.id)
    cancel = organizer_client.post(
        f"{through_mine}/cancel", data={"csrf_token": token, "refund": "full", "confirm": "y"}
    )
    assert cancel.status_code == 404
    assert fresh(theirs).status == BookingStatus.CONFIRMED
