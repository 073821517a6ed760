"""The booking form, the manage page (the success page too) and the way back from Checkout."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..catalog.models import RetreatStatus
from ..catalog.queries import published_listing
from ..database import utcnow
from ..errors import DomainError
from ..payments.checkout import abandon_checkout, open_checkout_session, sync_from_success_page
from ..payments.stripe_gateway import PaymentGatewayError
from .forms import BookingForm
from .services import booking_for_link, hold_seats

log = logging.getLogger(__name__)

blueprint = Blueprint("booking", __name__)


def _bookable_listing(slug: str):
    listing = published_listing(slug)
    if (
        listing is None
        or listing.retreat.status != RetreatStatus.PUBLISHED
        or listing.retreat.starts_at <= utcnow()
    ):
        abort(404)
    return listing


@blueprint.route("/retreats/<slug>/book", methods=["GET", "POST"])
def book(slug: str):
    """Show the booking form; on a valid POST hold the seats and go to Stripe Checkout."""
    listing = _bookable_listing(slug)
    retreat = listing.retreat
    now = utcnow()
    tickets = [ticket for ticket in retreat.ticket_types if ticket.on_sale_at(now)]
    form = BookingForm(ticket_types=tickets)
    if request.method == "GET" and len(tickets) == 1:
        form.ticket_type.data = tickets[0].id
    status = 200
    if listing.sold_out:
        if request.method == "POST":
            flash(f"Sorry, {retreat.title} sold out while you were filling in the form.", "error")
            status = 409
    elif form.validate_on_submit():
        try:
            booking = hold_seats(
                retreat_id=retreat.id,
                ticket_type_id=form.ticket_type.data,
                contact_email=form.contact_email,
                attendees=form.attendee_details(),
            )
            checkout_url = open_checkout_session(booking=booking)
        except DomainError as error:
            flash(error.message, "error")
            status = error.status_code
            listing = published_listing(slug)
        else:
            return redirect(checkout_url, code=303)
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "booking/book.html", form=form, listing=listing, retreat=retreat, tickets=tickets
        ),
        status,
    )


@blueprint.get("/bookings/<reference>")
def manage(reference: str):
    """A booking's own page, reached by its secret link; also where Checkout returns on success."""
    token = request.args.get("t")
    booking = booking_for_link(reference, token)
    if booking is None:
        abort(404)
    session_id = request.args.get("session_id")
    if session_id:
        try:
            sync_from_success_page(booking=booking, session_id=session_id)
        except PaymentGatewayError as error:
            log.warning("Success page could not reach Stripe for %s: %s", reference, error)
        except DomainError as error:
            flash(error.message, "error")
        return redirect(url_for("booking.manage", reference=reference, t=token), code=303)
    return render_template("booking/manage.html", booking=booking, retreat=booking.retreat)


@blueprint.get("/bookings/<reference>/abandon")
def abandon(reference: str):
    """Checkout's cancel link: release the held seats and go back to the form."""
    booking = booking_for_link(reference, request.args.get("t"))
    if booking is None:
        abort(404)
    try:
        abandon_checkout(booking=booking)
    except PaymentGatewayError:
        flash("We could not reach the payment provider; your places will be released shortly.")
    else:
        if booking.status == "confirmed":
            return redirect(url_for("booking.manage", reference=reference, t=request.args["t"]))
        flash(
            "You left the payment page, so nothing was charged and your places were released. "
            "You are welcome to book again.",
            "info",
        )
    return redirect(url_for("booking.book", slug=booking.retreat.slug), code=303)
