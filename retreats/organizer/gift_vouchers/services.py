"""The organizer's gift vouchers: the list of those bought for their retreats, and voiding one.

A voucher is the organizer's when its organizer_id is theirs; a site-wide voucher belongs to no
organizer (the platform voids it with `flask vouchers void`). As with discount codes, it is the
account's own: its co-hosts do not see it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.gift_vouchers.balance import left_sum
from retreats.gift_vouchers.models import VOUCHER_EMAIL_KIND, GiftVoucher, GiftVoucherStatus
from retreats.gift_vouchers.voiding import void_voucher


class VoucherState(enum.StrEnum):
    """What the organizer's list says of a voucher."""

    AWAITING_PAYMENT = "awaiting payment"
    ACTIVE = "active"
    USED_UP = "used up"
    EXPIRED = "expired"
    VOID = "void"


# What the list says of the voucher's email to its recipient, from its outbox row.
EMAIL_STATES = {
    OutboxStatus.PENDING: "scheduled",
    OutboxStatus.SENT: "sent",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.DROPPED: "not delivered",
}


@dataclass(frozen=True)
class VoucherRow:
    """One line of the organizer's list: the voucher, what is left on it, its state."""

    voucher: GiftVoucher
    left_minor: int  # 0 unless active, as balance.voucher_left_minor
    status: VoucherState
    email: str | None  # EMAIL_STATES' words; None when it has no outbox row

    @property
    def can_be_voided(self) -> bool:
        """What voiding.check_voidable allows: paid, not void, not expired."""
        return self.status in (VoucherState.ACTIVE, VoucherState.USED_UP)


def voucher_state(voucher: GiftVoucher, left_minor: int, *, now: datetime) -> VoucherState:
    """What the list says of the voucher, given what is left on it."""
    if voucher.status == GiftVoucherStatus.VOID:
        return VoucherState.VOID
    if voucher.status != GiftVoucherStatus.ACTIVE:
        return VoucherState.AWAITING_PAYMENT
    if voucher.expires_at is not None and now >= voucher.expires_at:
        return VoucherState.EXPIRED
    return VoucherState.ACTIVE if left_minor > 0 else VoucherState.USED_UP


def voucher_rows(organizer_id: int, *, now: datetime) -> list[VoucherRow]:
    """The organizer's vouchers (not those never paid), newest first, each with what is left on
    it and its email's state: one statement however many vouchers there are."""
    email_status = (
        select(OutboxEmail.status)
        .where(
            OutboxEmail.gift_voucher_id == GiftVoucher.id,
            OutboxEmail.kind == VOUCHER_EMAIL_KIND,
        )
        .order_by(OutboxEmail.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    found = db.session.execute(
        select(GiftVoucher, left_sum(GiftVoucher.id, GiftVoucher.amount_minor), email_status)
        .where(
            GiftVoucher.organizer_id == organizer_id,
            GiftVoucher.status != GiftVoucherStatus.UNPAID,
        )
        .order_by(GiftVoucher.created_at.desc(), GiftVoucher.id.desc())
    )
    rows = []
    for voucher, left, email in found:
        left_minor = int(left) if voucher.status == GiftVoucherStatus.ACTIVE else 0
        rows.append(
            VoucherRow(
                voucher=voucher,
                left_minor=left_minor,
                status=voucher_state(voucher, left_minor, now=now),
                email=EMAIL_STATES.get(email),
            )
        )
    return rows


def void_organizer_voucher(
    *, organizer_id: int, voucher_id: int, reason: str, now: datetime
) -> GiftVoucher:
    """Void one of the organizer's own vouchers, the organizer named in the audit log."""
    voucher = db.session.get(GiftVoucher, voucher_id)
    if voucher is None or voucher.organizer_id != organizer_id:
        raise DomainError("That gift voucher does not exist.")
    return void_voucher(voucher_id=voucher.id, reason=reason, actor_id=organizer_id, now=now)
