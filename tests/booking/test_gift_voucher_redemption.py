"""Spending a gift voucher on a booking: it pays what is left on it, the card pays the rest
through Checkout (or nothing, and the booking is confirmed at once); an unpaid booking gives
the voucher's part back; a refund goes back onto the voucher, the card's part to Stripe first.
The form's field and its refusals: test_gift_voucher_form.py; the race: test_gift_voucher_race.py.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from retreats.base.outbox import OutboxEmail
from retreats.booking.blueprint import manage_page_url
from retreats.booking.checkout import checkout_lines, refund_unseated_payment
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.services import (
    Payment,
    cancel_unpaid_booking,
    confirm_booking,
    expire_booking,
)
from retreats.database import utcnow
from retreats.extensions import db
from retreats.gift_vouchers.balance import voucher_left_minor
from retreats.listings.models import DepositRule
from retreats.notifications.messages import (
    cancellation_message,
    confirmation_message,
    unseated_payment_message,
)
from retreats.organizer.listings.retreat_cancellation import cancel_retreat
from retreats.payments.ledger import record_refunds
from retreats.payments.models import Payment as LedgerPayment
from retreats.payments.models import PaymentKind, PaymentStatus, Refund, RefundStatus
from retreats.payments.refunds import send_due_refunds
from tests.booking.test_stay_form import checkout_line_items, form_url, open_form
from tests.factories import create_gift_voucher, held_booking
from tests.journey import filled_booking_form, pay_and_land
from tests.payments.helpers import cancel_from_page

INDIVIDUAL = 25_000  # the individual ticket of make_retreat's retreats


def ending(voucher) -> str:
    """How pages, mails and Checkout name the voucher."""
    return f"GV-…{voucher.code[-4:]}"


def voucher_form(page_html: str, retreat, code: str) -> dict:
    """The booking form filled in for one person, with the voucher's code."""
    return filled_booking_form(page_html, retreat.ticket_types[0]) | {"gift_voucher_code": code}


def post_form(client, retreat, code: str, **fields):
    """Send the booking form with the voucher's code from the test client."""
    page = open_form(client, retreat)
    return client.post(form_url(retreat), data=voucher_form(page, retreat, code) | fields)


def only_booking() -> Booking:
    db.session.expire_all()
    return db.session.scalars(select(Booking)).one()


def voucher_payment(booking_id: int) -> LedgerPayment:
    db.session.expire_all()
    return db.session.scalars(
        select(LedgerPayment).where(
            LedgerPayment.booking_id == booking_id, LedgerPayment.kind == PaymentKind.VOUCHER
        )
    ).one()


def card_payment(booking, amount_minor: int) -> Payment:
    """What Stripe reports for the card's part of this booking."""
    return Payment(
        checkout_session_id=f"cs_test_{booking.id}",
        payment_intent_id=f"pi_test_{booking.id}",
        amount_minor=amount_minor,
        currency=booking.currency,
    )


def book_over_http(browser, live_site, retreat, code: str):
    """A visitor sends the booking form with the voucher's code to the live site."""
    url = f"{live_site.url}{form_url(retreat)}"
    form = voucher_form(browser.get(url).text, retreat, code)
    return browser.post(url, data=form, allow_redirects=False)


# Part by voucher, the rest by card through Checkout --------------------------------------------


def test_a_voucher_pays_part_and_checkout_asks_the_card_for_the_rest(
    live_site, browser, app, db, make_retreat, organizer
):
    retreat = make_retreat(starts_in=timedelta(days=60))
    voucher = create_gift_voucher(organizer, 10_000)

    response = book_over_http(browser, live_site, retreat, voucher.shown_code.lower())

    assert response.status_code == 303, response.text
    location = response.headers["Location"]
    items = checkout_line_items(live_site, app, location)
    assert [(item["description"], item["amount_total"]) for item in items] == [
        (f"{retreat.title}: Individual, Gift voucher {ending(voucher)} (−€100.00)", 15_000)
    ]
    landing = pay_and_land(browser, location)
    assert "Your booking is confirmed" in landing.text
    assert f"Paid with gift voucher {ending(voucher)}: €100.00" in landing.text
    assert f"Gift voucher {ending(voucher)} is now used up." in landing.text

    booking = only_booking()
    assert booking.status == BookingStatus.CONFIRMED
    assert voucher_payment(booking.id).status == PaymentStatus.SUCCEEDED
    assert sorted(p.amount_minor for p in booking.payments if p.succeeded) == [10_000, 15_000]
    assert voucher_left_minor(voucher) == 0


def test_a_covering_voucher_confirms_the_booking_without_checkout(
    client, db, make_retreat, organizer
):
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer, 30_000)

    response = post_form(client, retreat, voucher.shown_code)

    booking = only_booking()
    with client.application.test_request_context():
        page_url = manage_page_url(booking)
    assert response.status_code == 303
    assert response.headers["Location"] == page_url  # straight to the booking, no Checkout
    assert booking.status == BookingStatus.CONFIRMED
    assert [(p.kind, p.status, p.amount_minor) for p in booking.payments] == [
        (PaymentKind.VOUCHER, PaymentStatus.SUCCEEDED, INDIVIDUAL)
    ]
    assert voucher_left_minor(voucher) == 30_000 - INDIVIDUAL
    confirmation = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.booking_id == booking.id, OutboxEmail.kind == "confirmation"
        )
    ).one()
    assert f"Paid with gift voucher {ending(voucher)}: €250.00" in (
        confirmation_message(confirmation).text
    )
    page = client.get(page_url).get_data(as_text=True)
    assert "Your booking is confirmed" in page
    assert f"Paid with gift voucher {ending(voucher)}: €250.00" in page
    assert f"€50.00 stays on gift voucher {ending(voucher)}, for another booking." in page


def test_a_covered_booking_submitted_twice_is_confirmed_once(db, make_retreat, organizer):
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer, 30_000)

    first = held_booking(retreat, gift_voucher_code=voucher.code, submission_key="k" * 32)
    again = held_booking(retreat, gift_voucher_code=voucher.code, submission_key="k" * 32)

    assert first.id == again.id
    assert first.status == again.status == BookingStatus.CONFIRMED
    confirmations = select(func.count(OutboxEmail.id)).where(OutboxEmail.kind == "confirmation")
    assert db.session.scalar(confirmations) == 1
    assert voucher_left_minor(voucher) == 30_000 - INDIVIDUAL


def test_a_booking_the_card_must_pay_part_of_is_not_confirmed_by_the_voucher_alone(
    db, make_retreat, organizer
):
    voucher = create_gift_voucher(organizer, 10_000)
    booking = held_booking(make_retreat(), gift_voucher_code=voucher.code)

    assert booking.status == BookingStatus.PENDING
    assert voucher_payment(booking.id).status == PaymentStatus.OPEN


def test_a_deposit_the_voucher_covers_is_confirmed_and_the_balance_asked_later_by_link(
    client, db, make_retreat, organizer
):
    retreat = make_retreat(
        starts_in=timedelta(days=90),
        deposit_rule=DepositRule.PERCENT,
        deposit_value=30,
        balance_due_days=45,
    )
    voucher = create_gift_voucher(organizer, 10_000)  # more than the €75 deposit

    post_form(client, retreat, voucher.code, save_card_for_balance="y")

    booking = only_booking()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.card_due_at_booking_minor == 0
    assert booking.owed_minor == INDIVIDUAL - 10_000
    assert booking.balance_by_saved_card is False  # no card was given to charge
    mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "confirmation")).one()
    text = confirmation_message(mail).text
    assert "Paid today (deposit): €100.00" in text
    assert "Balance: €150.00, due by" in text


def test_a_deposit_pays_the_deposit_less_the_voucher_by_card(db, make_retreat, organizer):
    retreat = make_retreat(
        starts_in=timedelta(days=90),
        deposit_rule=DepositRule.PERCENT,
        deposit_value=40,
        balance_due_days=45,
    )
    voucher = create_gift_voucher(organizer, 4_000)
    booking = held_booking(retreat, gift_voucher_code=voucher.code, balance_by_saved_card=True)

    [line] = checkout_lines(booking)

    assert line.unit_amount_minor == 10_000 - 4_000
    assert f"deposit, less Gift voucher {ending(voucher)} (−€40.00)" in line.name
    assert booking.balance_by_saved_card is True  # the card pays part of today: it may be kept
    confirmed = confirm_booking(booking_id=booking.id, payment=card_payment(booking, 6_000))
    assert confirmed.status == BookingStatus.CONFIRMED
    assert confirmed.owed_minor == INDIVIDUAL - 10_000


# Unpaid bookings give the voucher's part back ------------------------------------------------


def test_an_expired_or_abandoned_booking_gives_the_voucher_its_part_back(
    db, make_retreat, organizer
):
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer, 20_000)  # less than a ticket: the card pays the rest
    first = held_booking(retreat, gift_voucher_code=voucher.code)
    assert (first.status, voucher_left_minor(voucher)) == (BookingStatus.PENDING, 0)

    expire_booking(booking_id=first.id)
    assert voucher_left_minor(voucher) == 20_000
    second = held_booking(retreat, gift_voucher_code=voucher.code)
    assert voucher_left_minor(voucher) == 0
    cancel_unpaid_booking(booking_id=second.id)
    assert voucher_left_minor(voucher) == 20_000
    assert voucher_payment(first.id).status == PaymentStatus.EXPIRED


def test_a_late_card_payment_does_not_take_the_voucher_again_and_is_refunded(
    db, make_retreat, organizer
):
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer, 10_000)
    booking = held_booking(retreat, gift_voucher_code=voucher.code)
    expire_booking(booking_id=booking.id)

    late = confirm_booking(booking_id=booking.id, payment=card_payment(booking, 15_000))

    assert late.status == BookingStatus.EXPIRED
    assert late.paid_without_a_seat  # the card's money goes back as unseated
    assert voucher_left_minor(voucher) == 10_000
    refund_unseated_payment(booking=late, payment=card_payment(booking, 15_000))
    db.session.expire_all()
    assert [(r.amount_minor, r.payment.kind) for r in db.session.scalars(select(Refund))] == [
        (15_000, PaymentKind.FULL)
    ]
    mail = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "unseated_payment_refunded")
    ).one()
    text = " ".join(unseated_payment_message(mail).text.split())
    assert "had gone back onto the voucher (it still has it)" in text
    assert "the full €150.00 is being refunded to the card" in text


# Refunds go back onto the voucher, the card's part to Stripe ---------------------------------


def test_cancelling_puts_the_voucher_part_back_on_it_and_refunds_the_card_at_stripe(
    live_site, browser, app, db, make_retreat, organizer, sign_in
):
    retreat = make_retreat(starts_in=timedelta(days=60))
    voucher = create_gift_voucher(organizer, 10_000)
    response = book_over_http(browser, live_site, retreat, voucher.code)
    page = pay_and_land(browser, response.headers["Location"])

    after = cancel_from_page(browser, page)

    assert "Your booking is cancelled" in after.text
    assert "€100.00: back on your gift voucher" in after.text
    db.session.expire_all()
    refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
    by_voucher = {refund.payment.from_voucher: refund for refund in refunds}
    assert by_voucher[True].amount_minor == 10_000
    assert by_voucher[True].status == RefundStatus.SUCCEEDED
    assert by_voucher[True].payment_intent_id is None and not by_voucher[True].returned_by_hand
    assert by_voucher[False].amount_minor == 15_000
    assert by_voucher[False].stripe_refund_id.startswith("re_")
    assert voucher_left_minor(voucher) == 10_000
    mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "cancellation")).one()
    text = " ".join(cancellation_message(mail).text.split())
    assert "You get €250.00 back, in two parts." in text
    assert "We are refunding €150.00 to the card you paid with." in text
    assert "€100.00 you paid with a gift voucher is back on the voucher at once" in text
    organizer_page = sign_in(organizer).get(
        f"/organizer/retreats/{retreat.id}/bookings/{by_voucher[True].booking_id}"
    )
    assert "back on the gift voucher" in organizer_page.get_data(as_text=True)


def test_a_partial_refund_gives_back_the_card_money_first_and_never_sends_the_voucher_part(
    app, db, make_retreat, organizer
):
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer, 10_000)
    booking = held_booking(retreat, gift_voucher_code=voucher.code)
    booking = confirm_booking(booking_id=booking.id, payment=card_payment(booking, 15_000))

    refunds = record_refunds(booking, amount_minor=20_000, reason="cancellation", now=utcnow())
    db.session.commit()

    assert [(r.payment.kind, r.amount_minor) for r in refunds] == [
        (PaymentKind.FULL, 15_000),
        (PaymentKind.VOUCHER, 5_000),
    ]
    assert voucher_left_minor(voucher) == 5_000
    send_due_refunds()  # no Stripe listens: only the card's refund is tried
    db.session.expire_all()
    assert [(r.status, r.attempts) for r in refunds] == [
        (RefundStatus.PENDING, 1),
        (RefundStatus.SUCCEEDED, 0),
    ]


def test_the_organizer_cancelling_the_retreat_gives_every_voucher_part_back(
    db, make_retreat, organizer
):
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer, 40_000)
    covered = held_booking(retreat, gift_voucher_code=voucher.code)
    assert covered.status == BookingStatus.CONFIRMED
    pending = held_booking(retreat, gift_voucher_code=voucher.code)
    assert voucher_left_minor(voucher) == 0

    result = cancel_retreat(retreat_id=retreat.id, actor_id=organizer.id)

    assert result.refund_minor == INDIVIDUAL
    db.session.expire_all()
    assert {booking.status for booking in db.session.scalars(select(Booking))} == {
        BookingStatus.CANCELLED,
        BookingStatus.EXPIRED,
    }
    assert voucher_payment(pending.id).status == PaymentStatus.EXPIRED
    [refund] = db.session.scalars(select(Refund)).all()
    assert (refund.status, refund.returned_by_hand) == (RefundStatus.SUCCEEDED, False)
    assert voucher_left_minor(voucher) == 40_000
