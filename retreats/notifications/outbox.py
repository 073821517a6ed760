"""Writing to the outbox: called inside the caller's transaction, never sends anything itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from ..database import is_postgresql, utcnow
from ..extensions import db
from .models import OutboxEmail, OutboxStatus

# RFC 2606: no address at or under the `invalid` domain can exist.
NEVER_DELIVERED = ("@invalid", ".invalid")


def booking_email_key(kind: str, booking_id: int, to_address: str) -> str:
    """The one key of a booking's mail of one kind to one recipient: it is never doubled."""
    return f"{kind}:{booking_id}:{to_address.lower()}"


def queue_mail_about_booking(
    kind: str, booking_id: int, to_address: str, *, send_after: datetime | None = None
) -> None:
    """Queue a booking's mail of `kind` to `to_address` under its one key: never doubled."""
    queue_email(
        kind=kind,
        key=booking_email_key(kind, booking_id, to_address),
        booking_id=booking_id,
        to_address=to_address,
        send_after=send_after,
    )


def queue_email(
    *,
    kind: str,
    key: str,
    to_address: str,
    booking_id: int | None = None,
    waitlist_entry_id: int | None = None,
    organizer_token_id: int | None = None,
    attendee_message_id: int | None = None,
    send_after: datetime | None = None,
) -> None:
    """Add an email to the outbox unless one with the same key is already there.

    Addresses under the reserved `.invalid` domain are the placeholders of deleted personal
    data (retreats/privacy/data_rights.py): nothing is ever queued to them.
    """
    if to_address.lower().endswith(NEVER_DELIVERED):
        return
    insert = postgresql.insert if is_postgresql() else sqlite.insert
    now = utcnow()
    statement = (
        insert(OutboxEmail)
        .values(
            key=key,
            kind=kind,
            booking_id=booking_id,
            waitlist_entry_id=waitlist_entry_id,
            organizer_token_id=organizer_token_id,
            attendee_message_id=attendee_message_id,
            to_address=to_address,
            status=OutboxStatus.PENDING,
            attempts=0,
            send_after=send_after or now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    db.session.execute(statement)
