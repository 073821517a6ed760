"""Buying a gift voucher: the order checked against the server's own rules, the voucher written
awaiting payment, its Checkout Session opened with no transaction held, and what Stripe says
about that session applied (paid → active with its two emails queued, expired → unpaid).

The webhook, the purchase page's return from Checkout and its cancel link all end in
apply_gift_voucher_session(), which is idempotent under the voucher's row lock.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from retreats.base.locking import retried_after_write_conflicts, rolled_back_on_error
from retreats.base.outbox import queue_email
from retreats.database import end_transaction, lock_row, utcnow
from retreats.errors import DomainError, PaymentProviderError
from retreats.extensions import db
from retreats.formatting import ZERO_DECIMAL_CURRENCIES, format_money
from retreats.gift_vouchers.codes import (
    new_purchase_reference,
    new_voucher_code,
    purchase_token,
    purchase_token_matches,
)
from retreats.gift_vouchers.models import (
    RECEIPT_EMAIL_KIND,
    VOUCHER_EMAIL_KIND,
    GiftVoucher,
    GiftVoucherStatus,
)
from retreats.links import public_url
from retreats.listings.models import Retreat, shown_to_public
from retreats.payments import stripe_gateway
from retreats.payments.stripe_gateway import CheckoutLine, CheckoutSession, PaymentGatewayError

log = logging.getLogger(__name__)

# What a voucher may be worth, in the currency's major units (euros, pounds, yen …).
SMALLEST_AMOUNT = Decimal(20)
LARGEST_AMOUNT = Decimal(5000)
MESSAGE_MAX_LENGTH = 1000
DELIVERY_DAYS_AHEAD = 365
# The moment of the chosen day the voucher's email goes out: early morning in Europe.
DELIVERY_TIME_UTC = time(8, 0)
_AMOUNT_TEXT = re.compile(r"^[0-9]{1,7}(?:\.[0-9]{1,2})?$")


@dataclass(frozen=True)
class VoucherOrder:
    """What the buyer asked for, as the form read it."""

    organizer_id: int | None  # None: for every retreat on the site
    amount_minor: int
    currency: str
    buyer_name: str
    buyer_email: str
    recipient_name: str
    recipient_email: str
    message: str
    deliver_on: date
    discreet: bool
    submission_key: str | None = None


def amount_in_minor_units(text: str, currency: str) -> int:
    """ "150" or "150.50" in `currency` → minor units; ValueError with a message to show when it
    is not a number of that currency or not between the smallest and largest voucher."""
    text = (text or "").strip()
    zero_decimal = currency in ZERO_DECIMAL_CURRENCIES
    if not _AMOUNT_TEXT.match(text) or (zero_decimal and "." in text):
        example = "150" if zero_decimal else "150 or 150.50"
        raise ValueError(f"Please enter the amount as a number, like {example}.")
    amount_minor = _in_minor_units(Decimal(text), currency)
    check_amount(amount_minor, currency)
    return amount_minor


def check_amount(amount_minor: int, currency: str) -> None:
    """ValueError with a message to show unless a voucher may be worth this much."""
    smallest = _in_minor_units(SMALLEST_AMOUNT, currency)
    largest = _in_minor_units(LARGEST_AMOUNT, currency)
    if not smallest <= amount_minor <= largest:
        raise ValueError(
            f"A gift voucher can be worth from {format_money(smallest, currency)} "
            f"to {format_money(largest, currency)}."
        )


def _in_minor_units(amount: Decimal, currency: str) -> int:
    return int(amount if currency in ZERO_DECIMAL_CURRENCIES else amount * 100)


def voucher_currencies(organizer_id: int | None) -> list[str]:
    """The currencies a voucher may be bought in: those of the organizer's published retreats
    (None: of every published retreat), so that it can pay for one of them."""
    statement = select(Retreat.currency).where(*shown_to_public()).distinct()
    if organizer_id is not None:
        statement = statement.where(Retreat.organizer_id == organizer_id)
    return sorted(db.session.scalars(statement))


def published_retreat(slug: str) -> Retreat | None:
    """The published retreat whose page offers its organizer's voucher (None: no such page)."""
    return db.session.scalar(select(Retreat).where(Retreat.slug == slug, *shown_to_public()))


def delivery_days(today: date) -> tuple[date, date]:
    """The first and last day the voucher's email may be sent on."""
    return today, today + timedelta(days=DELIVERY_DAYS_AHEAD)


def send_moment(deliver_on: date, *, now: datetime) -> datetime:
    """When the voucher's email goes out: 08:00 UTC on the chosen day, or now if that is past."""
    moment = datetime.combine(deliver_on, DELIVERY_TIME_UTC, tzinfo=UTC)
    return max(moment, now)


def purchase_page_url(voucher: GiftVoucher) -> str:
    """The buyer's page of this purchase, with its secret token (an absolute link)."""
    return public_url(
        "gift_vouchers.purchase", reference=voucher.reference, t=purchase_token(voucher.reference)
    )


def buy_gift_voucher(
    *, order: VoucherOrder, back_slug: str | None = None, now: datetime | None = None
) -> str:
    """Write the voucher awaiting payment and open its Checkout; returns where to send the
    buyer: Checkout, or the purchase page for a form sent again after it was paid or closed.
    `back_slug` is the retreat whose page the form was on (where Checkout's cancel returns)."""
    now = now or utcnow()
    _check_order(order, now=now)
    voucher_id = retried_after_write_conflicts(lambda: _new_or_earlier_voucher(order, now))
    voucher = db.session.get(GiftVoucher, voucher_id)
    if voucher.status != GiftVoucherStatus.AWAITING_PAYMENT or now >= _checkout_ends(voucher):
        return purchase_page_url(voucher)
    return _open_checkout(voucher, back_slug=back_slug)


def _check_order(order: VoucherOrder, *, now: datetime) -> None:
    """The server's rules, whatever the form let through: DomainError beside the field."""
    if order.organizer_id is None and not current_app.config["GIFT_VOUCHERS_SITE_WIDE"]:
        raise DomainError("Gift vouchers for the whole site are not sold.")
    if order.currency not in voucher_currencies(order.organizer_id):
        raise DomainError("Please choose one of the currencies offered.", field="currency")
    try:
        check_amount(order.amount_minor, order.currency)
    except ValueError as error:
        raise DomainError(str(error), field="amount") from error
    first, last = delivery_days(now.date())
    if not first <= order.deliver_on <= last:
        raise DomainError("Please choose a day from today up to a year ahead.", field="deliver_on")
    if len(order.message) > MESSAGE_MAX_LENGTH:
        raise DomainError(
            f"Please keep the message within {MESSAGE_MAX_LENGTH} characters.", field="message"
        )


def _new_or_earlier_voucher(order: VoucherOrder, now: datetime) -> int:
    """The id of the voucher this form made before (a double submit), else of a new one,
    committed. A second click racing the first hits the unique submission key and is retried:
    then it finds the first one's voucher."""
    if order.submission_key:
        earlier = db.session.scalar(
            select(GiftVoucher.id).where(GiftVoucher.submission_key == order.submission_key)
        )
        if earlier is not None:
            db.session.rollback()
            return earlier
    voucher = GiftVoucher(
        reference=new_purchase_reference(),
        code=new_voucher_code(),
        status=GiftVoucherStatus.AWAITING_PAYMENT,
        send_at=send_moment(order.deliver_on, now=now),
        created_at=now,
        **asdict(order),
    )
    db.session.add(voucher)
    db.session.flush()
    voucher_id, reference = voucher.id, voucher.reference
    db.session.commit()
    log.info("Gift voucher %s awaits payment", reference)
    return voucher_id


def _checkout_ends(voucher: GiftVoucher) -> datetime:
    """When the voucher's Checkout Session closes: derived from the voucher, so a repeated
    request to open it sends Stripe the same parameters under the same idempotency key."""
    return voucher.created_at + timedelta(minutes=current_app.config["BOOKING_HOLD_MINUTES"])


def _open_checkout(voucher: GiftVoucher, *, back_slug: str | None) -> str:
    """Open (or open again: same key, same session) the voucher's Checkout; nothing is held
    while Stripe answers. Stripe out of reach: PaymentProviderError, and a voucher that never
    reached Stripe is removed, so nothing half-made stays."""
    voucher_id, reference = voucher.id, voucher.reference
    token = purchase_token(reference)
    checkout = {
        "gift_voucher_id": voucher_id,
        "reference": reference,
        "line": CheckoutLine(
            name=_line_name(voucher), unit_amount_minor=voucher.amount_minor, quantity=1
        ),
        "currency": voucher.currency,
        "customer_email": voucher.buyer_email,
        "success_url": public_url("gift_vouchers.purchase", reference=reference, t=token)
        + "&session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": public_url(
            "gift_vouchers.abandon", reference=reference, t=token, back=back_slug
        ),
        "expires_at": _checkout_ends(voucher),
        "idempotency_key": f"gift-voucher-checkout:{reference}",
    }
    end_transaction()
    try:
        session = stripe_gateway.create_gift_voucher_checkout_session(**checkout)
    except PaymentGatewayError as error:
        log.error("Could not open Checkout for gift voucher %s: %s", reference, error)
        _discard_unopened(voucher_id)
        raise PaymentProviderError(
            "We could not start the payment just now, so nothing was charged. Please try again."
        ) from error
    _record_checkout_session(voucher_id, session.id)
    return session.url


def _line_name(voucher: GiftVoucher) -> str:
    where = voucher.organizer.name if voucher.organizer else "any retreat on Open Hearts"
    return f"Gift voucher {voucher.reference} for {voucher.recipient_name}: {where}"


def _discard_unopened(voucher_id: int) -> None:
    """Remove a voucher whose Checkout never opened (no session of it was recorded)."""
    voucher = db.session.get(GiftVoucher, voucher_id)
    if voucher is not None and voucher.stripe_checkout_session_id is None:
        db.session.delete(voucher)
    db.session.commit()


def _record_checkout_session(voucher_id: int, session_id: str) -> None:
    """Remember the voucher's session, in a short transaction of its own."""
    voucher = db.session.get(GiftVoucher, voucher_id)
    if voucher is not None and voucher.stripe_checkout_session_id is None:
        voucher.stripe_checkout_session_id = session_id
    db.session.commit()


def apply_gift_voucher_session(session: CheckoutSession, *, now: datetime | None = None) -> str:
    """Bring a voucher in line with its Checkout Session, under its row lock: paid (exactly its
    amount and currency) → active, its receipt and its email queued; expired → unpaid. Repeats
    change nothing. Returns "applied", "no voucher" or "payment mismatch" (left unpaid)."""
    now = now or utcnow()
    with rolled_back_on_error():
        voucher = _locked_voucher_of(session)
        if voucher is None:
            db.session.rollback()
            log.warning("Checkout Session %s matches no gift voucher", session.id)
            return "no voucher"
        if session.is_paid and voucher.status in _PAYABLE:
            if (session.amount_total, session.currency) != (voucher.amount_minor, voucher.currency):
                db.session.rollback()
                log.error(
                    "Gift voucher %s: session %s paid %s %s, not %s %s; not activated",
                    *(voucher.reference, session.id, session.amount_total, session.currency),
                    *(voucher.amount_minor, voucher.currency),
                )
                return "payment mismatch"
            _activate(voucher, session, now=now)
        elif session.status == "expired" and voucher.status == GiftVoucherStatus.AWAITING_PAYMENT:
            voucher.status = GiftVoucherStatus.UNPAID
        db.session.commit()
    return "applied"


# A paid session activates a voucher awaiting payment, or one marked unpaid whose money
# arrived after all; never a void one.
_PAYABLE = (GiftVoucherStatus.AWAITING_PAYMENT, GiftVoucherStatus.UNPAID)


def _locked_voucher_of(session: CheckoutSession) -> GiftVoucher | None:
    """The voucher the session's metadata names, locked, if the session is really its own."""
    if session.gift_voucher_id is None:
        return None
    voucher = lock_row(GiftVoucher, session.gift_voucher_id)
    if voucher is None or voucher.reference != session.client_reference_id:
        return None
    return voucher


def _activate(voucher: GiftVoucher, session: CheckoutSession, *, now: datetime) -> None:
    """Paid: it can be spent from now on, and both its emails are queued (the voucher's for
    its day), in the caller's transaction."""
    voucher.status = GiftVoucherStatus.ACTIVE
    voucher.paid_at = now
    voucher.expires_at = now + timedelta(days=current_app.config["GIFT_VOUCHER_VALID_DAYS"])
    voucher.stripe_payment_intent_id = session.payment_intent_id
    voucher.stripe_checkout_session_id = voucher.stripe_checkout_session_id or session.id
    queue_email(
        kind=RECEIPT_EMAIL_KIND,
        key=f"{RECEIPT_EMAIL_KIND}:{voucher.id}",
        to_address=voucher.buyer_email,
        gift_voucher_id=voucher.id,
        send_after=now,
    )
    queue_email(
        kind=VOUCHER_EMAIL_KIND,
        key=f"{VOUCHER_EMAIL_KIND}:{voucher.id}",
        to_address=voucher.recipient_email,
        gift_voucher_id=voucher.id,
        send_after=voucher.send_at,
    )
    log.info("Gift voucher %s is paid and active", voucher.reference)


def voucher_for_link(reference: str, token: str | None) -> GiftVoucher | None:
    """The voucher of a purchase page link, or None when the reference or token is wrong."""
    if not purchase_token_matches(token, reference):
        return None
    return db.session.scalar(select(GiftVoucher).where(GiftVoucher.reference == reference))


def sync_from_return(*, voucher: GiftVoucher, session_id: str) -> None:
    """Checkout sent the buyer back: ask Stripe about the voucher's own session rather than
    trust the browser (Stripe out of reach: PaymentGatewayError, the webhook still comes)."""
    if voucher.status != GiftVoucherStatus.AWAITING_PAYMENT:
        return
    if session_id != voucher.stripe_checkout_session_id:
        return
    end_transaction()
    apply_gift_voucher_session(stripe_gateway.retrieve_checkout_session(session_id))


def close_lapsed_purchases(*, now: datetime | None = None) -> int:
    """Vouchers still awaiting payment once their Checkout has ended: for each, close its
    session at Stripe and apply what it is (paid after all: active, and the buyer's emails are
    queued; else unpaid). Stripe's own webhook normally did this already; this is for one that
    never arrived, from a buyer who never came back to the site. Returns how many it settled;
    one Stripe could not be asked about stays as it is for the next run."""
    now = now or utcnow()
    checkout_ended_by = now - timedelta(minutes=current_app.config["BOOKING_HOLD_MINUTES"])
    lapsed = db.session.execute(
        select(GiftVoucher.reference, GiftVoucher.stripe_checkout_session_id).where(
            GiftVoucher.status == GiftVoucherStatus.AWAITING_PAYMENT,
            GiftVoucher.stripe_checkout_session_id.is_not(None),
            GiftVoucher.created_at <= checkout_ended_by,
        )
    ).all()
    end_transaction()
    settled = 0
    for reference, session_id in lapsed:
        try:
            session = stripe_gateway.expire_checkout_session(session_id)
        except PaymentGatewayError as error:
            log.error("Could not close gift voucher %s's Checkout: %s", reference, error)
            continue
        settled += apply_gift_voucher_session(session, now=now) == "applied"
    return settled


def abandon_purchase(*, voucher: GiftVoucher) -> GiftVoucher:
    """The buyer left Checkout: close the session at Stripe so it can no longer be paid, and
    apply what it is now (paid in another tab a moment ago: active; else unpaid)."""
    voucher_id, session_id = voucher.id, voucher.stripe_checkout_session_id
    if voucher.status != GiftVoucherStatus.AWAITING_PAYMENT or session_id is None:
        return voucher
    end_transaction()
    apply_gift_voucher_session(stripe_gateway.expire_checkout_session(session_id))
    return db.session.get(GiftVoucher, voucher_id)
