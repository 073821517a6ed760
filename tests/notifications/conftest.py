"""Fixtures of the email tests: a real SMTP server that takes its time over each message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import SlowInbox


@pytest.fixture
def smtp_delay_seconds() -> float:
    """How long the slow server takes per message; a module overrides it for its own load."""
    return 0.005


@pytest.fixture
def slow_inbox(app_config, smtp_delay_seconds) -> Iterator[SlowInbox]:
    inbox = SlowInbox(host="127.0.0.1", port=app_config["MAIL_PORT"], delay=smtp_delay_seconds)
    with inbox.running():
        yield inbox
