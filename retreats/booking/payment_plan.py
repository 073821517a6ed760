"""When a booking is paid: a deposit today and the balance before the start, or all at once.

Each retreat sets a rule (listings.models.DepositRule): no deposit, a percentage of the total, or
a fixed amount per person, and how many days before the start the balance is due. A booking made
later than that, or whose deposit would be all of its price, pays everything at once. The hold
keeps the plan on the booking (deposit_minor, balance_due_at), so a later change of the rule
never changes what someone agreed to. The booking form, Checkout, the emails and the manage page
all read the plan from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from retreats.formatting import format_money
from retreats.listings.models import DepositRule


@dataclass(frozen=True)
class PaymentPlan:
    total_minor: int
    today_minor: int  # what Checkout asks for now
    balance_due_at: datetime | None  # None: nothing is left to pay after today

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.today_minor

    @property
    def has_deposit(self) -> bool:
        return self.balance_due_at is not None


def payment_plan(retreat, *, total_minor: int, people: int, now: datetime) -> PaymentPlan:
    """The plan for a booking of `total_minor` for `people` made at `now`."""
    everything = PaymentPlan(total_minor, total_minor, None)
    if retreat.deposit_rule == DepositRule.NONE or total_minor <= 0:
        return everything
    due_at = balance_due_at(retreat)
    if now >= due_at:
        return everything
    if retreat.deposit_rule == DepositRule.PERCENT:
        # Round up: the deposit is never a fraction of a minor unit short of the rule.
        deposit = -(-total_minor * retreat.deposit_value // 100)
    else:
        deposit = retreat.deposit_value * people
    if deposit <= 0 or deposit >= total_minor:
        return everything
    return PaymentPlan(total_minor, deposit, due_at)


def balance_due_at(retreat) -> datetime:
    """The moment the balance of a booking with a deposit is due."""
    return retreat.starts_at - timedelta(days=retreat.balance_due_days)


def plan_of(booking) -> PaymentPlan:
    """The plan a booking was made with."""
    return PaymentPlan(booking.amount_minor, booking.due_at_booking_minor, booking.balance_due_at)


def deposit_rule_for_page(retreat) -> str:
    """deposit_rule_in_words() in the retreat's currency, for templates."""
    return deposit_rule_in_words(
        retreat, money=lambda amount: format_money(amount, retreat.currency)
    )


def deposit_rule_in_words(retreat, *, money) -> str:
    """The retreat's deposit rule in one sentence ("" when there is none); `money` formats an
    amount in the retreat's currency."""
    if retreat.deposit_rule == DepositRule.NONE:
        return ""
    if retreat.deposit_rule == DepositRule.PERCENT:
        deposit = f"A deposit of {retreat.deposit_value}%"
    else:
        deposit = f"A deposit of {money(retreat.deposit_value)} per person"
    due, grace = _days(retreat.balance_due_days), retreat.balance_grace_days
    unpaid = f"still unpaid {_days(grace)} after it was due" if grace else "unpaid when due"
    deposit_then = "the deposit is kept" if retreat.overdue_keeps_deposit else "it is refunded"
    return (
        f"{deposit} secures your place; the balance is due {due} before the start. "
        "Booking later than that, you pay in full. "
        f"A balance {unpaid} cancels the booking, and {deposit_then}."
    )


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"
