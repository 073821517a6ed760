"""Upkeep the worker runs every minute: expire lapsed holds and offers, offer freed seats,
send refunds that are due (again), collect the balances that are due, and settle gift voucher
purchases whose Checkout ended without word from Stripe."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from retreats.booking.balance_collection import collect_balances
from retreats.booking.checkout import expire_lapsed_holds
from retreats.booking.waitlist import (
    lapse_expired_offers,
    offer_freed_seats,
    retreats_with_waiting_entries,
)
from retreats.database import utcnow
from retreats.gift_vouchers.purchase import close_lapsed_purchases
from retreats.payments.refunds import send_due_refunds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    holds_expired: int
    offers_lapsed: int
    offers_made: int


def release_lapsed_seats(*, now: datetime | None = None) -> SweepResult:
    """Expire lapsed holds (and their Checkout Sessions) and offers; offer what came free."""
    now = now or utcnow()
    holds_expired = expire_lapsed_holds(now=now)
    lapsed_in = lapse_expired_offers(now=now)
    offers_made = 0
    for retreat_id in sorted(set(lapsed_in) | set(retreats_with_waiting_entries())):
        offers_made += len(offer_freed_seats(retreat_id=retreat_id, now=now))
    return SweepResult(holds_expired, len(lapsed_in), offers_made)


def run_periodic_upkeep(*, now: datetime | None = None) -> None:
    """Everything the worker does besides sending email."""
    now = now or utcnow()
    result = release_lapsed_seats(now=now)
    refunds_sent = send_due_refunds(now=now)
    balances = collect_balances(now=now)
    vouchers_settled = close_lapsed_purchases(now=now)
    if result.holds_expired or result.offers_made or refunds_sent:
        log.info("Upkeep: %s, refunds sent: %s", result, refunds_sent)
    if balances.asked or balances.charged or balances.cancelled:
        log.info("Balances: %s", balances)
    if vouchers_settled:
        log.info("Gift voucher purchases settled after their Checkout ended: %s", vouchers_settled)
