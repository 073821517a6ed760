"""The booking page's forms about money paid outside Stripe and money still owed: a later due
date for the balance, a payment received outside Stripe, and a refund of such a payment
returned by hand. A refused form comes back on the booking page with its message beside the
field; anything else refused is flashed."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from retreats.errors import DomainError
from retreats.formatting import format_money
from retreats.organizer.access import (
    booking_for_organizer,
    refund_for_organizer,
    retreat_for_organizer,
)
from retreats.organizer.attendees.balances import (
    extend_balance_due,
    mark_refund_returned,
    record_offline_payment,
)
from retreats.organizer.attendees.forms import (
    BalanceDueForm,
    OfflinePaymentForm,
    RefundReturnedForm,
)
from retreats.organizer.attendees.views import booking_page
from retreats.organizer.blueprint import blueprint

EXPIRED_FORM = "That form had expired, so nothing changed. Please try again."


def _back_to_booking(retreat_id: int, booking_id: int, anchor: str | None = None):
    url = url_for(
        "organizer.booking_detail", retreat_id=retreat_id, booking_id=booking_id, _anchor=anchor
    )
    return redirect(url, code=303)


def _refused(form, error: DomainError):
    """A message for one field goes beside it (the page is shown again); others are flashed."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
        return True
    flash(error.message, "error")
    return False


@blueprint.post("/retreats/<int:retreat_id>/bookings/<int:booking_id>/balance-due")
def extend_balance_due_date(retreat_id: int, booking_id: int):
    """Give a booking that owes its balance a later due date; the worker asks again then."""
    retreat = retreat_for_organizer(retreat_id)
    booking = booking_for_organizer(retreat, booking_id)
    form = BalanceDueForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            flash(EXPIRED_FORM, "error")
            return _back_to_booking(retreat.id, booking.id)
        return booking_page(retreat, booking, due_form=form, status=422)
    try:
        moved = extend_balance_due(
            booking_id=booking.id,
            actor_id=current_user.id,
            due_on=form.due_on.data,
            version=form.version.data,
        )
    except DomainError as error:
        if _refused(form, error):
            return booking_page(retreat, booking, due_form=form, status=error.status_code)
        return _back_to_booking(retreat.id, booking.id, "balance")
    new_date = moved.new_due_at.astimezone(retreat.zone)
    flash(
        f"The balance of {booking.reference} is now due by {new_date:%-d %b %Y, %H:%M}; "
        "its reminders moved with it.",
        "success",
    )
    return _back_to_booking(retreat.id, booking.id, "balance")


@blueprint.post("/retreats/<int:retreat_id>/bookings/<int:booking_id>/offline-payments")
def record_offline_payment_received(retreat_id: int, booking_id: int):
    """Record a bank transfer or cash received for a confirmed booking that owes something."""
    retreat = retreat_for_organizer(retreat_id)
    booking = booking_for_organizer(retreat, booking_id)
    currency, reference = booking.currency, booking.reference
    form = OfflinePaymentForm(currency=currency)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            flash(EXPIRED_FORM, "error")
            return _back_to_booking(retreat.id, booking.id)
        return booking_page(retreat, booking, payment_form=form, status=422)
    try:
        owed_after = record_offline_payment(
            booking_id=booking.id,
            actor_id=current_user.id,
            amount_minor=form.amount_minor,
            note=form.note.data,
            version=form.version.data,
        )
    except DomainError as error:
        if _refused(form, error):
            return booking_page(retreat, booking, payment_form=form, status=error.status_code)
        return _back_to_booking(retreat.id, booking.id, "balance")
    received = format_money(form.amount_minor, currency)
    still = f"it still owes {format_money(owed_after, currency)}" if owed_after else "paid in full"
    flash(f"{received} received is on the ledger of {reference}: {still}.", "success")
    return _back_to_booking(retreat.id, booking.id, "balance")


@blueprint.post(
    "/retreats/<int:retreat_id>/bookings/<int:booking_id>/refunds/<int:refund_id>/returned"
)
def mark_refund_returned_by_hand(retreat_id: int, booking_id: int, refund_id: int):
    """Mark a refund of money paid offline as given back by hand, saying how."""
    retreat = retreat_for_organizer(retreat_id)
    booking = booking_for_organizer(retreat, booking_id)
    refund = refund_for_organizer(booking, refund_id)
    form = RefundReturnedForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            flash(EXPIRED_FORM, "error")
            return _back_to_booking(retreat.id, booking.id, "refunds")
        return booking_page(retreat, booking, returned_form=(refund.id, form), status=422)
    try:
        returned = mark_refund_returned(
            booking_id=booking.id,
            refund_id=refund.id,
            actor_id=current_user.id,
            note=form.note.data,
            version=form.version.data,
        )
    except DomainError as error:
        if _refused(form, error):
            return booking_page(retreat, booking, returned_form=(refund.id, form), status=422)
        return _back_to_booking(retreat.id, booking.id, "refunds")
    money = format_money(returned.amount_minor, returned.currency)
    flash(f"{money} is marked returned to {booking.contact_name}.", "success")
    return _back_to_booking(retreat.id, booking.id, "refunds")
