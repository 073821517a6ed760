"""Booking rules: hold seats under the capacity lock, confirm, expire and cancel bookings.

Every function owns its transaction: it commits on success and rolls back before raising.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from retreats.base.locking import (
    BUSY_MESSAGE,
    retried_after_write_conflicts,
    rolled_back_on_error,
    row_turn,
)
from retreats.base.tokens import hash_token, token_matches
from retreats.booking.answers import GivenAnswer, attach_answers
from retreats.booking.capacity import seats_taken, ticket_limit_reached, tickets_taken
from retreats.booking.confirmation import mark_confirmed
from retreats.booking.discount_uses import apply_discount_code
from retreats.booking.inventory import RoomsTaken, add_on_units_taken, room_left, rooms_taken
from retreats.booking.models import Attendee, Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from retreats.booking.payment_plan import payment_plan
from retreats.booking.pricing import Quote, booking_lines, price_booking
from retreats.booking.tokens import booking_token, new_reference
from retreats.booking.voucher_payments import confirm_if_covered, spend_gift_voucher
from retreats.booking.waitlist import offer_freed_seats_if_possible
from retreats.database import (
    commit_keeping_loaded,
    lock_row,
    utcnow,
)
from retreats.errors import DomainError, NoPlaceLeft, SoldOut, TryAgain
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.listings.models import AddOn, Retreat, RetreatStatus, RoomType, TicketType
from retreats.payments.ledger import (
    expire_open_payments,
    record_checkout_payment,
    record_payment_received,
)
from retreats.payments.models import PaymentKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttendeeDetails:
    name: str
    email: str | None


@dataclass(frozen=True)
class Payment:
    """What Stripe says was paid for a booking."""

    checkout_session_id: str
    payment_intent_id: str | None
    amount_minor: int | None
    currency: str | None


class PaymentMismatch(DomainError):
    """The amount or currency paid is not what the booking costs."""


def hold_seats(
    *,
    retreat_id: int,
    ticket_type_id: int,
    contact_email: str,
    attendees: list[AttendeeDetails],
    room_type_id: int | None = None,
    add_on_ids: Sequence[int] = (),
    room_share_with: str = "",
    submission_key: str | None = None,
    waitlist_entry_id: int | None = None,
    balance_by_saved_card: bool = False,
    answers: Sequence[GivenAnswer] = (),
    discount_code: str = "",
    gift_voucher_code: str = "",
    seats_taken_seen: int | None = None,
    now: datetime | None = None,
) -> Booking:
    """Create a pending booking that holds its seats, its room (or bed) and its add-ons, if the
    retreat still has them all; it is priced by booking/pricing.py and keeps those lines.

    A repeated `submission_key` (a double-submitted form) returns the booking made the first
    time. With `waitlist_entry_id`, the seats come from that entry's live offer, and so does the
    room when the offer holds one (then it must be that room type).
    `room_share_with` (whom a single guest in a shared room would like to share with) is kept
    only for a bed in a shared room. `balance_by_saved_card` (the person's consent that the
    card paying the deposit be charged the balance) is kept only where a deposit is asked.
    `answers` (booking/answers.py read_answers) are the answers to the retreat's own questions,
    kept with the booking in the same transaction. `discount_code` (as typed; empty: none) takes
    its discount off the total if it applies to this booking and has uses left.
    `gift_voucher_code` (as typed; empty: none) pays what is left on that voucher of the total,
    taken under its lock (booking/voucher_payments.py); the card pays the rest.
    `seats_taken_seen` (the seats taken as counted, unlocked, when the retreat was loaded for
    this request) spares counting them again for the early "sold out" before the lock.
    """
    now = now or utcnow()
    # Queue for the retreat without a pooled connection: end the transaction first (nothing was
    # written; what was read stays loaded). Those before may take the last seats meanwhile, which
    # an unlocked read then tells without queueing for the lock as well.
    commit_keeping_loaded()
    seat_lock_timeout_ms = current_app.config["SEAT_LOCK_TIMEOUT_MS"]
    with row_turn(("retreat", retreat_id), timeout_ms=seat_lock_timeout_ms) as lock_timeout_ms:
        if waitlist_entry_id is None:
            _refuse_if_already_sold_out(
                retreat_id, ticket_type_id, submission_key, seats_taken_seen, now
            )
        # A repeated submit of a form that booked (a double click) finds its booking when its
        # own hold is refused: at the latest when inserting its submission key, which is unique.
        # Looking first would cost every other hold a statement under the lock.
        try:
            with rolled_back_on_error():
                try:
                    retreat = lock_row(Retreat, retreat_id, timeout_ms=lock_timeout_ms)
                    ticket = _bookable_ticket(retreat, ticket_type_id, attendees, now)
                    offer = _live_offer_for(retreat, ticket, waitlist_entry_id, now)
                    room_type, add_ons = chosen_stay(
                        retreat,
                        ticket,
                        room_type_id=room_type_id,
                        add_on_ids=add_on_ids,
                        offer=offer,
                    )
                    _check_seats_left(retreat, ticket, offer, now)
                    _check_ticket_limit(retreat, ticket, now)
                    _check_room_left(retreat, room_type, ticket.seats_per_ticket, offer, now)
                    _check_add_ons_left(retreat, add_ons, ticket.seats_per_ticket, now)
                    discount = None
                    if discount_code.strip():
                        discount = apply_discount_code(
                            discount_code,
                            retreat=retreat,
                            ticket=ticket,
                            room_type=room_type,
                            contact_email=contact_email,
                            now=now,
                            lock_timeout_ms=lock_timeout_ms,
                        )
                    quote = price_booking(
                        currency=retreat.currency,
                        ticket=ticket,
                        room_type=room_type,
                        add_ons=add_ons,
                        discount=discount,
                    )
                    booking = _new_booking(retreat, ticket, contact_email, attendees, quote, now)
                    if discount is not None:
                        booking.discount_code_id = discount.id
                    attach_answers(booking, answers, now=now)
                    plan = payment_plan(
                        retreat,
                        total_minor=quote.total_minor,
                        people=ticket.seats_per_ticket,
                        now=now,
                    )
                    if plan.has_deposit:
                        booking.deposit_minor = plan.today_minor
                        booking.balance_due_at = plan.balance_due_at
                        booking.balance_by_saved_card = balance_by_saved_card
                    if gift_voucher_code.strip():
                        spend_gift_voucher(
                            booking,
                            gift_voucher_code,
                            retreat=retreat,
                            now=now,
                            lock_timeout_ms=lock_timeout_ms,
                        )
                    if room_type is not None:
                        booking.room_type_id = room_type.id
                        booking.takes_whole_room = room_type.takes_whole_room(
                            ticket.seats_per_ticket
                        )
                        if not booking.takes_whole_room:
                            booking.room_share_with = room_share_with.strip() or None
                    booking.submission_key = submission_key
                    if offer is not None:
                        offer.status = WaitlistStatus.BOOKED
                        booking.waitlist_entry_id = offer.id
                    db.session.add(booking)
                    confirm_if_covered(booking, now=now)
                    # Checkout reads the booking, its retreat and ticket next: as written.
                    commit_keeping_loaded()
                except IntegrityError as error:  # a repeated submit, or a reference collision
                    raise TryAgain(BUSY_MESSAGE) from error
        except DomainError:
            earlier = _booking_for_submission(submission_key)
            if earlier is None:
                raise
            return earlier
    log.info("Held %s seat(s) for booking %s", booking.seats, booking.reference)
    return booking


def _refuse_if_already_sold_out(
    retreat_id: int,
    ticket_type_id: int,
    submission_key: str | None,
    seats_taken_seen: int | None,
    now: datetime,
) -> None:
    """Answer "sold out" without queueing for the lock when that is already certain.

    Seats only come free without the lock, so a retreat full now stays full for this request;
    the locked re-check below still decides every hold that might succeed. A repeated submit of
    a form that booked is not refused: the locked path finds its booking. Nothing was written,
    so the transaction stays as it is: what was read stays loaded for the page that tells it.
    """
    retreat = db.session.get(Retreat, retreat_id)
    ticket = db.session.get(TicketType, ticket_type_id)
    if retreat is None or ticket is None or ticket.retreat_id != retreat_id:
        return  # the locked path gives the precise message
    if seats_taken_seen is None:
        seats_taken_seen = seats_taken(retreat_id, now=now)
    seats_left = retreat.capacity - seats_taken_seen
    if seats_left >= ticket.seats_per_ticket:
        return
    if _booking_for_submission(submission_key) is not None:
        return
    raise _too_few_seats(retreat, ticket, seats_left)


# Only the id: nearly every submission is a new one, so this finds nothing, and asking for the
# whole booking costs the ORM more for that nothing than the statement does.
_BOOKING_ID_FOR_SUBMISSION = select(Booking.id).where(Booking.submission_key == bindparam("key"))


def _booking_for_submission(submission_key: str | None) -> Booking | None:
    if not submission_key:
        return None
    booking_id = db.session.scalar(_BOOKING_ID_FOR_SUBMISSION, {"key": submission_key})
    return None if booking_id is None else db.session.get(Booking, booking_id)


def _bookable_ticket(
    retreat: Retreat | None, ticket_type_id: int, attendees: list[AttendeeDetails], now: datetime
) -> TicketType:
    if retreat is None or not retreat.is_open_for_booking(now):
        raise DomainError("This retreat is not open for booking.")
    ticket = db.session.get(TicketType, ticket_type_id)
    if ticket is None or ticket.retreat_id != retreat.id:
        raise DomainError("Please choose one of the tickets offered.")
    if not ticket.on_sale_at(now):
        raise DomainError(f"The “{ticket.name}” ticket is not on sale any more.")
    if len(attendees) != ticket.seats_per_ticket:
        raise DomainError(f"A “{ticket.name}” ticket is for {ticket.seats_per_ticket} people.")
    return ticket


def _live_offer_for(
    retreat: Retreat, ticket: TicketType, waitlist_entry_id: int | None, now: datetime
) -> WaitlistEntry | None:
    if waitlist_entry_id is None:
        return None
    entry = db.session.get(WaitlistEntry, waitlist_entry_id, populate_existing=True)
    if (
        entry is None
        or entry.retreat_id != retreat.id
        or entry.status != WaitlistStatus.OFFERED
        or entry.offer_expires_at <= now
    ):
        raise DomainError("This waitlist offer has ended, so its places were passed on.")
    if entry.seats != ticket.seats_per_ticket:
        raise DomainError(f"Your offer is for {entry.seats} place(s): please choose that ticket.")
    return entry


def _check_seats_left(
    retreat: Retreat, ticket: TicketType, offer: WaitlistEntry | None, now: datetime
) -> None:
    seats_left = retreat.capacity - seats_taken(retreat.id, now=now)
    if offer is not None:
        seats_left += offer.seats  # the offer's own seats are the ones being taken
    if seats_left < ticket.seats_per_ticket:
        raise _too_few_seats(retreat, ticket, seats_left)


def _too_few_seats(retreat: Retreat, ticket: TicketType, seats_left: int) -> SoldOut:
    if seats_left <= 0:
        return NoPlaceLeft(f"Sorry, {retreat.title} is sold out.")
    return SoldOut(
        f"Only {seats_left} place is left, and a “{ticket.name}” ticket needs "
        f"{ticket.seats_per_ticket}."
    )


def chosen_stay(
    retreat: Retreat,
    ticket: TicketType,
    *,
    room_type_id: int | None,
    add_on_ids: Sequence[int],
    offer: WaitlistEntry | None = None,
) -> tuple[RoomType | None, list[AddOn]]:
    """The room type (None: no room) and add-ons chosen with `ticket`, if the retreat offers them
    together; DomainError (with `.field`) otherwise. What is left of them is not counted here: the
    hold does that under the lock. The booking form's total checks a choice with this too."""
    room_type = _chosen_room(retreat, ticket, room_type_id, offer)
    return room_type, _chosen_add_ons(retreat, ticket, room_type, add_on_ids)


def _chosen_room(
    retreat: Retreat, ticket: TicketType, room_type_id: int | None, offer: WaitlistEntry | None
) -> RoomType | None:
    """The room type chosen, if it is one on offer that suits the ticket; None for no room.

    A waitlist offer that holds a room allows only that room type (hidden since or not)."""
    offered = {room.id: room for room in retreat.room_types if not room.hidden}
    if offer is not None and offer.room_type is not None:
        if room_type_id != offer.room_type_id:
            raise DomainError(
                f"Your offer holds a place in the “{offer.room_type.name}”: please choose it.",
                field="room_type",
            )
        offered[offer.room_type_id] = offer.room_type
    if room_type_id is None:
        if offered and not retreat.allows_no_accommodation:
            raise DomainError("Please choose a room.", field="room_type")
        return None
    room_type = offered.get(room_type_id)
    if room_type is None:
        raise DomainError("Please choose one of the rooms offered.", field="room_type")
    if not room_type.suits(ticket.seats_per_ticket):
        raise DomainError(
            f"The “{room_type.name}” is not for two people: please choose another room.",
            field="room_type",
        )
    return room_type


def _chosen_add_ons(
    retreat: Retreat, ticket: TicketType, room_type: RoomType | None, add_on_ids: Sequence[int]
) -> list[AddOn]:
    """The add-ons chosen, each once, if each is on offer with this ticket and room."""
    if not add_on_ids:
        return []  # most bookings: the retreat's add-ons are not even loaded
    offered = {add_on.id: add_on for add_on in retreat.add_ons if not add_on.hidden}
    chosen = []
    for add_on_id in dict.fromkeys(add_on_ids):
        add_on = offered.get(add_on_id)
        if add_on is None:
            raise DomainError("Please choose among the extras offered.", field="add_ons")
        if not add_on.allowed_with(ticket, room_type):
            raise DomainError(
                f"“{add_on.name}” does not come with this ticket and room: please untick it.",
                field="add_ons",
            )
        chosen.append(add_on)
    return chosen


def _check_room_left(
    retreat: Retreat,
    room_type: RoomType | None,
    people: int,
    offer: WaitlistEntry | None,
    now: datetime,
) -> None:
    if room_type is None:
        return
    taken = rooms_taken(retreat.id, now=now).get(room_type.id, RoomsTaken())
    if offer is not None and offer.room_type_id == room_type.id:
        # The offer's own room (or bed) is the one being taken.
        taken = taken.minus(whole_room=room_type.takes_whole_room(offer.seats))
    left = room_left(room_type, taken)
    if left.fits(people):
        return
    if left.beds_left > 0:  # beds of a shared room are left, but no whole room for two
        raise SoldOut(
            f"Only single beds in shared rooms are left in the “{room_type.name}”, no whole room "
            "for two. Please choose another room.",
            field="room_type",
        )
    raise SoldOut(
        f"The last “{room_type.name}” was just taken. Please choose another room.",
        field="room_type",
    )


def _check_add_ons_left(retreat: Retreat, add_ons: list[AddOn], people: int, now: datetime) -> None:
    limited = [add_on for add_on in add_ons if add_on.quantity_limit is not None]
    if not limited:
        return
    taken = add_on_units_taken(retreat.id, now=now)
    for add_on in limited:
        units_left = add_on.quantity_limit - taken.get(add_on.id, 0)
        if units_left < add_on.units_for(people):
            left = f"only {units_left} left" if units_left > 0 else "none left"
            raise SoldOut(
                f"“{add_on.name}” has {left} for this booking: please untick it.",
                field="add_ons",
            )


def _check_ticket_limit(retreat: Retreat, ticket: TicketType, now: datetime) -> None:
    if ticket.quantity_limit is None:
        return
    if ticket_limit_reached(ticket, tickets_taken(retreat.id, now=now)):
        raise SoldOut(f"The “{ticket.name}” tickets are all taken. Please choose another ticket.")


def _new_booking(
    retreat: Retreat,
    ticket: TicketType,
    contact_email: str,
    attendees: list[AttendeeDetails],
    quote: Quote,
    now: datetime,
) -> Booking:
    reference = new_reference()
    booking = Booking(
        reference=reference,
        token_hash=hash_token(booking_token(reference)),
        retreat_id=retreat.id,
        ticket_type_id=ticket.id,
        status=BookingStatus.PENDING,
        seats=ticket.seats_per_ticket,
        amount_minor=quote.total_minor,
        currency=retreat.currency,
        contact_name=attendees[0].name,
        contact_email=contact_email,
        hold_expires_at=now + timedelta(minutes=current_app.config["BOOKING_HOLD_MINUTES"]),
        created_at=now,
        # A new booking has no payments yet: known as empty, what the card owes is worked out
        # for Checkout without asking the database (gift vouchers add theirs to it).
        payments=[],
    )
    booking.attendees = [
        Attendee(
            position=position,
            name=person.name,
            email=person.email,
            code_of_conduct_accepted_at=now,
        )
        for position, person in enumerate(attendees)
    ]
    booking.lines = booking_lines(quote)
    return booking


def discard_hold(*, booking_id: int) -> None:
    """Remove a pending booking whose payment could not even be started (nothing was charged)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status != BookingStatus.PENDING:
        return
    if booking.waitlist_entry_id is not None:
        # Give the waitlist offer back, so its owner can try again while it lasts.
        entry = db.session.get(WaitlistEntry, booking.waitlist_entry_id)
        entry.status = WaitlistStatus.OFFERED
    db.session.delete(booking)
    db.session.commit()


def record_checkout_session(
    *,
    booking_id: int,
    checkout_session_id: str,
    amount_minor: int,
    currency: str,
    kind: PaymentKind = PaymentKind.FULL,
    now: datetime | None = None,
) -> None:
    """Remember which Checkout Session pays for a booking: the ledger's open payment of what
    it asks for, the whole price or the deposit (twice the same session is fine: a double
    click opens the same one)."""
    record_checkout_payment(
        booking_id=booking_id,
        checkout_session_id=checkout_session_id,
        kind=kind,
        amount_minor=amount_minor,
        currency=currency,
        now=now or utcnow(),
    )


def booking_for_link(reference: str, token: str | None) -> Booking | None:
    """The booking a manage link points to, or None when the reference or token is wrong."""
    booking = db.session.execute(
        select(Booking).where(Booking.reference == reference)
    ).scalar_one_or_none()
    if booking is None or not token_matches(token, booking.token_hash):
        return None
    return booking


def confirm_booking(*, booking_id: int, payment: Payment, now: datetime | None = None) -> Booking:
    """Mark a paid booking confirmed and queue its confirmation email; repeats change nothing.

    A payment that arrives after the hold lapsed still confirms while seats remain. Otherwise the
    booking stays unconfirmed and the caller is told to refund (returned status is not confirmed).
    """

    def confirm() -> Booking:
        booking = _confirm_locked(booking_id=booking_id, payment=payment, now=now or utcnow())
        db.session.commit()
        return booking

    # Someone changed the booking meanwhile (expired it, say): look again at what they wrote.
    return retried_after_write_conflicts(confirm)


def _payment_already_settled(booking: Booking) -> bool:
    """Confirmed now or before (then cancelled), or refunded as unseated: never confirm again."""
    return (
        booking.status == BookingStatus.CONFIRMED
        or booking.confirmed_at is not None
        or booking.refunded_minor > 0
    )


def _confirm_locked(*, booking_id: int, payment: Payment, now: datetime) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise DomainError("No such booking.")
    if booking.status == BookingStatus.CONFIRMED:
        return booking
    retreat = lock_row(Retreat, booking.retreat_id)
    db.session.refresh(booking)
    if _payment_already_settled(booking):
        return booking
    if retreat.status == RetreatStatus.CANCELLED:
        # The retreat will not happen: the payment is kept on record and refunded by the caller.
        _record_payment(booking, payment, now)
        if booking.status == BookingStatus.PENDING:
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_at = now
        expire_open_payments(booking)  # a gift voucher's part goes back onto it
        log.warning("Payment for %s arrived after its retreat was cancelled", booking.reference)
        return booking
    if booking.voucher_given_back:
        # The hold lapsed and was swept, giving the voucher's part back: it is not taken again
        # behind the person's back, so the card's money alone goes back as unseated.
        _record_payment(booking, payment, now)
        log.warning("Late payment for %s: its gift voucher part was given back", booking.reference)
        return booking
    if payment.amount_minor != booking.card_due_at_booking_minor or (
        (payment.currency or "").upper() != booking.currency.upper()
    ):
        log.error(
            "Payment for %s does not match: paid %s %s, expected %s %s",
            booking.reference,
            payment.amount_minor,
            payment.currency,
            booking.card_due_at_booking_minor,
            booking.currency,
        )
        raise PaymentMismatch("The payment does not match this booking.")

    hold_is_live = booking.status == BookingStatus.PENDING and booking.hold_expires_at > now
    # A late payment's seats (room, add-ons) were released: it takes them again only if they
    # are all still free.
    if not hold_is_live and not _still_free(retreat, booking, now):
        _record_payment(booking, payment, now)
        if booking.status == BookingStatus.PENDING:  # its hold lapsed unswept
            booking.status = BookingStatus.EXPIRED
            booking.expired_at = now
        expire_open_payments(booking)  # a gift voucher's part goes back onto it
        log.warning("Late payment for %s found no seats left", booking.reference)
        return booking

    _record_payment(booking, payment, now)
    mark_confirmed(
        booking, paid=f"paid {format_money(payment.amount_minor, booking.currency)}", now=now
    )
    log.info("Confirmed booking %s", booking.reference)
    return booking


def _still_free(retreat: Retreat, booking: Booking, now: datetime) -> bool:
    """Are the seats, the room and the limited add-ons of a booking that does not hold them (its
    hold lapsed) free for it to take again?"""
    if retreat.capacity - seats_taken(retreat.id, now=now) < booking.seats:
        return False
    room_type = booking.room_type
    if room_type is not None:
        left = room_left(room_type, rooms_taken(retreat.id, now=now).get(room_type.id))
        if not (left.rooms_left >= 1 if booking.takes_whole_room else left.beds_left >= 1):
            return False
    limits = {add_on.id: add_on.quantity_limit for add_on in retreat.add_ons}
    wanted = {
        line.add_on_id: line.quantity
        for line in booking.lines
        if line.add_on_id is not None and limits.get(line.add_on_id) is not None
    }
    if wanted:
        taken = add_on_units_taken(retreat.id, now=now)
        for add_on_id, quantity in wanted.items():
            if limits[add_on_id] - taken.get(add_on_id, 0) < quantity:
                return False
    return True


def _record_payment(booking: Booking, payment: Payment, now: datetime) -> None:
    """The money arrived: the ledger's payment succeeded (its refund, if any, is made from it)."""
    record_payment_received(
        booking,
        checkout_session_id=payment.checkout_session_id,
        payment_intent_id=payment.payment_intent_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency.upper(),
        now=now,
    )


def expire_booking(*, booking_id: int, now: datetime | None = None) -> bool:
    """Release the seats of an unpaid booking; True if it was pending and is now expired."""
    return _end_unpaid_booking(booking_id, BookingStatus.EXPIRED, now or utcnow())


def cancel_unpaid_booking(*, booking_id: int, now: datetime | None = None) -> bool:
    """The visitor gave up before paying: release the seats; True if anything changed."""
    return _end_unpaid_booking(booking_id, BookingStatus.CANCELLED, now or utcnow())


def _end_unpaid_booking(booking_id: int, status: BookingStatus, now: datetime) -> bool:
    # Releasing seats needs no lock: it can only make the count smaller.
    for _attempt in range(3):
        booking = db.session.get(Booking, booking_id, populate_existing=True)
        if booking is None or booking.status != BookingStatus.PENDING:
            db.session.rollback()
            return False
        booking.status = status
        if status == BookingStatus.EXPIRED:
            booking.expired_at = now
        else:
            booking.cancelled_at = now
        try:
            # After every change to the booking: loading its payments flushes it (a conflict
            # shows here or at the commit), and a second UPDATE of the row in one transaction
            # re-checks its foreign keys, which would wait for the retreat's lock
            # (PostgreSQL) that releasing seats never waits for.
            expire_open_payments(booking)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            continue
        log.info("Booking %s is now %s", booking.reference, status.value)
        offer_freed_seats_if_possible(retreat_id=booking.retreat_id, now=now)
        return True
    return False


def lapsed_pending_bookings(*, now: datetime | None = None, limit: int = 200) -> list[Booking]:
    """Pending bookings whose hold has run out, oldest first."""
    now = now or utcnow()
    return list(
        db.session.execute(
            select(Booking)
            .where(Booking.status == BookingStatus.PENDING, Booking.hold_expires_at <= now)
            .order_by(Booking.hold_expires_at)
            .limit(limit)
        ).scalars()
    )
