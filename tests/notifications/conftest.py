"""Fixtures of the email tests: a real SMTP server that takes its time over each message."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import SmtpInbox


@dataclass
class SlowInbox(SmtpInbox):
    """A real SMTP server that waits `delay` seconds over each message: it shapes the load (two
    workers' deliveries overlap, a kill lands mid-batch); it hides no race."""

    delay: float = 0.005


@pytest.fixture
def smtp_delay_seconds() -> float:
    """How long the slow server takes per message; a module overrides it for its own load."""
    return 0.005


@pytest.fixture
def slow_inbox(app_config, smtp_delay_seconds) -> Iterator[SlowInbox]:
    inbox = SlowInbox(host="127.0.0.1", port=app_config["MAIL_PORT"], delay=smtp_delay_seconds)
    with inbox.running():
        yield inbox
