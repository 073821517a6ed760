"""A real SMTP server for the email scenarios, run in this process on 127.0.0.1 and a free port.

The scenarios check each message's Message-ID and when it arrived. Its `delay` can change while
it runs: the DATA answer then comes that many seconds late, as from a slow mail provider (the
other connections are served meanwhile). The handler is the tests' own, devtools/smtp_inbox.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from devtools.local_stripe.runner import free_port
from devtools.smtp_inbox import RecordingInbox

BenchInbox = RecordingInbox


@contextmanager
def running_smtp_server(*, delay: float = 0.0) -> Iterator[BenchInbox]:
    """An SMTP server on 127.0.0.1 while the block runs; yields its inbox."""
    # aiosmtpd logs every SMTP command at INFO: thousands of lines amid the figures.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    inbox = BenchInbox(host="127.0.0.1", port=free_port(), delay=delay)
    with inbox.running():
        yield inbox
