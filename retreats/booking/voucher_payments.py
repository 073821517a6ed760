"""Gift vouchers paying for bookings: spent in the hold under the voucher's row lock, and a
booking they cover confirmed at once, without Checkout.

A voucher pays what is left on it, up to the booking's whole total, as a ledger payment of kind
voucher: open while the booking holds its places unpaid, succeeded when it is confirmed,
expired (given back without a lock, payments/ledger.py expire_open_payments) when it ends
unpaid. The card pays the rest of what is due at booking (Booking.card_due_at_booking_minor).
"""

from __future__ import annotations

import logging
from datetime import datetime

from retreats.base.locking import retried_after_write_conflicts
from retreats.booking.confirmation import mark_confirmed
from retreats.booking.models import Booking, BookingStatus
from retreats.database import lock_row, utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.gift_vouchers.balance import take_from_voucher
from retreats.listings.models import Retreat, RetreatStatus
from retreats.payments.ledger import (
    expire_open_payments,
    record_voucher_payment,
)

log = logging.getLogger(__name__)


def spend_gift_voucher(
    booking: Booking, text: str, *, retreat: Retreat, now: datetime, lock_timeout_ms: int
) -> None:
    """Pay what the voucher typed as `text` can of the new `booking`: its open voucher payment.
    Call in the hold's transaction once the booking is priced, after the retreat's and the
    discount code's locks (always that order); DomainError beside the field when it cannot."""
    voucher, amount_minor = take_from_voucher(
        text,
        retreat=retreat,
        total_minor=booking.amount_minor,
        now=now,
        lock_timeout_ms=lock_timeout_ms,
    )
    if amount_minor > 0:  # a booking that costs nothing takes nothing from it
        record_voucher_payment(
            booking, gift_voucher_id=voucher.id, amount_minor=amount_minor, now=now
        )
    if booking.card_due_at_booking_minor == 0:
        # No card pays today, so none is kept to charge the balance: it is asked with a link.
        booking.balance_by_saved_card = False


def confirm_paid_by_voucher(*, booking_id: int, now: datetime | None = None) -> Booking:
    """Confirm a pending booking its gift vouchers cover (nothing for a card to pay now), as
    a paid one is: under the retreat's lock, audited, its emails queued; repeats change nothing.
    """
    now = now or utcnow()

    def confirm() -> Booking:
        booking = _confirm_covered_locked(booking_id, now)
        db.session.commit()
        return booking

    # Someone changed the booking meanwhile (expired it, say): look again at what they wrote.
    return retried_after_write_conflicts(confirm)


def _confirm_covered_locked(booking_id: int, now: datetime) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise DomainError("No such booking.")
    if booking.status != BookingStatus.PENDING:
        return booking
    retreat = lock_row(Retreat, booking.retreat_id)
    db.session.refresh(booking)
    if booking.status != BookingStatus.PENDING or booking.card_due_at_booking_minor > 0:
        return booking
    if retreat.status == RetreatStatus.CANCELLED or booking.hold_expires_at <= now:
        # Nothing was paid and its places are no longer held for it: it ends as any unpaid
        # booking does, and the voucher's part goes back onto the voucher.
        booking.status = BookingStatus.EXPIRED
        booking.expired_at = now
        expire_open_payments(booking)
        log.warning("Voucher-covered booking %s could not be confirmed", booking.reference)
        return booking
    paid = format_money(booking.voucher_minor, booking.currency)
    mark_confirmed(booking, paid=f"paid {paid} by gift voucher", now=now)
    log.info("Confirmed booking %s, covered by gift voucher", booking.reference)
    return booking
