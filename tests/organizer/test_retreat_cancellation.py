"""An organizer cancels a whole retreat: full refunds at Stripe, one email per booking, holds
released and their Checkout Sessions closed, the waitlist closed, and a second call does nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail
from retreats.booking.capacity import seats_left
from retreats.booking.checkout import expire_lapsed_holds
from retreats.booking.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from retreats.booking.services import Payment, confirm_booking
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.listings.models import RetreatStatus
from retreats.organizer.listings.retreat_cancellation import cancel_retreat, cancellation_preview
from retreats.payments.models import Refund, RefundStatus
from tests.conftest import BOTH_DATABASES, use_stripe_at
from tests.factories import stored_booking, waitlist_entry, waitlist_offer
from tests.html_forms import form_values
from tests.journey import book_to_checkout, pay, pay_and_land
from tests.organizer.helpers import at_local_stripe, audit_actions_for_retreat


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """The retreat lock is FOR UPDATE on PostgreSQL and a write transaction on SQLite: both."""
    return request.param


def submit_cancel(client, retreat, **data):
    url = f"/organizer/retreats/{retreat.id}/cancel"
    values = form_values(client.get(url).get_data(as_text=True), url)
    return client.post(url, data=values | data)


def counts(db) -> dict[str, int]:
    return {
        "refunds": db.session.query(Refund).count(),
        "emails": db.session.query(OutboxEmail).count(),
        "audit": db.session.query(AuditEntry).count(),
    }


def test_cancelling_refunds_every_paid_booking_in_full_at_stripe_and_emails_each_once(
    db, live_site, requests_session_factory, organizer_client, make_retreat, client
):
    retreat = make_retreat(
        title="Autumn Closeness",
        capacity=10,
        tickets=[("Individual", 30_000, 1), ("Couple", 45_000, 2)],
    )
    individual, couple = retreat.ticket_types
    for ticket, email in ((individual, "ada@example.org"), (couple, "bea@example.org")):
        visitor = requests_session_factory()
        landing = pay_and_land(
            visitor, book_to_checkout(visitor, live_site, retreat, ticket, email=email)
        )
        assert "Your booking is confirmed" in landing.text
    # A third visitor is still on the Checkout page when the retreat is cancelled.
    late_visitor = requests_session_factory()
    open_checkout = book_to_checkout(late_visitor, live_site, retreat, individual)
    waiting = waitlist_entry(retreat, name="Wen", email="wen@example.org")

    confirmation = organizer_client.get(f"/organizer/retreats/{retreat.id}/cancel")
    page = confirmation.get_data(as_text=True)
    assert re.search(r"Confirmed bookings</dt><dd>2<", page)
    assert "€750.00" in page
    not_ticked = submit_cancel(organizer_client, retreat, confirm="")
    assert not_ticked.status_code == 422
    db.session.expire_all()
    assert retreat.status == RetreatStatus.PUBLISHED

    response = submit_cancel(organizer_client, retreat, confirm="y")
    assert response.status_code == 303
    assert "2 booking(s) cancelled and €750.00 refunded" in organizer_client.get(
        response.headers["Location"]
    ).get_data(as_text=True)

    db.session.expire_all()
    assert retreat.status == RetreatStatus.CANCELLED and retreat.cancelled_at is not None
    paid = db.session.scalars(
        db.select(Booking).where(Booking.confirmed_at.is_not(None)).order_by(Booking.id)
    ).all()
    assert [(b.status, b.refunded_minor) for b in paid] == [
        (BookingStatus.CANCELLED, 30_000),
        (BookingStatus.CANCELLED, 45_000),
    ]
    refunds = db.session.scalars(db.select(Refund).order_by(Refund.id)).all()
    assert [(r.booking_id, r.amount_minor, r.status, r.reason) for r in refunds] == [
        (b.id, b.amount_minor, RefundStatus.SUCCEEDED, "retreat_cancelled") for b in paid
    ]
    browser = requests_session_factory()
    for refund, booking in zip(refunds, paid, strict=True):
        at_stripe = at_local_stripe(browser, live_site, f"refunds/{refund.stripe_refund_id}")
        assert at_stripe["amount"] == booking.amount_minor
        assert at_stripe["payment_intent"] == booking.payment_intent_id

    mails = db.session.scalars(
        db.select(OutboxEmail).where(OutboxEmail.kind == "retreat_cancelled")
    ).all()
    assert sorted(m.to_address for m in mails) == ["ada@example.org", "bea@example.org"]

    # The unpaid hold is released and its Checkout Session closed: it can no longer be paid.
    hold = db.session.scalars(db.select(Booking).where(Booking.confirmed_at.is_(None))).one()
    assert hold.status == BookingStatus.EXPIRED
    session = at_local_stripe(browser, live_site, f"checkout/sessions/{hold.checkout_session_id}")
    assert session["status"] == "expired"
    assert late_visitor.get(open_checkout).status_code == 409
    assert db.session.get(WaitlistEntry, waiting.id).status == WaitlistStatus.LAPSED
    assert seats_left(retreat) == 10

    actions = audit_actions_for_retreat(db, retreat.id)
    assert actions.count("booking.cancelled") == 2
    assert actions.count("booking.hold_released") == 1
    assert actions.count("retreat.cancelled") == 1

    # Again, by a second click or a second organizer: nothing more happens.
    before = counts(db)
    again = cancel_retreat(retreat_id=retreat.id, actor_id=retreat.organizer_id)
    assert (again.bookings_cancelled, again.refund_ids, again.holds_released) == (0, [], [])
    cancel_url = f"/organizer/retreats/{retreat.id}/cancel"
    cancelled_page = organizer_client.get(cancel_url).get_data(as_text=True)
    assert "already cancelled" in cancelled_page
    edit_page = organizer_client.get(f"/organizer/retreats/{retreat.id}/edit").get_data(True)
    token = form_values(edit_page, f"/organizer/retreats/{retreat.id}/duplicate")["csrf_token"]
    repeated = organizer_client.post(cancel_url, data={"csrf_token": token, "confirm": "y"})
    assert repeated.status_code == 409
    db.session.expire_all()
    assert counts(db) == before

    public = client.get(f"/retreats/{retreat.slug}")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "has been cancelled" in text
    assert "Book your place" not in text and "Join the waitlist" not in text
    assert "Autumn Closeness" not in client.get("/").get_data(as_text=True)
    assert late_visitor.get(f"{live_site.url}/retreats/{retreat.slug}/book").status_code == 404


def test_a_hold_stripe_cannot_close_now_is_closed_by_the_expiry_sweep(
    db, app, live_site, browser, make_retreat
):
    retreat = make_retreat()
    checkout_url = book_to_checkout(browser, live_site, retreat)
    real_stripe = app.config["STRIPE_API_BASE"]
    use_stripe_at(app, "http://127.0.0.1:9")
    result = cancel_retreat(retreat_id=retreat.id, actor_id=None)
    hold = db.session.get(Booking, result.holds_released[0], populate_existing=True)
    assert hold.status == BookingStatus.PENDING and hold.hold_expires_at <= utcnow()
    assert seats_left(retreat) == retreat.capacity  # its seats are free already

    use_stripe_at(app, real_stripe)
    assert expire_lapsed_holds() == 1  # what the worker runs every minute
    db.session.expire_all()
    assert hold.status == BookingStatus.EXPIRED
    assert browser.get(checkout_url).status_code == 409


def test_a_payment_made_while_the_retreat_was_being_cancelled_is_refunded_not_confirmed(
    db, app, live_site, browser, make_retreat
):
    retreat = make_retreat(tickets=[("Individual", 30_000, 1)])
    checkout_url = book_to_checkout(browser, live_site, retreat)
    # Stripe is out of reach while the organizer cancels, so the session stays open …
    real_stripe = app.config["STRIPE_API_BASE"]
    use_stripe_at(app, "http://127.0.0.1:9")
    cancel_retreat(retreat_id=retreat.id, actor_id=None)
    use_stripe_at(app, real_stripe)
    # … and the visitor pays before the sweep closes it.
    paid = pay(browser, checkout_url)
    assert paid.status_code == 303
    browser.get(paid.headers["Location"])  # the success page applies the payment
    booking = db.session.scalars(db.select(Booking)).one()
    db.session.refresh(booking)
    assert booking.status != BookingStatus.CONFIRMED
    assert booking.refunded_minor == booking.amount_minor


def test_confirm_booking_never_confirms_a_booking_of_a_cancelled_retreat(db, make_retreat):
    retreat = make_retreat()
    booking = stored_booking(retreat, status=BookingStatus.PENDING)
    cancel_retreat(retreat_id=retreat.id, actor_id=None)  # no Checkout Session: expired locally
    payment = Payment(
        checkout_session_id="cs_late",
        payment_intent_id="pi_late",
        amount_minor=booking.amount_minor,
        currency=booking.currency,
    )
    confirmed = confirm_booking(booking_id=booking.id, payment=payment)
    assert confirmed.status != BookingStatus.CONFIRMED
    assert confirmed.paid_without_a_seat


def test_free_bookings_are_cancelled_and_emailed_without_a_refund(db, make_retreat, organizer):
    retreat = make_retreat(tickets=[("Community place", 0, 1)], currency="EUR")
    free = stored_booking(retreat)
    offered = waitlist_offer(retreat, name="Wen", email="wen@example.org", hours=5)
    left = waitlist_entry(retreat, name="Wen", email="wen@example.org", status=WaitlistStatus.LEFT)
    preview = cancellation_preview(retreat)
    assert (preview.confirmed_bookings, preview.refund_minor, preview.waitlist_entries) == (1, 0, 1)

    result = cancel_retreat(retreat_id=retreat.id, actor_id=organizer.id)
    assert (result.bookings_cancelled, result.refund_minor, result.refund_ids) == (1, 0, [])
    db.session.expire_all()
    assert free.status == BookingStatus.CANCELLED and free.cancelled_at is not None
    assert db.session.query(Refund).count() == 0
    [mail] = db.session.scalars(db.select(OutboxEmail)).all()
    assert (mail.kind, mail.key, mail.booking_id) == (
        "retreat_cancelled",
        f"retreat_cancelled:{free.id}:{free.contact_email}",
        free.id,
    )
    assert offered.status == WaitlistStatus.LAPSED
    assert left.status == WaitlistStatus.LEFT
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "retreat.cancelled")
    ).one()
    assert entry.actor_id == organizer.id
    assert entry.detail.startswith("1 booking(s) cancelled, €0.00 refunded")


def test_a_cancelled_retreat_can_no_longer_be_edited_or_published(
    db, organizer_client, make_retreat, organizer
):
    retreat = make_retreat()
    cancel_retreat(retreat_id=retreat.id, actor_id=organizer.id)
    edit_url = f"/organizer/retreats/{retreat.id}/edit"
    page = organizer_client.get(edit_url).get_data(as_text=True)
    assert "This retreat was cancelled on" in page
    assert 'name="save"' not in page
    token = form_values(page, f"/organizer/retreats/{retreat.id}/duplicate")["csrf_token"]
    published = organizer_client.post(
        f"/organizer/retreats/{retreat.id}/publish", data={"csrf_token": token}
    )
    assert "cannot be published" in organizer_client.get(published.headers["Location"]).get_data(
        as_text=True
    )
    new_ticket = organizer_client.post(
        f"/organizer/retreats/{retreat.id}/tickets/new",
        data={"csrf_token": token, "name": "Late", "price": "10", "seats_per_ticket": "1"},
    )
    assert new_ticket.status_code == 400
    db.session.expire_all()
    assert retreat.status == RetreatStatus.CANCELLED
    assert len(retreat.ticket_types) == 2


def test_a_retreat_that_has_ended_is_not_cancelled_as_a_whole(db, organizer_client, make_retreat):
    retreat = make_retreat(starts_in=timedelta(days=-5))
    booking = stored_booking(retreat)
    page = organizer_client.get(f"/organizer/retreats/{retreat.id}/cancel").get_data(True)
    assert "has already ended" in page and 'name="confirm"' not in page
    before = counts(db)
    with pytest.raises(DomainError, match="already ended"):
        cancel_retreat(retreat_id=retreat.id, actor_id=None)
    db.session.expire_all()
    assert retreat.status == RetreatStatus.PUBLISHED
    assert booking.status == BookingStatus.CONFIRMED
    assert counts(db) == before
