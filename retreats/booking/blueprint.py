"""The blueprint of the public booking pages, and what those pages share: loading a listing or
a booking from its link (404 otherwise), and the booking form with its way to Checkout."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from retreats.booking.availability import Listing, published_listing, published_retreat
from retreats.booking.capacity import tickets_for_sale
from retreats.booking.checkout import open_checkout_session
from retreats.booking.forms import BookingForm
from retreats.booking.models import BookingStatus, WaitlistEntry
from retreats.booking.services import booking_for_link, hold_seats
from retreats.booking.tokens import booking_token
from retreats.database import utcnow
from retreats.errors import DomainError, SoldOut
from retreats.listings.models import Retreat

blueprint = Blueprint("booking", __name__)


def bookable_listing(slug: str) -> Listing:
    """The published, upcoming listing for a booking page, or 404."""
    listing = published_listing(slug)
    if listing is None or not listing.retreat.is_open_for_booking(utcnow()):
        abort(404)
    return listing


def bookable_retreat(slug: str) -> Retreat:
    """The published, upcoming retreat a booking POST is for, or 404; its seats are not
    counted here, as the hold counts them under the lock."""
    retreat = published_retreat(slug)
    if retreat is None or not retreat.is_open_for_booking(utcnow()):
        abort(404)
    return retreat


def booking_form_response(
    retreat: Retreat, *, listing: Listing | None = None, offer: WaitlistEntry | None = None
):
    """Show the booking form; on a valid POST hold the seats and go to Stripe Checkout.

    `listing` (the retreat with its seats left) is what the form shows; it is loaded here when
    the form has to be shown and was not given, so a POST that books never counts seats twice.
    """
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
        listing = None  # read again: the seats left changed
    elif request.method == "POST":
        status = 422
    if listing is None:
        listing = published_listing(retreat.slug, now=now)
        if listing is None:  # made a draft again meanwhile
            abort(404)
    template_values = {"form": form, "listing": listing, "retreat": retreat, "offer": offer}
    return render_template("booking/book.html", tickets=tickets, **template_values), status


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
