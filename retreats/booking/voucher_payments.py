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

from retreats.booking.confirmation import mark_confirmed
from retreats.booking.models import Booking
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.gift_vouchers.balance import take_from_voucher
from retreats.listings.models import Retreat
from retreats.payments.ledger import (
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


def confirm_if_covered(booking: Booking, *, now: datetime) -> None:
    """Confirm a new booking its gift vouchers cover (nothing for a card to pay today), in the
    hold's own transaction: under the retreat's lock the hold already has, so a covered
    booking never waits for it a second time, and its places are never held unconfirmed."""
    if booking.voucher_minor == 0 or booking.card_due_at_booking_minor > 0:
        return
    db.session.flush()  # its id goes into the audit entry and its mails' keys
    paid = format_money(booking.voucher_minor, booking.currency)
    mark_confirmed(booking, paid=f"paid {paid} by gift voucher", now=now)
    log.info("Confirmed booking %s, covered by gift voucher", booking.reference)
