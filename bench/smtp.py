"""A real SMTP server for the email scenarios, run in this process on 127.0.0.1 and a free port.

It keeps only what the scenarios check: each message's Message-ID and when it arrived. Its
`delay` can change while it runs: the DATA answer then comes that many seconds late, as from a
slow mail provider (the other connections are served meanwhile).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller

from devtools.local_stripe.runner import free_port


@dataclass
class BenchInbox:
    """aiosmtpd handler: answer DATA after `delay` seconds and note the message's arrival."""

    host: str
    port: int
    delay: float = 0.0
    message_ids: list[str] = field(default_factory=list)
    arrival_times: list[float] = field(default_factory=list)  # time.monotonic() of each
    answered_late: int = 0  # messages whose DATA was answered `delay` seconds late
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        delay = self.delay
        if delay:
            await asyncio.sleep(delay)
        headers = BytesHeaderParser().parsebytes(envelope.original_content)
        with self._lock:
            self.message_ids.append(str(headers.get("Message-ID", "")))
            self.arrival_times.append(time.monotonic())
            self.answered_late += bool(delay)
        return "250 Message accepted for delivery"

    @property
    def received(self) -> int:
        with self._lock:
            return len(self.message_ids)

    def last_arrival(self) -> float | None:
        with self._lock:
            return self.arrival_times[-1] if self.arrival_times else None

    def repeated_message_ids(self) -> int:
        """How many messages repeated a Message-ID already received: a mail sent twice."""
        with self._lock:
            counts = Counter(self.message_ids)
        return sum(count - 1 for count in counts.values())

    def mail_environment(self) -> dict[str, str]:
        """The app settings that make a process send its mail here."""
        return {
            "MAIL_SERVER": self.host,
            "MAIL_PORT": str(self.port),
            "MAIL_SUPPRESS_SEND": "false",
        }


@contextmanager
def running_smtp_server(*, delay: float = 0.0) -> Iterator[BenchInbox]:
    """An SMTP server on 127.0.0.1 while the block runs; yields its inbox."""
    # aiosmtpd logs every SMTP command at INFO: thousands of lines amid the figures.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    inbox = BenchInbox(host="127.0.0.1", port=free_port(), delay=delay)
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
