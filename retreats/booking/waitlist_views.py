"""Waitlist pages: join a sold-out retreat's list, and book through an emailed offer."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from retreats.booking.availability import published_listing
from retreats.booking.blueprint import blueprint, bookable_listing, booking_form_response
from retreats.booking.forms import WaitlistForm
from retreats.booking.tokens import waitlist_token_matches
from retreats.booking.waitlist import join_waitlist as add_to_waitlist
from retreats.booking.waitlist import live_offer
from retreats.errors import DomainError


@blueprint.route("/retreats/<slug>/waitlist", methods=["GET", "POST"])
def join_waitlist(slug: str):
    """Join the waitlist of a sold-out retreat."""
    listing = bookable_listing(slug)
    retreat = listing.retreat
    form = WaitlistForm(
        room_types=[room for room in retreat.room_types if not room.hidden],
        allows_no_accommodation=retreat.allows_no_accommodation,
    )
    status = 200
    if form.validate_on_submit():
        try:
            add_to_waitlist(
                retreat_id=retreat.id,
                name=form.name.data,
                email=form.email.data,
                seats=form.seats.data,
                room_type_id=form.room_type_id,
            )
        except DomainError as error:
            if error.field and error.field in form:
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                flash(error.message, "error")
            status = error.status_code
        else:
            flash(
                "You are on the waitlist. If places free up, we email you an offer that holds "
                "them for you for a while.",
                "info",
            )
            return redirect(url_for("catalog.detail", slug=slug), code=303)
    elif request.method == "POST":
        status = 422
    return render_template(
        "booking/waitlist.html", form=form, listing=listing, retreat=retreat
    ), status


@blueprint.route("/waitlist/<int:entry_id>", methods=["GET", "POST"])
def waitlist_offer(entry_id: int):
    """The link in an offer email: the booking form, with the offered places held."""
    if not waitlist_token_matches(request.args.get("t"), entry_id):
        abort(404)
    offer = live_offer(entry_id)
    if offer is None:
        return render_template("booking/offer_ended.html"), 410
    listing = published_listing(offer.retreat.slug)
    if listing is None:
        abort(404)
    return booking_form_response(listing.retreat, listing=listing, offer=offer)
