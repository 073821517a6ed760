"""A retreat's attendee list and what an organizer does from it: check in, export, look at one
booking, cancel and refund it, resend its confirmation, write to every confirmed booking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import Row

from retreats.booking.balance_collection import cancels_at, is_overdue
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.pricing import booking_quote
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.formatting import format_money
from retreats.listings.models import Retreat
from retreats.organizer.access import (
    attendee_for_organizer,
    booking_for_organizer,
    retreat_for_organizer,
)
from retreats.organizer.attendees.actions import (
    RefundChoice,
    cancel_booking_for_attendee,
    message_confirmed_attendees,
    record_attendees_exported,
    record_private_answers_viewed,
    refund_options,
    resend_confirmation,
    set_checked_in,
)
from retreats.organizer.attendees.answers import (
    answer_filters,
    answer_parameters,
    answers_of_booking,
    questions_on_the_list,
    questions_still_asked,
)
from retreats.organizer.attendees.export import attendee_csv_lines, export_filename
from retreats.organizer.attendees.forms import (
    AttendeeFilterForm,
    BalanceDueForm,
    CancelBookingForm,
    CheckInForm,
    MessageAttendeesForm,
    OfflinePaymentForm,
    RefundReturnedForm,
    ResendConfirmationForm,
)
from retreats.organizer.attendees.queries import (
    PAGE_SIZE,
    AttendeeFilter,
    attendee_counts,
    confirmed_recipients,
    emails_for_booking,
    listed_bookings,
    message_preview,
)
from retreats.organizer.blueprint import blueprint
from retreats.payments.models import RefundStatus


def _filter_from_query() -> AttendeeFilterForm:
    """The list's filter from the query string; a filter we do not offer is a 400."""
    form = AttendeeFilterForm(request.args)
    if not form.validate():
        abort(400, description="That filter is not one this list offers.")
    return form


def _chosen_filter(form: AttendeeFilterForm, questions: list[Row]) -> AttendeeFilter:
    """The form's filter and the answers chosen to the questions offered as filters (an option
    a question does not offer is a 400; a parameter naming any other question is ignored)."""
    answers = answer_filters(questions, request.args)
    if answers is None:
        abort(400, description="That filter is not one this list offers.")
    return replace(form.chosen(), answers=answers)


def _list_url(
    retreat_id: int,
    *,
    status: str = "confirmed",
    q: str = "",
    page=None,
    private: bool = False,
    answers: Mapping[str, str] | None = None,
    anchor=None,
) -> str:
    """The list's address; page 1 and an empty search are left out, as is private when off;
    `answers` are the answer filters (answer-<question id>: option)."""
    return url_for(
        "organizer.attendees",
        retreat_id=retreat_id,
        status=status,
        q=q or None,
        page=page if page and page > 1 else None,
        private=1 if private else None,
        _anchor=anchor,
        **(answers or {}),
    )


def _detail_url(retreat_id: int, booking_id: int) -> str:
    return url_for("organizer.booking_detail", retreat_id=retreat_id, booking_id=booking_id)


@blueprint.get("/retreats/<int:retreat_id>/attendees")
def attendees(retreat_id: int):
    """Everyone on a retreat, a page at a time, couples together, filtered by status, a search
    and choice answers; private answers if asked (audited)."""
    retreat = retreat_for_organizer(retreat_id)
    filter_form = _filter_from_query()
    questions = questions_still_asked(retreat.id)
    chosen = _chosen_filter(filter_form, questions)
    show_private = filter_form.private.data
    counts = attendee_counts(retreat.id, chosen)
    # A page past the end (the list got shorter since its link was made) shows the last one.
    page = min(filter_form.page.data or 1, counts.pages)
    if show_private:
        record_private_answers_viewed(
            actor_id=current_user.id,
            retreat_id=retreat.id,
            detail=f"list: {chosen.describe()}, page {page}",
        )
    bookings = listed_bookings(retreat.id, chosen, page=page, with_private=show_private)
    return render_template(
        "organizer/attendees.html",
        retreat=retreat,
        filter_form=filter_form,
        chosen=chosen,
        show_private=show_private,
        page=page,
        page_size=PAGE_SIZE,
        bookings=bookings,
        counts=counts,
        **questions_on_the_list(questions, bookings),
        list_url=partial(
            _list_url,
            retreat.id,
            status=chosen.status,
            q=chosen.search,
            answers=chosen.answer_parameters(),
        ),
        booking_quote=booking_quote,
        balance_overdue=partial(is_overdue, now=utcnow()),
    )


@blueprint.get("/retreats/<int:retreat_id>/attendees.csv")
def export_attendees(retreat_id: int):
    """The list as CSV, streamed; private answers only when the box was ticked. Audited."""
    retreat = retreat_for_organizer(retreat_id)
    filter_form = _filter_from_query()
    chosen = _chosen_filter(filter_form, questions_still_asked(retreat.id))
    include_private = filter_form.private.data
    lines = attendee_csv_lines(retreat, chosen, include_private=include_private)
    filename = export_filename(retreat)
    record_attendees_exported(
        actor_id=current_user.id,
        retreat_id=retreat_id,
        include_private=include_private,
        detail=chosen.describe(),
    )
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blueprint.post("/retreats/<int:retreat_id>/attendees/<int:attendee_id>/check-in")
def check_in(retreat_id: int, attendee_id: int):
    """Check one person in at the door, or undo it; back to the same place in the list."""
    retreat = retreat_for_organizer(retreat_id)
    attendee = attendee_for_organizer(retreat, attendee_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        flash("That check-in did not go through. Please try again.", "error")
        return redirect(_list_url(retreat.id), code=303)
    name, wanted = attendee.name, form.checked_in.data == "1"
    try:
        changed = set_checked_in(
            attendee_id=attendee.id, actor_id=current_user.id, checked_in=wanted
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        if not changed:
            flash(f"{name} was already {'checked in' if wanted else 'not checked in'}.", "info")
        else:
            flash(f"{name} is checked in." if wanted else f"Check-in undone for {name}.", "info")
    back = _list_url(
        retreat_id,
        status=form.status.data,
        q=form.q.data,
        page=form.page.data,
        answers=answer_parameters(request.form),
        anchor=f"attendee-{attendee_id}",
    )
    return redirect(back, code=303)


@blueprint.get("/retreats/<int:retreat_id>/bookings/<int:booking_id>")
def booking_detail(retreat_id: int, booking_id: int):
    """One booking in full: its people and their answers (private ones if asked, audited), ledger
    and emails, and what can be done with it."""
    retreat = retreat_for_organizer(retreat_id)
    booking = booking_for_organizer(retreat, booking_id)
    show_private = request.args.get("private") == "1"
    if show_private:
        record_private_answers_viewed(
            actor_id=current_user.id,
            retreat_id=retreat.id,
            booking_id=booking.id,
            detail=f"booking {booking.reference}",
        )
    return booking_page(retreat, booking, show_private=show_private)


def booking_page(
    retreat: Retreat,
    booking: Booking,
    *,
    show_private: bool = False,
    due_form: BalanceDueForm | None = None,
    payment_form: OfflinePaymentForm | None = None,
    returned_form: tuple[int, RefundReturnedForm] | None = None,
    status: int = 200,
):
    """The booking page; a form given is shown as it was sent (with its messages), the
    "returned" form with the id of its refund."""
    now = utcnow()
    cancel_form = None
    if booking.status == BookingStatus.CONFIRMED:
        options = refund_options(booking)
        cancel_form = CancelBookingForm(formdata=None)
        cancel_form.label_amounts(
            full=format_money(options.full_minor, booking.currency),
            policy=format_money(options.policy_minor, booking.currency),
        )
    owes = booking.owed_minor > 0
    if owes and booking.balance_due_at is not None and due_form is None:
        due_form = BalanceDueForm(formdata=None, version=booking.version)
    if owes and payment_form is None:
        payment_form = OfflinePaymentForm(
            formdata=None, currency=booking.currency, version=booking.version
        )
    overdue = is_overdue(booking, now=now)
    return render_template(
        "organizer/booking_detail.html",
        retreat=retreat,
        booking=booking,
        show_private=show_private,
        cancel_form=cancel_form,
        due_form=due_form if owes else None,
        payment_form=payment_form if owes else None,
        returned_forms=_returned_forms(booking, returned_form),
        overdue=overdue,
        cancels_at=cancels_at(booking) if overdue else None,
        quote=booking_quote(booking),
        answers=answers_of_booking(booking.id, with_private=show_private),
        emails=emails_for_booking(booking.id),
    ), status


def _returned_forms(
    booking: Booking, sent: tuple[int, RefundReturnedForm] | None
) -> dict[int, RefundReturnedForm]:
    """A "returned" form for each refund the organizer still has to give back by hand, by the
    refund's id; each field has its own id, as several can be on the page."""
    forms = {}
    for refund in booking.refunds:
        if refund.status != RefundStatus.BY_ORGANIZER:
            continue
        if sent and sent[0] == refund.id:
            form = sent[1]
        else:
            form = RefundReturnedForm(formdata=None, version=booking.version)
        form.note.id = f"refund-{refund.id}-note"
        forms[refund.id] = form
    return forms


@blueprint.post("/retreats/<int:retreat_id>/bookings/<int:booking_id>/cancel")
def cancel_booking(retreat_id: int, booking_id: int):
    """Cancel a confirmed booking with a full or a policy refund; the attendee is emailed."""
    retreat = retreat_for_organizer(retreat_id)
    booking = booking_for_organizer(retreat, booking_id)
    reference, currency = booking.reference, booking.currency
    form = CancelBookingForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(_detail_url(retreat_id, booking_id), code=303)
    try:
        result = cancel_booking_for_attendee(
            booking_id=booking.id, actor_id=current_user.id, refund=RefundChoice(form.refund.data)
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        refund = format_money(result.refund_minor, currency)
        flash(
            f"Booking {reference} is cancelled; {refund} is being refunded."
            if result.refund_minor
            else f"Booking {reference} is cancelled; no refund was due.",
            "info",
        )
        to_return = sum(
            row.amount_minor for row in booking.refunds if row.status == RefundStatus.BY_ORGANIZER
        )
        if to_return:
            flash(
                f"Of it, {format_money(to_return, currency)} was paid to you outside Stripe: "
                "give it back yourself the way it came, then mark it returned under Refunds.",
                "info",
            )
    return redirect(_detail_url(retreat_id, booking_id), code=303)


@blueprint.post(
    "/retreats/<int:retreat_id>/bookings/<int:booking_id>/resend", endpoint="resend_confirmation"
)
def resend_confirmation_email(retreat_id: int, booking_id: int):
    """Send a confirmed booking's confirmation email again (it may have been lost)."""
    retreat = retreat_for_organizer(retreat_id)
    booking = booking_for_organizer(retreat, booking_id)
    contact_email = booking.contact_email
    if not ResendConfirmationForm().validate_on_submit():
        flash("That did not go through. Please try again.", "error")
        return redirect(_detail_url(retreat_id, booking_id), code=303)
    try:
        resend_confirmation(booking_id=booking.id, actor_id=current_user.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"The confirmation is on its way to {contact_email} again.", "info")
    return redirect(_detail_url(retreat_id, booking_id), code=303)


@blueprint.route("/retreats/<int:retreat_id>/message", methods=["GET", "POST"])
def message_attendees(retreat_id: int):
    """Write to every confirmed booking: preview first, then send (through the outbox)."""
    retreat = retreat_for_organizer(retreat_id)
    form = MessageAttendeesForm()
    preview = None
    if form.validate_on_submit():
        if form.send.data:
            try:
                sent = message_confirmed_attendees(
                    retreat_id=retreat.id,
                    actor_id=current_user.id,
                    subject=form.subject.data,
                    body=form.body.data,
                )
            except DomainError as error:
                flash(error.message, "error")
            else:
                flash(f"Your message is on its way to {sent} confirmed booking(s).", "info")
                return redirect(_list_url(retreat_id), code=303)
        else:
            preview = message_preview(retreat, subject=form.subject.data, body=form.body.data)
    return render_template(
        "organizer/message_attendees.html",
        retreat=retreat,
        form=form,
        preview=preview,
        recipients=confirmed_recipients(retreat.id),
    )
