"""What an organizer does about a booking's balance: give it more time (a later due date),
record money that came outside Stripe (a bank transfer, cash; the person gets a receipt), and
mark a refund of such money returned once they have given it back by hand.

Each function owns its transaction: it commits with its audit entry, or rolls back and raises
a DomainError (its `field` the form field the message belongs beside), so nothing is ever
half-written. Each takes the booking's version the page was shown with: a booking changed
since (the worker asked for its balance, money arrived, another organizer acted) is refused
with "changed a moment ago", and so is one changed while the request runs (the version column
guards the write), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm.attributes import flag_modified

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.booking.balance_collection import charge_in_flight
from retreats.booking.email_schedule import schedule_balance_reminders
from retreats.booking.models import Booking, BookingStatus
from retreats.booking.notices import queue_payment_receipt
from retreats.database import WRITE_CONFLICTS, utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.organizer.attendees.actions import CHANGED_MEANWHILE
from retreats.payments import ledger
from retreats.payments.models import Refund, RefundStatus

NOTE_MAX = 500
NO_BALANCE = (
    "Only a confirmed booking that still owes its balance has a due date to move; this one "
    "does not (any longer), so nothing was changed."
)
NOTHING_OWED = (
    "Only a confirmed booking that still owes something can have a payment recorded; this "
    "one owes nothing (any longer), so nothing was recorded."
)
NO_SUCH_REFUND = "That refund is not one of this booking's; nothing was changed."
REFUND_THROUGH_STRIPE = (
    "This refund goes back to the card through Stripe, not by hand, so it cannot be marked "
    "returned; nothing was changed."
)
CHARGE_UNDER_WAY = (
    "The card saved for the balance is being charged right now, so its due date cannot move. "
    "Please look again in a few minutes."
)


@dataclass(frozen=True)
class DueDateMoved:
    old_due_at: datetime
    new_due_at: datetime


def due_at_on(booking: Booking, day: date) -> datetime:
    """The balance's new due moment on `day` (a date on the retreat's clock), in UTC: at the
    same time of day, on that clock, as its current due moment, so the worker and the
    reminders keep the rhythm the person was told. A time the clocks skip that day comes out
    an hour later, as the clock on the wall shows it."""
    zone = booking.retreat.zone
    time_of_day = booking.balance_due_at.astimezone(zone).time()
    return datetime.combine(day, time_of_day, tzinfo=zone).astimezone(UTC)


def due_date_problem(booking: Booking, day: date, *, now: datetime) -> str | None:
    """Why `day` cannot be the balance's new due date (None: it can): it must be after today
    and after the current due date, and its moment before the retreat starts."""
    retreat, zone = booking.retreat, booking.retreat.zone
    current = booking.balance_due_at.astimezone(zone).date()
    if day <= now.astimezone(zone).date():
        return "Choose a date after today."
    if day <= current:
        return f"Choose a date after the current due date, {_day(current)}."
    # Dates past the start's are refused before turning into moments (9999-12-31 would not).
    if day > retreat.local_starts_at.date() or due_at_on(booking, day) >= retreat.starts_at:
        return f"Choose a date before the retreat starts on {_day(retreat.local_starts_at)}."
    return None


def extend_balance_due(
    *, booking_id: int, actor_id: int, due_on: date, version: int, now: datetime | None = None
) -> DueDateMoved:
    """Give a booking that owes its balance until `due_on` (due_at_on): the worker asks for it
    again then, and its reminders move with it. Audited with the old and the new date."""
    now = now or utcnow()
    with rolled_back_on_error():
        booking = _booking_as_seen(booking_id, version)
        if not _owes_a_balance(booking):
            raise DomainError(NO_BALANCE)
        if charge_in_flight(booking):
            raise DomainError(CHARGE_UNDER_WAY)
        problem = due_date_problem(booking, due_on, now=now)
        if problem:
            raise DomainError(problem, field="due_on")
        moved = DueDateMoved(booking.balance_due_at, due_at_on(booking, due_on))
        zone = booking.retreat.zone
        try:
            booking.balance_due_at = moved.new_due_at
            booking.balance_asked_at = None  # asked again on the new date
            schedule_balance_reminders(booking, now=now)
            record_audit(
                "booking.balance_due_extended",
                actor_id=actor_id,
                retreat_id=booking.retreat_id,
                booking_id=booking.id,
                detail=f"{_day(moved.old_due_at.astimezone(zone))} → {_day(due_on)}",
            )
            db.session.commit()
        except WRITE_CONFLICTS as error:
            raise DomainError(CHANGED_MEANWHILE) from error
    return moved


def record_offline_payment(
    *,
    booking_id: int,
    actor_id: int,
    amount_minor: int,
    note: str,
    version: int,
    now: datetime | None = None,
) -> int:
    """Put money the organizer received outside Stripe on a confirmed booking's ledger: more
    than nothing and at most what it owes, with a note saying how it came. Audited; returns
    what the booking owes after it. The person is sent a receipt (once for this payment)."""
    now = now or utcnow()
    note = (note or "").strip()
    with rolled_back_on_error():
        booking = _booking_as_seen(booking_id, version)
        owed = booking.owed_minor
        if owed <= 0:
            raise DomainError(NOTHING_OWED)
        if amount_minor <= 0:
            raise DomainError("Enter an amount more than nothing.", field="amount")
        if amount_minor > owed:
            raise DomainError(
                f"That is more than the {format_money(owed, booking.currency)} this booking "
                "owes. Record at most that.",
                field="amount",
            )
        if not note or len(note) > NOTE_MAX:
            raise DomainError(
                f"Say how the money came (a bank transfer, cash …), in at most {NOTE_MAX} "
                "characters.",
                field="note",
            )
        money = format_money(amount_minor, booking.currency)
        try:
            payment = ledger.record_offline_payment(
                booking, amount_minor=amount_minor, note=note, now=now
            )
            # A write to the booking's own row (its version): two payments recorded at once,
            # or one beside a balance arriving from Stripe, cannot both count the same debt.
            booking.updated_at = now
            flag_modified(booking, "updated_at")
            record_audit(
                "booking.offline_payment",
                actor_id=actor_id,
                retreat_id=booking.retreat_id,
                booking_id=booking.id,
                detail=f"{money}: {note}",
            )
            db.session.flush()
            queue_payment_receipt(payment)
            owed_after = booking.owed_minor
            db.session.commit()
        except WRITE_CONFLICTS as error:
            raise DomainError(CHANGED_MEANWHILE) from error
    return owed_after


@dataclass(frozen=True)
class RefundReturned:
    amount_minor: int
    currency: str


def mark_refund_returned(
    *,
    booking_id: int,
    refund_id: int,
    actor_id: int,
    note: str,
    version: int,
    now: datetime | None = None,
) -> RefundReturned:
    """The organizer gave back, by hand, a refund of money the booking paid offline: it is
    done (succeeded, now), with a note saying how. Audited with the amount and the note."""
    now = now or utcnow()
    note = (note or "").strip()
    with rolled_back_on_error():
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        refund = db.session.get(Refund, refund_id, populate_existing=True)
        if booking is None or refund is None or refund.booking_id != booking.id:
            raise DomainError(NO_SUCH_REFUND)
        if refund.status != RefundStatus.BY_ORGANIZER:
            raise DomainError(_not_to_return_by_hand(refund, booking))
        if booking.version != version:
            raise DomainError(CHANGED_MEANWHILE)
        if not note or len(note) > NOTE_MAX:
            raise DomainError(
                f"Say how you returned the money (a bank transfer and its date, cash …), in at "
                f"most {NOTE_MAX} characters.",
                field="note",
            )
        returned = RefundReturned(refund.amount_minor, refund.currency)
        try:
            ledger.record_refund_returned(refund, note=note, now=now)
            # The booking's version moves: the same page cannot mark it twice, nor two
            # organizers at once.
            booking.updated_at = now
            flag_modified(booking, "updated_at")
            record_audit(
                "booking.offline_refund_returned",
                actor_id=actor_id,
                retreat_id=booking.retreat_id,
                booking_id=booking.id,
                detail=f"{format_money(returned.amount_minor, returned.currency)}: {note}",
            )
            db.session.commit()
        except WRITE_CONFLICTS as error:
            raise DomainError(CHANGED_MEANWHILE) from error
    return returned


def _not_to_return_by_hand(refund: Refund, booking: Booking) -> str:
    """Why a refund that is not waiting for the organizer cannot be marked returned."""
    if not refund.returned_by_hand:
        return REFUND_THROUGH_STRIPE
    if refund.succeeded_at is None:
        return "This refund was already marked returned; nothing was changed."
    when = _day(refund.succeeded_at.astimezone(booking.retreat.zone))
    return f"This refund was already marked returned on {when}; nothing was changed."


def _booking_as_seen(booking_id: int, version: int) -> Booking:
    """The booking read afresh, refused when it is not the version the page showed."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or booking.version != version:
        raise DomainError(CHANGED_MEANWHILE)
    return booking


def _owes_a_balance(booking: Booking) -> bool:
    return (
        booking.status == BookingStatus.CONFIRMED
        and booking.balance_due_at is not None
        and booking.owed_minor > 0
    )


def _day(moment: date | datetime) -> str:
    """ "3 Jun 2027" (a local date, or a local datetime's date)."""
    return f"{moment.day} {moment:%b %Y}"
