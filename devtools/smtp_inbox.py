"""A real SMTP server that remembers what it received, for the tests and the benchmarks.

`RecordingInbox` is the aiosmtpd handler: it answers DATA after `delay` seconds (which may change
while it runs, as with a slow mail provider; the other connections are served meanwhile) and keeps
each message with its arrival time. `serving(handler)` runs any handler on its host and port for
the length of a `with` block.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from typing import TypeVar

from aiosmtpd.controller import Controller

Handler = TypeVar("Handler")


@contextmanager
def serving(handler: Handler, *, host: str, port: int) -> Iterator[Handler]:
    """An aiosmtpd server on host:port answering with `handler` while the block runs."""
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@dataclass
class RecordingInbox:
    """aiosmtpd handler: answer DATA after `delay` seconds and keep the message and its arrival.

    Messages are parsed only when `messages` is read, so a benchmark's thousands of mails cost no
    more than reading their Message-ID.
    """

    host: str
    port: int
    delay: float = 0.0
    message_ids: list[str] = field(default_factory=list)
    arrival_times: list[float] = field(default_factory=list)  # time.monotonic() of each
    answered_late: int = 0  # messages whose DATA was answered `delay` seconds late
    _raw: list[bytes] = field(default_factory=list)
    _parsed: list[EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        delay = self.delay
        if delay:
            await asyncio.sleep(delay)
        headers = BytesHeaderParser().parsebytes(envelope.original_content)
        with self._arrived:
            self._raw.append(envelope.original_content)
            self.message_ids.append(str(headers.get("Message-ID", "")))
            self.arrival_times.append(time.monotonic())
            self.answered_late += bool(delay)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def running(self) -> AbstractContextManager[RecordingInbox]:
        """Serve this inbox on its host and port while the block runs."""
        return serving(self, host=self.host, port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, in order of arrival."""
        with self._arrived:
            for raw in self._raw[len(self._parsed) :]:
                self._parsed.append(message_from_bytes(raw, policy=policy.default))
            return list(self._parsed)

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The messages once at least `count` have arrived; fail after `timeout` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._raw) >= count, timeout):
                raise AssertionError(f"expected {count} message(s), got {len(self._raw)}")
        return self.messages

    @property
    def received(self) -> int:
        with self._arrived:
            return len(self._raw)

    def last_arrival(self) -> float | None:
        with self._arrived:
            return self.arrival_times[-1] if self.arrival_times else None

    def repeated_message_ids(self) -> int:
        """How many messages repeated a Message-ID already received: a mail sent twice."""
        with self._arrived:
            counts = Counter(self.message_ids)
        return sum(count - 1 for count in counts.values())

    def mail_environment(self) -> dict[str, str]:
        """The app settings that make a process send its mail here."""
        return {
            "MAIL_SERVER": self.host,
            "MAIL_PORT": str(self.port),
            "MAIL_SUPPRESS_SEND": "false",
        }
