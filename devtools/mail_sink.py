"""A local SMTP server for development: keeps every message it receives as an .eml file.

`make run` starts it on 127.0.0.1:8025 and the app sends there unless MAIL_SERVER says otherwise.
Open the files in instance/mail/ with any mail program, or read them as text.
"""

from __future__ import annotations

import argparse
import re
import signal
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class MaildirSink:
    """aiosmtpd handler: write each message to <folder>/<time>-<subject>.eml and say so."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = 0

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        subject = str(message.get("Subject", "no subject"))
        slug = re.sub(r"[^A-Za-z0-9]+", "-", subject).strip("-")[:60] or "message"
        with self._lock:
            self._count += 1
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            path = self.folder / f"{stamp}-{self._count:04d}-{slug}.eml"
            path.write_bytes(envelope.original_content)
        print(f"mail for {', '.join(envelope.rcpt_tos)}: {subject!r} → {path}", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", default="instance/mail", type=Path)
    args = parser.parse_args()

    controller = Controller(MaildirSink(args.maildir), hostname=args.host, port=args.port)
    controller.start()
    print(f"Mail sink on {args.host}:{args.port}, writing to {args.maildir}/", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
