"""The cancellation policy: how much of a booking is refunded when it is cancelled, and its words.

Each retreat sets three numbers: a full refund until `refund_full_days_before` days before the
start, `refund_partial_percent` % until `refund_partial_days_before` days, nothing after that.
Either period may be absent (None).
"""

from __future__ import annotations

from datetime import datetime, timedelta


def refund_for_cancellation(*, amount_minor: int, retreat, now: datetime) -> int:
    """The refund, in minor units, for a booking of `amount_minor` cancelled at `now`."""
    time_left = retreat.starts_at - now
    full_days = retreat.refund_full_days_before
    partial_days = retreat.refund_partial_days_before
    if full_days is not None and time_left >= timedelta(days=full_days):
        return amount_minor
    if partial_days is not None and time_left >= timedelta(days=partial_days):
        # Round down: never refund a fraction of a minor unit more than the policy says.
        return amount_minor * retreat.refund_partial_percent // 100
    return 0


def policy_summary(retreat) -> str:
    """The refund rules in one or two plain sentences, as shown on every page and email."""
    full_days = retreat.refund_full_days_before
    partial_days = retreat.refund_partial_days_before
    percent = retreat.refund_partial_percent
    has_partial = partial_days is not None and percent > 0
    sentences = []
    if full_days is not None:
        sentences.append(f"Full refund if you cancel at least {_days(full_days)} before the start.")
    if has_partial and (full_days is None or partial_days < full_days):
        sentences.append(f"{percent}% refund if you cancel at least {_days(partial_days)} before.")
    if full_days == 0:
        return " ".join(sentences)
    sentences.append("No refund after that." if sentences else "No refunds.")
    return " ".join(sentences)


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"
