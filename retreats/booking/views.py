"""The booking form, the manage page (the success page too), cancelling, and the way back from
Checkout. The waitlist's pages are in waitlist_views.py, the preparation guide's in
guide_views.py."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..catalog.queries import Listing, published_listing
from ..database import utcnow
from ..errors import DomainError, SoldOut
from ..payments.checkout import abandon_checkout, open_checkout_session, sync_from_success_page
from ..payments.stripe_gateway import PaymentGatewayError
from .cancellation import can_be_cancelled, cancel_booking, refund_if_cancelled_now
from .capacity import tickets_for_sale
from .forms import BookingForm, CancelBookingForm
from .models import BookingStatus, WaitlistEntry
from .services import booking_for_link, hold_seats
from .tokens import booking_token

log = logging.getLogger(__name__)

blueprint = Blueprint("booking", __name__)


def bookable_listing(slug: str) -> Listing:
    """The published, upcoming listing for a booking page, or 404."""
    listing = published_listing(slug)
    if listing is None or not listing.retreat.is_open_for_booking(utcnow()):
        abort(404)
    return listing


def booking_form_response(listing: Listing, *, offer: WaitlistEntry | None = None):
    """Show the booking form; on a valid POST hold the seats and go to Stripe Checkout."""
    retreat = listing.retreat
    now = utcnow()
    tickets = tickets_for_sale(retreat, now=now)
    if offer is not None:
        tickets = [t for t in tickets if t.seats_per_ticket == offer.seats]
    form = BookingForm(ticket_types=tickets)
    if request.method == "GET":
        form.prepare(offer=offer)
    status = 200
    if form.validate_on_submit():
        try:
            booking = hold_seats(
                retreat_id=retreat.id,
                ticket_type_id=form.ticket_type.data,
                contact_email=form.contact_email,
                attendees=form.attendee_details(),
                submission_key=form.submission_key.data or None,
                waitlist_entry_id=offer.id if offer is not None else None,
            )
            if booking.status != BookingStatus.PENDING:  # a repeated submit of a finished one
                return redirect(manage_page_url(booking), code=303)
            return redirect(open_checkout_session(booking=booking), code=303)
        except SoldOut as error:
            flash(f"{error.message} You can join the waitlist below.", "error")
            status = error.status_code
        except DomainError as error:
            flash(error.message, "error")
            status = error.status_code
        listing = published_listing(retreat.slug)
    elif request.method == "POST":
        status = 422
    template_values = {"form": form, "listing": listing, "retreat": retreat, "offer": offer}
    return render_template("booking/book.html", tickets=tickets, **template_values), status


@blueprint.route("/retreats/<slug>/book", methods=["GET", "POST"])
def book(slug: str):
    """The booking form of one retreat."""
    return booking_form_response(bookable_listing(slug))


def manage_page_url(booking) -> str:
    """The booking's manage page on this site, with its secret token."""
    return url_for(
        "booking.manage", reference=booking.reference, t=booking_token(booking.reference)
    )


def booking_from_link_or_404(reference: str):
    """The booking of a manage link; 404 for a wrong or missing token (compared in constant
    time by booking_for_link)."""
    booking = booking_for_link(reference, request.args.get("t"))
    if booking is None:
        abort(404)
    return booking


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
        cancel_form=CancelBookingForm() if can_cancel else None,
        refund_if_cancelled=refund_if_cancelled_now(booking) if can_cancel else None,
    )


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
    else:
        if booking.status == BookingStatus.CONFIRMED:
            return redirect(manage_page_url(booking), code=303)
        flash(
            "You left the payment page, so nothing was charged and your places were released. "
            "You are welcome to book again.",
            "info",
        )
    return redirect(url_for("booking.book", slug=booking.retreat.slug), code=303)


# These add their routes to this blueprint: the preparation guide's pages and the waitlist's.
from . import guide_views, waitlist_views  # noqa: E402, F401
