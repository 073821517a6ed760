"""The organizer's gift vouchers: the list, and voiding one. Every voucher is the signed-in
organizer's own and is loaded through voucher_for_organizer (404 for anyone else's)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.gift_vouchers.models import GiftVoucher
from retreats.gift_vouchers.voiding import VoidRefused, check_voidable
from retreats.organizer.blueprint import blueprint
from retreats.organizer.gift_vouchers import services as vouchers
from retreats.organizer.gift_vouchers.forms import VoidVoucherForm


def voucher_for_organizer(voucher_id: int) -> GiftVoucher:
    """The voucher if it is the signed-in organizer's own, else 404."""
    voucher = db.session.get(GiftVoucher, voucher_id)
    if voucher is None or voucher.organizer_id != current_user.id:
        abort(404)
    return voucher


def why_not_voidable(voucher: GiftVoucher) -> str | None:
    """The reason the voucher cannot be voided now, or None when it can."""
    try:
        check_voidable(voucher, now=utcnow())
    except VoidRefused as error:
        return error.message
    return None


@blueprint.get("/gift-vouchers")
def gift_vouchers():
    """The vouchers bought for the organizer's retreats: what is left on each, and its state."""
    rows = vouchers.voucher_rows(current_user.id, now=utcnow())
    return render_template("organizer/gift_vouchers/list.html", rows=rows)


def _void_page(voucher: GiftVoucher, form: VoidVoucherForm, status: int = 200):
    return render_template(
        "organizer/gift_vouchers/void.html",
        voucher=voucher,
        form=form,
        refusal=why_not_voidable(voucher),
    ), status


@blueprint.route("/gift-vouchers/<int:voucher_id>/void", methods=["GET", "POST"])
def void_gift_voucher(voucher_id: int):
    """Void one of the organizer's vouchers, with a reason; what it already paid stays paid."""
    voucher = voucher_for_organizer(voucher_id)
    form = VoidVoucherForm()
    if not form.validate_on_submit():
        return _void_page(voucher, form, status=422 if form.is_submitted() else 200)
    try:
        vouchers.void_organizer_voucher(
            organizer_id=current_user.id,
            voucher_id=voucher.id,
            reason=form.reason.data,
            now=utcnow(),
        )
    except DomainError as error:
        if error.field != "reason":
            flash(error.message, "error")
            return redirect(url_for("organizer.gift_vouchers"), code=303)
        form.reason.errors = [*form.reason.errors, error.message]
        return _void_page(voucher, form, status=422)
    flash(
        f"Gift voucher {voucher.reference} is void: nothing more can be spent from it.", "success"
    )
    return redirect(url_for("organizer.gift_vouchers"), code=303)
