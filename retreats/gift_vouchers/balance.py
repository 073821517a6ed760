"""What is left on a gift voucher, and spending it on a booking under the voucher's row lock.

Left = the amount paid for it − the voucher payments that hold or took money from it (open or
succeeded) + the refunds that went back to it. A booking that expires or is cancelled unpaid
gives its open payment back (payments/ledger.py expire_open_payments) without the lock, as
seats are given back; taking needs the lock, so a voucher with €100 left is never spent twice
by two bookings at the same moment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select

from retreats.database import lock_row
from retreats.errors import DomainError, SoldOut
from retreats.extensions import db
from retreats.gift_vouchers.codes import normalized_voucher_code
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.listings.models import Retreat
from retreats.payments.models import Payment, PaymentKind, PaymentStatus, Refund

FIELD = "gift_voucher_code"  # the booking form's field, beside which every refusal is told
UNKNOWN_VOUCHER = "This gift voucher code is not valid. Please check it, or leave the field empty."


def _spent_sum(voucher_id):
    """SELECT of what the voucher's open or succeeded voucher payments hold or took."""
    return select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
        Payment.gift_voucher_id == voucher_id,
        Payment.kind == PaymentKind.VOUCHER,
        Payment.status.in_([PaymentStatus.OPEN, PaymentStatus.SUCCEEDED]),
    )


def _returned_sum(voucher_id):
    """SELECT of what the refunds of the voucher's payments gave back to it."""
    return (
        select(func.coalesce(func.sum(Refund.amount_minor), 0))
        .join(Payment, Refund.payment_id == Payment.id)
        .where(Payment.gift_voucher_id == voucher_id, Payment.kind == PaymentKind.VOUCHER)
    )


_SPENT = _spent_sum(bindparam("voucher_id"))
_RETURNED = _returned_sum(bindparam("voucher_id"))


def voucher_left_minor(voucher: GiftVoucher) -> int:
    """What can still be spent of it (nothing unless it is active)."""
    if voucher.status != GiftVoucherStatus.ACTIVE:
        return 0
    params = {"voucher_id": voucher.id}
    spent = db.session.execute(_SPENT, params).scalar_one()
    returned = db.session.execute(_RETURNED, params).scalar_one()
    return voucher.amount_minor - spent + returned


def voucher_named(text: str) -> GiftVoucher:
    """The voucher whose code is `text` as typed; DomainError beside the field when none."""
    code = normalized_voucher_code(text)
    voucher = (
        None
        if code is None
        else db.session.scalar(select(GiftVoucher).where(GiftVoucher.code == code))
    )
    if voucher is None or voucher.status in (
        GiftVoucherStatus.AWAITING_PAYMENT,
        GiftVoucherStatus.UNPAID,
    ):
        raise DomainError(UNKNOWN_VOUCHER, field=FIELD)
    return voucher


def check_voucher_applies(voucher: GiftVoucher, *, retreat: Retreat, now: datetime) -> None:
    """DomainError beside the field when the voucher cannot pay for a booking of `retreat`."""
    if voucher.status == GiftVoucherStatus.VOID:
        raise DomainError("This gift voucher was cancelled by its organizer.", field=FIELD)
    if voucher.expires_at is not None and now >= voucher.expires_at:
        raise DomainError("This gift voucher has expired.", field=FIELD)
    if voucher.organizer_id is not None and voucher.organizer_id != retreat.organizer_id:
        raise DomainError("This gift voucher is for another organizer's retreats.", field=FIELD)
    if voucher.currency != retreat.currency:
        raise DomainError(
            f"This gift voucher is in {voucher.currency} and this retreat is priced in "
            f"{retreat.currency}, so it cannot pay for it.",
            field=FIELD,
        )


def voucher_covers(text: str, *, retreat: Retreat, total_minor: int, now: datetime) -> int:
    """What the voucher typed as `text` would pay of `total_minor`, read without the lock (the
    booking form's total); DomainError beside the field when it cannot pay."""
    voucher = voucher_named(text)
    check_voucher_applies(voucher, retreat=retreat, now=now)
    return _spendable(voucher, voucher_left_minor(voucher), total_minor)


def take_from_voucher(
    text: str, *, retreat: Retreat, total_minor: int, now: datetime, lock_timeout_ms: int
) -> tuple[GiftVoucher, int]:
    """The voucher typed as `text` and what it pays of `total_minor` (all it has left, up to
    the total), counted under its row lock; DomainError beside the field else. Call inside the
    hold's transaction, after the retreat's lock: the caller writes the voucher payment, and
    the lock lasts until it commits."""
    voucher = lock_row(GiftVoucher, voucher_named(text).id, timeout_ms=lock_timeout_ms)
    check_voucher_applies(voucher, retreat=retreat, now=now)
    return voucher, _spendable(voucher, voucher_left_minor(voucher), total_minor)


def _spendable(voucher: GiftVoucher, left_minor: int, total_minor: int) -> int:
    if left_minor <= 0:
        raise SoldOut("This gift voucher has nothing left on it.", field=FIELD)
    return min(left_minor, total_minor)


def left_sum(voucher_id, amount_minor):
    """SQL for what is left on a voucher, whatever its status: `amount_minor` less its open or
    succeeded voucher payments plus their refunds, the sums voucher_left_minor runs. With
    columns (GiftVoucher.id, GiftVoucher.amount_minor) it is one value per row of a list."""
    spent = _spent_sum(voucher_id).scalar_subquery()
    returned = _returned_sum(voucher_id).scalar_subquery()
    return amount_minor - spent + returned
