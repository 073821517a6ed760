"""The blueprint of the public booking pages, and what those pages share: loading a listing or
a booking from its link (404 otherwise), and the booking form with its way to Checkout."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from retreats.booking.availability import (
    Listing,
    published_listing,
    published_retreat,
    published_retreat_and_seats_taken,
)
from retreats.booking.capacity import tickets_for_sale
from retreats.booking.checkout import open_checkout_session
from retreats.booking.form_questions import BookingQuestions
from retreats.booking.forms import BookingForm, visitor_fields
from retreats.booking.models import BookingStatus, WaitlistEntry
from retreats.booking.quotes import PriceSummary, quote_choice
from retreats.booking.services import booking_for_link, hold_seats
from retreats.booking.tokens import booking_token
from retreats.database import utcnow
from retreats.errors import DomainError, NoPlaceLeft, SoldOut
from retreats.listings.models import Retreat, TicketType
from retreats.listings.questions import asked_questions

blueprint = Blueprint("booking", __name__)

# The buttons that only show the form again with its choices (for browsers without scripts):
# the total of the stay chosen, the questions of the ticket chosen. Nothing is held.
SHOW_AGAIN_BUTTONS = ("update_total", "show_questions")


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


def retreat_to_book(slug: str) -> tuple[Retreat, int]:
    """The published, upcoming retreat a booking POST is for, with its seats taken counted
    unlocked in the same statement (for the hold's early "sold out"), or 404."""
    now = utcnow()
    found = published_retreat_and_seats_taken(slug, now=now)
    if found is None or not found[0].is_open_for_booking(now):
        abort(404)
    return found


def booking_form_response(
    retreat: Retreat,
    *,
    listing: Listing | None = None,
    offer: WaitlistEntry | None = None,
    seats_taken_seen: int | None = None,
):
    """Show the booking form; on a valid POST hold the seats and go to Stripe Checkout.

    `listing` (the retreat with its seats, rooms and add-ons left) is what the form shows; it is
    loaded here when the form has to be shown and was not given, so a POST that books never
    counts seats twice. A POST with `update_total` or `show_questions` (the buttons for browsers
    without scripts) only shows the form again with the total of its choices and the questions
    of its ticket: nothing is held. The retreat's own questions cost one statement (none asked:
    that one still); their answers are held with the seats, or every message is shown beside its
    question and nothing is held. `seats_taken_seen` (retreat_to_book) spares the hold counting
    the seats again before it queues for the lock.
    """
    now = utcnow()
    tickets = tickets_for_sale(retreat, now=now)
    if offer is not None:
        tickets = [t for t in tickets if t.seats_per_ticket == offer.seats]
    sent = request.form.to_dict(flat=False) if request.method == "POST" else None
    form = new_booking_form(retreat, tickets, sent=sent)
    if request.method == "GET":
        form.prepare(offer=offer)
    status = 200
    refusal: DomainError | None = None
    if request.method == "POST" and any(name in request.form for name in SHOW_AGAIN_BUTTONS):
        if not form.validate_stay_choice():
            status = 422
    elif form.validate_on_submit():
        try:
            return _hold_and_go_to_checkout(form, retreat, offer, seats_taken_seen)
        except DomainError as error:
            refusal, status = error, error.status_code
        # Read again, as the places left changed; unless none is left, which the refusal itself
        # tells: then the page says sold out, with no form and nothing counted (most answers in
        # a rush).
        listing = _sold_out(retreat) if isinstance(refusal, NoPlaceLeft) and not offer else None
    elif request.method == "POST":
        status = 422
    if listing is None:
        listing = published_listing(retreat.slug, now=now)
        if listing is None:  # made a draft again meanwhile
            abort(404)
    if refusal is not None:
        form.questions.read_again_if_rolled_back(retreat)
    form.offer_stay(listing.stay)
    form.keep_offered_room(offer)
    if refusal is not None:
        _tell_refusal(form, refusal)
    summary = price_summary(form, listing.retreat, tickets) if form.offers_stay else None
    if summary is not None and summary.problem and status == 200:
        status = 400  # "Update total" with a choice the hold would refuse: told beside it
    template_values = {"form": form, "listing": listing, "retreat": retreat, "offer": offer}
    return render_template(
        "booking/book.html",
        tickets=tickets,
        summary=summary,
        visitor_fields=visitor_fields(form.submission_key.data),
        **template_values,
    ), status


def _sold_out(retreat: Retreat) -> Listing:
    return Listing(retreat=retreat, seats_left=0, lowest_price_minor=None)


def new_booking_form(
    retreat: Retreat, tickets: list[TicketType], *, sent=None, **form_options
) -> BookingForm:
    """The booking form of `retreat` offering `tickets`, with its questions (one statement) and
    what was `sent` for them."""
    sells_rooms = any(not room_type.hidden for room_type in retreat.room_types)
    questions = BookingQuestions(asked_questions(retreat), tickets=tickets, sent=sent)
    return BookingForm(
        ticket_types=tickets, sells_rooms=sells_rooms, questions=questions, **form_options
    )


def _hold_and_go_to_checkout(
    form: BookingForm,
    retreat: Retreat,
    offer: WaitlistEntry | None,
    seats_taken_seen: int | None,
):
    """Hold what the valid form chose and send the visitor to pay (DomainError: refused)."""
    booking = hold_seats(
        retreat_id=retreat.id,
        ticket_type_id=form.ticket_type.data,
        contact_email=form.contact_email,
        attendees=form.attendee_details(),
        room_type_id=form.room_type_id,
        add_on_ids=form.add_on_ids,
        room_share_with=form.room_share_with.data or "",
        submission_key=form.submission_key.data or None,
        waitlist_entry_id=offer.id if offer is not None else None,
        balance_by_saved_card=bool(form.save_card_for_balance.data),
        answers=form.questions.given,
        discount_code=form.discount_code.data or "",
        gift_voucher_code=form.gift_voucher_code.data or "",
        seats_taken_seen=seats_taken_seen,
    )
    # Confirmed (gift vouchers covered what is due today), or a repeated submit of a booking
    # that is no longer pending: nothing for Checkout to ask.
    if booking.status != BookingStatus.PENDING:
        return redirect(manage_page_url(booking), code=303)
    return redirect(open_checkout_session(booking=booking), code=303)


def _tell_refusal(form: BookingForm, refusal: DomainError) -> None:
    """Put the hold's refusal beside the field it is about, or at the top of the page."""
    if refusal.field and form.shows(refusal.field):
        field = form[refusal.field]
        field.errors = [*field.errors, refusal.message]
    elif isinstance(refusal, SoldOut) and refusal.field is None:  # the seats ran out
        flash(f"{refusal.message} You can join the waitlist below.", "error")
    else:
        flash(refusal.message, "error")


def price_summary(form: BookingForm, retreat: Retreat, tickets) -> PriceSummary:
    """The total of the form's choices; a choice the hold would refuse is told beside its
    field (unless it already has a message) and in the summary."""
    if form.room_type.errors or form.add_ons.errors:
        return PriceSummary(prompt="Choose among the rooms and extras offered to see your total.")
    try:
        return quote_choice(
            retreat,
            tickets=tickets,
            ticket_type_id=form.ticket_type.data,
            room_type_id=form.room_type_id,
            room_chosen=form.room_chosen,
            add_on_ids=form.add_on_ids,
            discount_code=form.discount_code.data or "",
            gift_voucher_code=form.gift_voucher_code.data or "",
        )
    except DomainError as error:
        if error.field and form.shows(error.field) and not form[error.field].errors:
            form[error.field].errors = [error.message]
        return PriceSummary(problem=error.message)


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
