"""What an organizer does with the attendee list: check people in, cancel and refund a booking,
resend a confirmation, write to everyone, put a booking in a named room, and the audit entries
for seeing or exporting private answers.

Each function owns its transaction: it commits on success (with its audit entry inside) and
rolls back before raising a DomainError, so nothing is ever half-written.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.base.outbox import OutboxEmail, booking_email_key, queue_email
from retreats.booking.cancellation import record_cancellation, refund_if_cancelled_now
from retreats.booking.models import Attendee, Booking, BookingStatus
from retreats.booking.waitlist import offer_freed_seats_if_possible
from retreats.database import WRITE_CONFLICTS, utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.notifications.models import AttendeeMessage
from retreats.organizer.attendees.rooming import normalised_room_label, room_label_problem
from retreats.payments.models import Refund
from retreats.payments.refunds import send_refund

log = logging.getLogger(__name__)

CHANGED_MEANWHILE = "This booking changed a moment ago. Please look again."


class RefundChoice(enum.StrEnum):
    FULL = "full"  # everything not yet refunded
    POLICY = "policy"  # what the retreat's cancellation policy gives today


@dataclass(frozen=True)
class RefundOptions:
    full_minor: int
    policy_minor: int

    def amount_for(self, choice: RefundChoice) -> int:
        return self.full_minor if choice == RefundChoice.FULL else self.policy_minor


@dataclass(frozen=True)
class OrganizerCancellation:
    booking_id: int
    refund_minor: int
    refund_ids: list[int]


def record_private_answers_viewed(
    *, actor_id: int, retreat_id: int, booking_id: int | None = None, detail: str = ""
) -> None:
    """Write down that an organizer is about to see attendees' private answers."""
    record_audit(
        "answers.viewed",
        actor_id=actor_id,
        retreat_id=retreat_id,
        booking_id=booking_id,
        detail=detail,
    )
    db.session.commit()


def record_attendees_exported(
    *, actor_id: int, retreat_id: int, include_private: bool, detail: str = ""
) -> None:
    """Write down an export of the attendee list before any of it leaves the server."""
    answers = "with private answers" if include_private else "without private answers"
    record_audit(
        "attendees.exported",
        actor_id=actor_id,
        retreat_id=retreat_id,
        detail=f"{answers}; {detail}" if detail else answers,
    )
    db.session.commit()


def record_rooming_list_exported(*, actor_id: int, retreat_id: int, include_private: bool) -> None:
    """Write down an export of the rooming list before any of it leaves the server."""
    record_audit(
        "rooming.exported",
        actor_id=actor_id,
        retreat_id=retreat_id,
        detail="with private answers" if include_private else "without private answers",
    )
    db.session.commit()


def assign_named_room(
    *, booking_id: int, actor_id: int, room_label: str, now: datetime | None = None
) -> bool:
    """Put a booking that holds its room in a named room ("Olive 2"), or take it out of one with
    ""; False when it already was so. Bookings given the same name share the room."""
    label = normalised_room_label(room_label)
    problem = room_label_problem(label)
    if problem:
        db.session.rollback()
        raise DomainError(problem, field="room_label")
    now = now or utcnow()
    with rolled_back_on_error():
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        holds_room = booking is not None and (
            booking.status == BookingStatus.CONFIRMED
            or (booking.status == BookingStatus.PENDING and booking.hold_expires_at > now)
        )
        if not holds_room:
            raise DomainError(
                "Only a confirmed booking, or one awaiting payment, has a room to be put in; "
                "this one no longer does, so nothing was changed."
            )
        if booking.room_type_id is None:
            raise DomainError("This booking is without accommodation, so it has no room.")
        if booking.room_label == label:
            db.session.rollback()
            return False
        before, booking.room_label = booking.room_label, label
        record_audit(
            "booking.room_assigned",
            actor_id=actor_id,
            retreat_id=booking.retreat_id,
            booking_id=booking.id,
            detail=_room_change(before, label),
        )
        try:
            db.session.commit()
        except WRITE_CONFLICTS as error:
            raise DomainError(CHANGED_MEANWHILE) from error
    return True


def _room_change(before: str, after: str) -> str:
    """'named room "Olive 2" (was "Olive 1")', for the audit log."""
    if not after:
        return f'out of named room "{before}"'
    return f'named room "{after}"' + (f' (was "{before}")' if before else "")


def set_checked_in(
    *, attendee_id: int, actor_id: int, checked_in: bool, now: datetime | None = None
) -> bool:
    """Check a person of a confirmed booking in (or undo it); False if it already was so.

    The wanted state is explicit rather than a flip, so a double tap at the door is harmless.
    """
    attendee = db.session.get(Attendee, attendee_id, populate_existing=True)
    if attendee is None:
        db.session.rollback()
        raise DomainError("That person is no longer on this retreat's list.")
    booking = db.session.get(Booking, attendee.booking_id, populate_existing=True)
    if booking.status != BookingStatus.CONFIRMED:
        db.session.rollback()
        raise DomainError(
            f"{attendee.name} is on a booking that is {booking.status.value}, not confirmed, "
            "so they cannot be checked in."
        )
    if (attendee.checked_in_at is not None) == checked_in:
        db.session.rollback()
        return False
    attendee.checked_in_at = (now or utcnow()) if checked_in else None
    record_audit(
        "attendee.checked_in" if checked_in else "attendee.check_in_undone",
        actor_id=actor_id,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=f"{attendee.name} (attendee {attendee.id})",
    )
    db.session.commit()
    return True


def refund_options(booking: Booking, *, now: datetime | None = None) -> RefundOptions:
    """The two refunds an organizer may give when cancelling this booking now."""
    return RefundOptions(
        full_minor=booking.kept_minor, policy_minor=refund_if_cancelled_now(booking, now=now)
    )


def cancel_booking_for_attendee(
    *, booking_id: int, actor_id: int, refund: RefundChoice, now: datetime | None = None
) -> OrganizerCancellation:
    """An organizer cancels a confirmed booking with a full or a policy refund, and tells them."""
    now = now or utcnow()
    with rolled_back_on_error():
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if booking is None or booking.status != BookingStatus.CONFIRMED:
            raise DomainError(
                "Only a confirmed booking can be cancelled; this one is not (any longer), "
                "so nothing was changed or refunded."
            )
        try:
            refunds = _write_cancellation(booking, actor_id=actor_id, refund=refund, now=now)
            db.session.flush()
            refund_ids = [row.id for row in refunds]
            refunded = sum(row.amount_minor for row in refunds)
            db.session.commit()
        # Someone else changed or cancelled it since we read it (the version check, or the
        # refund's unique key when their cancellation committed first): nothing is written.
        except WRITE_CONFLICTS as error:
            raise DomainError(CHANGED_MEANWHILE) from error
    log.info("Organizer cancelled booking %s, refund %s", booking.reference, refunded)
    for refund_id in refund_ids:
        send_refund(refund_id, now=now)  # a failure stays pending and the worker retries it
    offer_freed_seats_if_possible(retreat_id=booking.retreat_id, now=now)
    return OrganizerCancellation(
        booking_id=booking_id, refund_minor=refunded, refund_ids=refund_ids
    )


def _write_cancellation(
    booking: Booking, *, actor_id: int, refund: RefundChoice, now: datetime
) -> list[Refund]:
    """The cancellation's writes, in the caller's transaction: status, refund, email, audit."""
    return record_cancellation(
        booking,
        refund_minor=refund_options(booking, now=now).amount_for(refund),
        refund_reason="organizer_cancellation",
        email_kind="cancelled_by_organizer",
        actor_id=actor_id,
        audit_detail=f"refund {{refund}} ({refund.value})",
        now=now,
    )


def resend_confirmation(*, booking_id: int, actor_id: int) -> None:
    """Queue the confirmation email of a confirmed booking once more, under a new key."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        db.session.rollback()
        raise DomainError("Only a confirmed booking has a confirmation to send again.")
    earlier = db.session.execute(
        select(func.count(OutboxEmail.id)).where(
            OutboxEmail.booking_id == booking.id, OutboxEmail.kind == "confirmation"
        )
    ).scalar_one()
    first_key = booking_email_key("confirmation", booking.id, booking.contact_email)
    queue_email(
        kind="confirmation",
        key=f"{first_key}:resend:{earlier}",
        booking_id=booking.id,
        to_address=booking.contact_email,
    )
    record_audit(
        "booking.confirmation_resent",
        actor_id=actor_id,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail=f"to {booking.contact_email}",
    )
    db.session.commit()


def message_confirmed_attendees(
    *, retreat_id: int, actor_id: int, subject: str, body: str, now: datetime | None = None
) -> int:
    """Write one email per confirmed booking of a retreat; returns how many were queued."""
    now = now or utcnow()
    recipients = db.session.execute(
        select(Booking.id, Booking.contact_email)
        .where(Booking.retreat_id == retreat_id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.id)
    ).all()
    if not recipients:
        db.session.rollback()
        raise DomainError("There are no confirmed bookings yet, so there is no one to write to.")
    message = AttendeeMessage(
        retreat_id=retreat_id, sent_by_id=actor_id, subject=subject, body=body, created_at=now
    )
    db.session.add(message)
    db.session.flush()
    for booking_id, contact_email in recipients:
        queue_email(
            kind="organizer_message",
            key=f"organizer_message:{message.id}:{booking_id}",
            to_address=contact_email,
            booking_id=booking_id,
            attendee_message_id=message.id,
        )
    record_audit(
        "attendees.messaged",
        actor_id=actor_id,
        retreat_id=retreat_id,
        detail=f'"{subject}" to {len(recipients)} confirmed booking(s)',
    )
    db.session.commit()
    log.info("Message %s queued for %s booking(s)", message.id, len(recipients))
    return len(recipients)
