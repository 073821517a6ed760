"""What a message builder hands the sender: one email, rendered, with its attachments."""

from __future__ import annotations

from dataclasses import dataclass, field


class MessageNoLongerApplies(Exception):  # noqa: N818  (a reason, not a fault)
    """A scheduled mail whose booking or retreat has changed so that it must not go out."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Message:
    subject: str
    recipient: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    # (display name, address) when it differs from MAIL_DEFAULT_SENDER (discreet mode).
    sender: tuple[str, str] | None = None
