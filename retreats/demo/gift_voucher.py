"""The demo gift voucher of the README's "Try it" steps: EUR 300 for the demo organizer's
retreats, already paid and delivered, typed as GV-2026-DEMO-GIFT-CARD.

Its code is fixed so the README can print it, which is only right for demo data: a real code is
16 random characters (gift_vouchers/codes.py). Stored, it is "2026DEM0G1FTCARD": the code
alphabet has no O or I, and normalized_voucher_code reads a typed O as 0 and I as 1.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import current_app

from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.organizer.accounts.models import Organizer

DEMO_GIFT_VOUCHER_TYPED = "GV-2026-DEMO-GIFT-CARD"
DEMO_GIFT_VOUCHER_CODE = "2026DEM0G1FTCARD"  # normalized_voucher_code(DEMO_GIFT_VOUCHER_TYPED)
DEMO_GIFT_VOUCHER_REFERENCE = "GV-DEMO01"
DEMO_GIFT_VOUCHER_AMOUNT_MINOR = 30_000
DEMO_GIFT_VOUCHER_CURRENCY = "EUR"  # the Sintra weekend's, among others


def demo_gift_voucher(organizer: Organizer, *, now: datetime) -> GiftVoucher:
    """The demo voucher: bought ten days before `now`, its email delivered a week before (so no
    outbox row is left to send), nothing spent from it yet."""
    paid_at = now - timedelta(days=10)
    deliver_on = (now - timedelta(days=7)).date()
    return GiftVoucher(
        reference=DEMO_GIFT_VOUCHER_REFERENCE,
        code=DEMO_GIFT_VOUCHER_CODE,
        organizer=organizer,
        amount_minor=DEMO_GIFT_VOUCHER_AMOUNT_MINOR,
        currency=DEMO_GIFT_VOUCHER_CURRENCY,
        status=GiftVoucherStatus.ACTIVE,
        buyer_name="Noor Haddad",
        buyer_email="noor.haddad@example.org",
        recipient_name="Idris Haddad",
        recipient_email="idris.haddad@example.org",
        message="Ten years of us. Pick the weekend you like best, and I will pack the bags.",
        deliver_on=deliver_on,
        send_at=datetime.combine(deliver_on, time(8, 0), tzinfo=UTC),
        created_at=paid_at - timedelta(minutes=3),
        paid_at=paid_at,
        expires_at=paid_at + timedelta(days=current_app.config["GIFT_VOUCHER_VALID_DAYS"]),
    )
