"""The public gift voucher pages: the form (for one organizer's retreats, or for the whole
site), the buyer's purchase page behind its secret link (where Checkout returns), and the way
back from Checkout unpaid."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.gift_vouchers.codes import purchase_token
from retreats.gift_vouchers.forms import GiftVoucherForm
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.gift_vouchers.purchase import (
    abandon_purchase,
    buy_gift_voucher,
    published_retreat,
    sync_from_return,
    voucher_currencies,
    voucher_for_link,
)
from retreats.listings.models import Retreat
from retreats.payments.stripe_gateway import PaymentGatewayError

log = logging.getLogger(__name__)

blueprint = Blueprint("gift_vouchers", __name__)


@blueprint.route("/retreats/<slug>/gift", methods=["GET", "POST"])
def buy_for_organizer(slug: str):
    """The form of a voucher for every retreat of this retreat's organizer; on to Checkout."""
    retreat = published_retreat(slug)
    if retreat is None:
        abort(404)
    return _voucher_form_page(retreat=retreat)


@blueprint.route("/gift", methods=["GET", "POST"])
def buy_site_wide():
    """The form of a voucher for any retreat on the site (where that is sold); on to Checkout."""
    if not current_app.config["GIFT_VOUCHERS_SITE_WIDE"]:
        abort(404)
    return _voucher_form_page(retreat=None)


def _voucher_form_page(*, retreat: Retreat | None):
    """Show the form; on a valid POST write the voucher and send the buyer to pay."""
    organizer_id = retreat.organizer_id if retreat is not None else None
    currencies = voucher_currencies(organizer_id)
    if not currencies:  # nothing published that a voucher could pay for
        abort(404)
    form = GiftVoucherForm(currencies=currencies, today=utcnow().date())
    status = 200
    if request.method == "GET":
        form.prepare()
    elif form.validate_on_submit():
        order = form.order(organizer_id=organizer_id)
        try:
            url = buy_gift_voucher(order=order, back_slug=retreat.slug if retreat else None)
            return redirect(url, code=303)
        except DomainError as error:
            _tell_refusal(form, error)
            status = error.status_code
    else:
        status = 422
    return render_template("gift_vouchers/buy.html", form=form, retreat=retreat), status


def _tell_refusal(form: GiftVoucherForm, refusal: DomainError) -> None:
    """Put the service's refusal beside its field, or at the top of the page."""
    if refusal.field and refusal.field in form:
        form[refusal.field].errors = [refusal.message]
    else:
        flash(refusal.message, "error")


def _voucher_from_link_or_404(reference: str) -> GiftVoucher:
    voucher = voucher_for_link(reference, request.args.get("t"))
    if voucher is None:
        abort(404)
    return voucher


def _purchase_page(voucher: GiftVoucher) -> str:
    return url_for(
        "gift_vouchers.purchase",
        reference=voucher.reference,
        t=purchase_token(voucher.reference),
    )


@blueprint.get("/gift-vouchers/<reference>")
def purchase(reference: str):
    """The buyer's page of one purchase (by its secret link); where Checkout returns on success."""
    voucher = _voucher_from_link_or_404(reference)
    session_id = request.args.get("session_id")
    if session_id:
        try:
            sync_from_return(voucher=voucher, session_id=session_id)
        except PaymentGatewayError as error:
            log.warning("Purchase page could not reach Stripe for %s: %s", reference, error)
        except DomainError as error:
            flash(error.message, "error")
        return redirect(_purchase_page(voucher), code=303)
    return render_template("gift_vouchers/purchase.html", voucher=voucher, now=utcnow())


@blueprint.get("/gift-vouchers/<reference>/abandon")
def abandon(reference: str):
    """Checkout's cancel link: close the unpaid session and go back to the form."""
    voucher = _voucher_from_link_or_404(reference)
    try:
        voucher = abandon_purchase(voucher=voucher)
    except PaymentGatewayError:
        flash("You left the payment page. Nothing was charged; it closes by itself shortly.")
        return redirect(_purchase_page(voucher), code=303)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(_purchase_page(voucher), code=303)
    if voucher.status != GiftVoucherStatus.UNPAID:  # paid in another tab meanwhile
        return redirect(_purchase_page(voucher), code=303)
    flash(
        "You left the payment page, so nothing was charged. You are welcome to try again.",
        "info",
    )
    return redirect(_form_page(voucher, request.args.get("back")), code=303)


def _form_page(voucher: GiftVoucher, back_slug: str | None) -> str:
    """The form the buyer came from: the retreat's page's, the site-wide one, or (that form
    no longer offered) the purchase page, which says it was not paid."""
    if voucher.organizer_id is not None:
        retreat = published_retreat(back_slug) if back_slug else None
        if retreat is not None and retreat.organizer_id == voucher.organizer_id:
            return url_for("gift_vouchers.buy_for_organizer", slug=retreat.slug)
    elif current_app.config["GIFT_VOUCHERS_SITE_WIDE"]:
        return url_for("gift_vouchers.buy_site_wide")
    return _purchase_page(voucher)
