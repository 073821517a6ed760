"""The organizer's discount codes: the list, a new code, and disabling one. Every code is the
signed-in organizer's own and is loaded through code_for_organizer (404 for anyone else's)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from retreats.database import utcnow
from retreats.discounts.models import DiscountCode
from retreats.discounts.rules import takes_off
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.organizer.blueprint import blueprint
from retreats.organizer.discounts import services as discounts
from retreats.organizer.discounts.forms import DiscountCodeForm
from retreats.organizer.form_fields import ActionForm

EXPIRED_FORM = "That form had expired, so nothing changed. Please try again."


def code_for_organizer(code_id: int) -> DiscountCode:
    """The code if it is the signed-in organizer's own, else 404."""
    code = db.session.get(DiscountCode, code_id)
    if code is None or code.organizer_id != current_user.id:
        abort(404)
    return code


def last_day(code: DiscountCode):
    """The last day a code is valid on: the day before the moment it stops."""
    return (code.valid_until - timedelta(microseconds=1)).date() if code.valid_until else None


@blueprint.get("/discount-codes")
def discount_codes():
    """The organizer's codes, with what each takes off, where, when, its uses and revenue."""
    rows = discounts.code_rows(current_user.id, now=utcnow())
    return render_template(
        "organizer/discount_codes.html",
        rows=rows,
        takes_off=takes_off,
        last_day=last_day,
    )


def _form_page(form: DiscountCodeForm, status: int = 200):
    return render_template("organizer/discount_code_form.html", form=form), status


def _show_error(form: DiscountCodeForm, error: DomainError) -> None:
    """Put a service's message beside its field, or at the top of the page."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        flash(error.message, "error")


@blueprint.route("/discount-codes/new", methods=["GET", "POST"])
def new_discount_code():
    """Create a code for all of the organizer's retreats or some, some tickets or rooms."""
    form = DiscountCodeForm(retreats=discounts.organizer_retreats(current_user.id))
    if not form.validate_on_submit():
        return _form_page(form, status=422 if form.is_submitted() else 200)
    try:
        code = discounts.create_discount_code(
            organizer_id=current_user.id, actor_id=current_user.id, details=form.details()
        )
    except DomainError as error:
        _show_error(form, error)
        return _form_page(form, status=error.status_code if error.field is None else 422)
    flash(f"Code {code.code} created.", "success")
    return redirect(url_for("organizer.discount_codes"), code=303)


@blueprint.post("/discount-codes/<int:code_id>/disable")
def disable_discount_code(code_id: int):
    """Stop a code from being used; bookings that used it keep their discount."""
    code = code_for_organizer(code_id)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(url_for("organizer.discount_codes"), code=303)
    try:
        changed = discounts.disable_discount_code(
            organizer_id=current_user.id, code_id=code.id, actor_id=current_user.id, now=utcnow()
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        message = f"Code {code.code} disabled." if changed else f"{code.code} was already disabled."
        flash(message, "success")
    return redirect(url_for("organizer.discount_codes"), code=303)
