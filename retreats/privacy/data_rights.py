"""An attendee's rights over their data, from the manage link: a copy of it, and its deletion.

The copy holds the booking's parts too (the lines it was priced at, its room type, named room
and add-ons) and every answer: the booking's room share wish and the answers to the retreat's
questions, private or not. Deleting keeps the financial record the law asks us to keep
(reference, amounts, currency, status, refunds, Stripe ids, dates, the lines priced) and the
named room, and removes every personal field: names, addresses, the room share wish, every
answer to the retreat's questions (the rows themselves, as the manage page promises: "every
answer of this booking is removed for good"), the addresses in the outbox and in the booking's
audit entries."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select

from retreats.base.audit import AuditEntry, record_audit
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.models import (
    Answer,
    Booking,
    BookingStatus,
    LineKind,
    WaitlistEntry,
)
from retreats.booking.notices import ORGANIZER_NOTICE_KINDS, queue_organizer_notice
from retreats.booking.pricing import booking_quote
from retreats.database import WRITE_CONFLICTS, utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.payments.models import RefundStatus
from retreats.privacy.retention import clear_room_share_wish

log = logging.getLogger(__name__)

DELETED_NAME = "Deleted"
DELETION_AUDIT_ACTION = "booking.personal_data_deleted"
ORGANIZER_NOTICE_KIND = "organizer_data_deleted"


def deleted_address(reference: str) -> str:
    """The placeholder contact address of a deleted booking (.invalid never delivers)."""
    return f"deleted-{reference.lower()}@invalid"


def personal_data_deleted(booking: Booking) -> bool:
    """Whether the attendee already had this booking's personal data deleted."""
    return booking.contact_email == deleted_address(booking.reference)


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _stay(booking: Booking) -> dict:
    """The booking's room, add-ons, priced lines and room share wish, for its data download."""
    quote = booking_quote(booking)
    room_type = booking.room_type
    return {
        "room_type": room_type.name if room_type is not None else None,
        "takes_whole_room": booking.takes_whole_room if room_type is not None else None,
        "named_room": booking.room_label or None,
        "add_ons": [
            {"name": line.name, "quantity": line.quantity}
            for line in quote.lines
            if line.kind == LineKind.ADD_ON
        ],
        "room_share_with": booking.room_share_with,
        "lines": [
            {
                "kind": str(line.kind),
                "name": line.name,
                "quantity": line.quantity,
                "unit_amount_minor": line.unit_amount_minor,
                "amount_minor": line.amount_minor,
            }
            for line in quote.lines
        ],
        "total_minor": quote.total_minor,
    }


def _question_answers(booking: Booking) -> list[dict]:
    """The booking's answers to the retreat's own questions, each with the label it was asked
    under, what it says, whose it is (None: asked of the booking) and the consent text accepted."""
    return [
        {
            "question": answer.label,
            "answer": answer.shown,
            "private": answer.is_private,
            "asked_of": "booking" if answer.attendee is None else "person",
            "person": answer.attendee.name if answer.attendee is not None else None,
            "consent_text": answer.consent_text,
            "answered_at": _moment(answer.answered_at),
        }
        for answer in booking.answers
    ]


def booking_data_export(booking: Booking) -> dict:
    """Everything stored about one booking and its attendees, for the attendee to download."""
    retreat = booking.retreat
    emails = db.session.scalars(
        select(OutboxEmail)
        .where(
            OutboxEmail.booking_id == booking.id,
            # Mails to the organizer about the booking: their address is not the attendee's data.
            OutboxEmail.kind.not_in(ORGANIZER_NOTICE_KINDS),
        )
        .order_by(OutboxEmail.id)
    )
    return {
        "booking": {
            "reference": booking.reference,
            "retreat": {
                "title": retreat.title,
                "starts_at": _moment(retreat.starts_at),
                "ends_at": _moment(retreat.ends_at),
                "timezone": retreat.timezone,
            },
            "ticket": booking.ticket_type.name,
            "seats": booking.seats,
            **_stay(booking),
            "status": str(booking.status),
            "amount_minor": booking.amount_minor,
            "paid_minor": booking.paid_minor,
            "refunded_minor": booking.refunded_minor,
            "payments": [
                {
                    "kind": str(payment.kind),
                    "status": str(payment.status),
                    "amount_minor": payment.amount_minor,
                    "currency": payment.currency,
                    "succeeded_at": _moment(payment.succeeded_at),
                }
                for payment in booking.payments
            ],
            "currency": booking.currency,
            "contact_name": booking.contact_name,
            "contact_email": booking.contact_email,
            "created_at": _moment(booking.created_at),
            "confirmed_at": _moment(booking.confirmed_at),
            "expired_at": _moment(booking.expired_at),
            "cancelled_at": _moment(booking.cancelled_at),
        },
        "attendees": [
            {
                "name": person.name,
                "email": person.email,
                "code_of_conduct_accepted_at": _moment(person.code_of_conduct_accepted_at),
                "checked_in_at": _moment(person.checked_in_at),
            }
            for person in booking.attendees
        ],
        "answers": _question_answers(booking),
        "emails": [
            {
                "kind": email.kind,
                "to": email.to_address,
                "status": str(email.status),
                "created_at": _moment(email.created_at),
                "sent_at": _moment(email.sent_at),
            }
            for email in emails
        ],
        "refunds": [
            {
                "amount_minor": refund.amount_minor,
                "currency": refund.currency,
                "reason": refund.reason,
                "status": str(refund.status),
                "created_at": _moment(refund.created_at),
                "succeeded_at": _moment(refund.succeeded_at),
            }
            for refund in booking.refunds
        ],
    }


def deletion_refusal(booking: Booking, *, now: datetime | None = None) -> str | None:
    """Why this booking's data cannot be deleted now, or None when it can.

    A payment still under way, or a confirmed place at a retreat not yet over, needs the names
    and addresses (the organizer's list, the confirmation, the guide): cancel first, or wait.
    So does money the organizer still has to give back by hand (it was paid offline): they need
    to know whom to return it to.
    """
    now = now or utcnow()
    if personal_data_deleted(booking):
        return "The personal data of this booking has already been deleted."
    if booking.status == BookingStatus.PENDING:
        return "A payment for this booking is still under way; please try again in an hour."
    if booking.status == BookingStatus.CONFIRMED and booking.retreat.ends_at > now:
        return (
            "This booking is still active. To have your data deleted before the retreat is over, "
            "please cancel the booking first."
        )
    if any(refund.status == RefundStatus.BY_ORGANIZER for refund in booking.refunds):
        return (
            "The organizer still has to give you back money you paid them directly, and needs "
            "your name and address for that; you can ask again once it is returned."
        )
    return None


def delete_personal_data(*, booking_id: int, now: datetime | None = None) -> Booking:
    """Remove every personal field of one booking at its attendee's request, in one transaction:
    names, addresses and answers, the addresses of its mails (unsent ones dropped), those in its
    audit entries; record it in the audit log and tell the organizer (no personal data)."""
    now = now or utcnow()
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    refusal = (
        "This booking was not found." if booking is None else deletion_refusal(booking, now=now)
    )
    if refusal:
        db.session.rollback()
        raise DomainError(refusal)
    try:
        _erase(booking, now)
        db.session.commit()
    except WRITE_CONFLICTS as error:
        db.session.rollback()
        raise DomainError("This booking changed a moment ago. Please try again.") from error
    except Exception:
        db.session.rollback()
        raise
    log.info("Deleted the personal data of booking %s at the attendee's request", booking.reference)
    return booking


def _erase(booking: Booking, now: datetime) -> None:
    placeholder = deleted_address(booking.reference)
    # Every name and address of the booking, to find them in its mails and audit entries.
    replacements = {booking.contact_email: placeholder, booking.contact_name: DELETED_NAME}
    for person in booking.attendees:
        if person.email:
            replacements[person.email] = placeholder
        replacements[person.name] = DELETED_NAME
        person.name, person.email = DELETED_NAME, None
    booking.contact_name, booking.contact_email = DELETED_NAME, placeholder
    clear_room_share_wish(booking)  # it may name someone, and is theirs alone
    _delete_question_answers(booking)
    if booking.waitlist_entry_id is not None:
        entry = db.session.get(WaitlistEntry, booking.waitlist_entry_id)
        replacements.setdefault(entry.email, placeholder)
        replacements.setdefault(entry.name, DELETED_NAME)
        entry.name, entry.email = DELETED_NAME, placeholder
    _forget_mail_addresses(booking, {address.lower() for address in replacements if "@" in address})
    _scrub_audit_details(booking.id, replacements)
    record_audit(
        DELETION_AUDIT_ACTION,
        actor_id=None,
        retreat_id=booking.retreat_id,
        booking_id=booking.id,
        detail="at the attendee's request, from the booking's link; financial record kept",
    )
    queue_organizer_notice(booking, ORGANIZER_NOTICE_KIND, send_after=now)


def _delete_question_answers(booking: Booking) -> None:
    """Every answer of the booking to the retreat's own questions, consents too: the rows go
    (in SQL, so none is decrypted on its way out)."""
    db.session.execute(
        delete(Answer).where(Answer.booking_id == booking.id),
        execution_options={"synchronize_session": "fetch"},
    )
    # Collections already read would still list them.
    db.session.expire(booking, ["answers"])
    for person in booking.attendees:
        db.session.expire(person, ["answers"])


def _forget_mail_addresses(booking: Booking, addresses: set[str]) -> None:
    """The booking's mails to its attendees: no address kept (in the row or its key), and
    the unsent ones dropped. The organizer's notices are left as they are."""
    placeholder = deleted_address(booking.reference)
    for email in db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.booking_id == booking.id)
    ):
        if email.to_address.lower() not in addresses:
            continue
        email.to_address = placeholder
        email.key = f"{email.kind}:{booking.id}:deleted:{email.id}"
        email.last_error = None  # an SMTP error quotes the address
        if email.status in (OutboxStatus.PENDING, OutboxStatus.FAILED):
            email.status = OutboxStatus.DROPPED


def _scrub_audit_details(booking_id: int, replacements: dict[str, str]) -> None:
    """Names and addresses quoted in the booking's audit entries (e.g. "to ada@…")."""
    # Longest first, so "Ada Lovelace" goes before a shorter name inside it.
    ordered = sorted(
        ((old, new) for old, new in replacements.items() if old), key=lambda p: -len(p[0])
    )
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.booking_id == booking_id)):
        detail = entry.detail or ""
        for old, new in ordered:
            detail = detail.replace(old, new)
        entry.detail = detail
