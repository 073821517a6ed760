"""The refund a cancellation earns, and the policy's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from retreats.booking.policy import policy_summary, refund_for_cancellation

START = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)


def retreat(full=30, partial=14, percent=50):
    return SimpleNamespace(
        starts_at=START,
        refund_full_days_before=full,
        refund_partial_days_before=partial,
        refund_partial_percent=percent,
    )


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [(45, 10_000), (30, 10_000), (29.9, 5_000), (14, 5_000), (13.9, 0), (1, 0)],
)
def test_refund_follows_the_days_before_the_start(days_before, expected):
    now = START - timedelta(days=days_before)
    assert refund_for_cancellation(amount_minor=10_000, retreat=retreat(), now=now) == expected


def test_partial_refunds_round_down_to_the_minor_unit():
    now = START - timedelta(days=20)
    odd = retreat(percent=33)
    assert refund_for_cancellation(amount_minor=1_001, retreat=odd, now=now) == 330


def test_a_policy_without_a_partial_period():
    rules = retreat(full=7, partial=None, percent=0)
    assert (
        refund_for_cancellation(amount_minor=500, retreat=rules, now=START - timedelta(days=6)) == 0
    )
    assert policy_summary(rules) == (
        "Full refund if you cancel at least 7 days before the start. No refund after that."
    )


def test_the_summary_says_every_rule():
    assert policy_summary(retreat()) == (
        "Full refund if you cancel at least 30 days before the start. "
        "50% refund if you cancel at least 14 days before. No refund after that."
    )
    assert policy_summary(retreat(full=None, partial=None)) == "No refunds."
    assert policy_summary(retreat(full=1, partial=None)) == (
        "Full refund if you cancel at least 1 day before the start. No refund after that."
    )
