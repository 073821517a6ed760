"""Voiding a gift voucher: nothing more can be spent from it, and its email, if not sent yet,
never goes out. What was already spent stays spent: bookings keep their voucher payments.

One service for the organizer's page (which checks the voucher is theirs first) and for the
platform's `flask vouchers void` (site-wide vouchers belong to no organizer).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.database import lock_row
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.gift_vouchers.models import VOUCHER_EMAIL_KIND, GiftVoucher, GiftVoucherStatus

REASON_FIELD = "reason"
REASON_MAX_LENGTH = 500  # GiftVoucher.void_reason's column

_NOT_ACTIVE = {
    GiftVoucherStatus.VOID: "This gift voucher is already void.",
    GiftVoucherStatus.AWAITING_PAYMENT: "This gift voucher is not paid yet, so there is "
    "nothing to void.",
    GiftVoucherStatus.UNPAID: "This gift voucher was never paid, so there is nothing to void.",
}


class VoidRefused(DomainError):
    """The voucher cannot be voided (or not with that reason); `field` is "reason" or None."""

    status_code = 409


def checked_reason(reason: str | None) -> str:
    """The reason without the spaces around it; VoidRefused beside the field when empty or
    longer than the column."""
    text = (reason or "").strip()
    if not text:
        raise VoidRefused("Please say why you void this voucher.", field=REASON_FIELD)
    if len(text) > REASON_MAX_LENGTH:
        raise VoidRefused(
            f"Please keep the reason to {REASON_MAX_LENGTH} characters (it has {len(text)}).",
            field=REASON_FIELD,
        )
    return text


def check_voidable(voucher: GiftVoucher, *, now: datetime) -> None:
    """VoidRefused unless the voucher is paid, not void, and not expired."""
    if voucher.status != GiftVoucherStatus.ACTIVE:
        raise VoidRefused(_NOT_ACTIVE[voucher.status])
    if voucher.expires_at is not None and now >= voucher.expires_at:
        raise VoidRefused("This gift voucher has expired: nothing can be spent from it anyway.")


def void_voucher(
    *, voucher_id: int, reason: str, actor_id: int | None, now: datetime
) -> GiftVoucher:
    """Void an active voucher, audited, and drop its voucher email if it is still to be sent."""
    text = checked_reason(reason)
    with rolled_back_on_error():
        # The lock that spending takes (balance.take_from_voucher): a booking either took its
        # part before the voucher became void, or sees it void.
        voucher = lock_row(GiftVoucher, voucher_id)
        if voucher is None:
            raise VoidRefused("That gift voucher does not exist.")
        check_voidable(voucher, now=now)
        voucher.status = GiftVoucherStatus.VOID
        voucher.voided_at = now
        voucher.void_reason = text
        db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.gift_voucher_id == voucher.id,
                OutboxEmail.kind == VOUCHER_EMAIL_KIND,
                OutboxEmail.status == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.DROPPED)
        )
        record_audit(
            "gift_voucher.voided",
            actor_id=actor_id,
            detail=f"{voucher.reference} ({voucher.code_ending}): {text}",
        )
        db.session.commit()
    return voucher
