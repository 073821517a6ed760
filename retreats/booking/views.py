"""The booking form, the manage page (the success page too), cancelling, and the way back from
Checkout. Importing this module registers every booking page: also the waitlist's
(waitlist_views.py), the preparation guide's (guide_views.py) and the Stripe webhook
(stripe_webhook.py). What the pages share is in blueprint.py."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for

# The guide, the waitlist and the Stripe webhook add their routes to this blueprint too.
from retreats.booking import guide_views, stripe_webhook, waitlist_views  # noqa: F401
from retreats.booking.balance import NOTHING_OWED, open_balance_checkout
from retreats.booking.balance_collection import cancels_at, is_overdue
from retreats.booking.blueprint import (
    blueprint,
    bookable_retreat,
    booking_form_response,
    booking_from_link_or_404,
    manage_page_url,
    retreat_to_book,
)
from retreats.booking.cancellation import can_be_cancelled, cancel_booking, refund_if_cancelled_now
from retreats.booking.capacity import tickets_for_sale
from retreats.booking.checkout import abandon_checkout, sync_from_success_page
from retreats.booking.forms import BalanceForm, CancelBookingForm, StayChoiceForm
from retreats.booking.models import BookingStatus
from retreats.booking.pricing import booking_quote
from retreats.booking.quotes import PriceSummary, quote_choice
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.formatting import format_money
from retreats.payments.stripe_gateway import PaymentGatewayError

log = logging.getLogger(__name__)


@blueprint.post("/retreats/<slug>/book")
def book(slug: str):
    """The booking form of one retreat, posted: hold and pay, or the form again with its
    messages. The blank form (a GET of this URL) is kept for everyone: catalog.booking_form."""
    retreat, seats_taken_seen = retreat_to_book(slug)
    return booking_form_response(retreat, seats_taken_seen=seats_taken_seen)


@blueprint.post("/retreats/<slug>/book/quote")
def quote(slug: str):
    """The booking form's total for the ticket, room and add-ons posted: the form's script
    shows it as the visitor chooses. A choice the hold would refuse is a 4xx with the reason."""
    retreat = bookable_retreat(slug)
    form = StayChoiceForm(ticket_types=tickets_for_sale(retreat, now=utcnow()))
    status = 200
    if not form.validate_stay_choice():
        summary, status = PriceSummary(problem=next(iter(form.errors.values()))[0]), 422
    else:
        try:
            summary = quote_choice(
                retreat,
                tickets=list(form.ticket_types_by_id.values()),
                ticket_type_id=form.ticket_type.data,
                room_type_id=form.room_type_id,
                room_chosen=form.room_chosen,
                add_on_ids=form.add_on_ids,
                discount_code=form.discount_code.data or "",
                gift_voucher_code=form.gift_voucher_code.data or "",
            )
        except DomainError as error:
            summary, status = PriceSummary(problem=error.message), error.status_code
    return render_template("booking/_price_summary.html", summary=summary, retreat=retreat), status


@blueprint.get("/bookings/<reference>")
def manage(reference: str):
    """A booking's own page, reached by its secret link; also where Checkout returns on success."""
    booking = booking_from_link_or_404(reference)
    session_id = request.args.get("session_id")
    if session_id:
        try:
            sync_from_success_page(booking=booking, session_id=session_id)
        except PaymentGatewayError as error:
            log.warning("Success page could not reach Stripe for %s: %s", reference, error)
        except DomainError as error:
            flash(error.message, "error")
        return redirect(manage_page_url(booking), code=303)
    can_cancel = can_be_cancelled(booking, now=utcnow())
    return render_template(
        "booking/manage.html",
        booking=booking,
        retreat=booking.retreat,
        quote=booking_quote(booking),
        cancel_form=CancelBookingForm() if can_cancel else None,
        balance_form=BalanceForm() if booking.owed_minor else None,
        overdue=is_overdue(booking, now=utcnow()),
        cancels_at=cancels_at(booking),
        refund_if_cancelled=refund_if_cancelled_now(booking) if can_cancel else None,
    )


@blueprint.get("/bookings/<reference>/balance")
def balance_page(reference: str):
    """The emailed link to pay the balance: what is owed, and the button that pays it. The
    amount in the link must be what is owed now; any other is refused (nothing is charged)."""
    booking = booking_from_link_or_404(reference)
    owed = booking.owed_minor
    linked = request.args.get("amount", "")
    problem, status = None, 200
    if owed <= 0:
        problem = NOTHING_OWED
    elif linked and linked != str(owed):
        problem = (
            "This link's amount is not what the booking owes now, so it pays nothing. "
            f"What is owed now is {format_money(owed, booking.currency)}."
        )
        status = 400
    return render_template(
        "booking/balance.html",
        booking=booking,
        retreat=booking.retreat,
        problem=problem,
        balance_form=BalanceForm() if owed > 0 else None,
    ), status


@blueprint.post("/bookings/<reference>/balance")
def pay_balance(reference: str):
    """Pay what a booking with a deposit still owes: on to Checkout for exactly that amount."""
    booking = booking_from_link_or_404(reference)
    form = BalanceForm()
    if not form.validate_on_submit():
        flash("Please use the button on this page to pay the balance.", "error")
        return redirect(manage_page_url(booking), code=303)
    page = manage_page_url(booking)
    shown = form.shown_amount()
    if shown is not None and shown != booking.owed_minor:
        flash(
            "What this booking owes changed since that page was shown, so nothing was charged. "
            "Please look at the amount again.",
            "error",
        )
        return redirect(page, code=303)
    try:
        return redirect(open_balance_checkout(booking), code=303)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(page, code=303)


@blueprint.post("/bookings/<reference>/cancel")
def cancel(reference: str):
    """Cancel a confirmed booking from its manage page; the refund follows the policy."""
    booking = booking_from_link_or_404(reference)
    form = CancelBookingForm()
    if not form.validate_on_submit():
        flash("Please tick the box to confirm that you want to cancel.", "error")
        return redirect(manage_page_url(booking), code=303)
    try:
        result = cancel_booking(booking_id=booking.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        if result.refund_minor:
            flash("Your booking is cancelled. Your refund is on its way.", "info")
        else:
            flash("Your booking is cancelled.", "info")
    return redirect(manage_page_url(booking), code=303)


@blueprint.get("/bookings/<reference>/abandon")
def abandon(reference: str):
    """Checkout's cancel link: release the held seats and go back to the form."""
    booking = booking_from_link_or_404(reference)
    try:
        abandon_checkout(booking=booking)
    except PaymentGatewayError:
        flash("We could not reach the payment provider; your places will be released shortly.")
    except DomainError as error:
        # Paid in another tab, but it could not be confirmed just now: their booking's page.
        flash(error.message, "error")
        return redirect(manage_page_url(booking), code=303)
    else:
        if booking.status == BookingStatus.CONFIRMED:
            return redirect(manage_page_url(booking), code=303)
        flash(
            "You left the payment page, so nothing was charged and your places were released. "
            "You are welcome to book again.",
            "info",
        )
    return redirect(url_for("booking.book", slug=booking.retreat.slug), code=303)
