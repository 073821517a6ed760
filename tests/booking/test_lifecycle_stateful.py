"""Random runs of the booking lifecycle: hold, pay, expire, abandon, cancel, late payment, sweep
and waitlist offers, driven through the services on a virtual clock, with the seat invariant and
the lifecycle of DESIGN.md checked against the database after every step. Bookings choose a room
(a suite, a bed or a whole room of a shared twin, or none) and a limited add-on; waitlist entries
wait for a room type: rooms, beds and add-on units never exceed what exists and are counted as
the machine's own model counts them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from flask import current_app
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Row, func, select

from retreats.base.outbox import OutboxEmail
from retreats.booking.cancellation import cancel_booking
from retreats.booking.capacity import seats_taken
from retreats.booking.checkout import apply_checkout_session
from retreats.booking.inventory import add_on_units_taken, rooms_taken
from retreats.booking.models import (
    Booking,
    BookingLine,
    BookingStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from retreats.booking.services import (
    AttendeeDetails,
    cancel_unpaid_booking,
    expire_booking,
    hold_seats,
    record_checkout_session,
)
from retreats.booking.upkeep import release_lapsed_seats
from retreats.booking.waitlist import join_waitlist
from retreats.errors import DomainError, SoldOut
from retreats.extensions import db
from retreats.listings.models import PricePer
from retreats.organizer.accounts.models import Organizer
from retreats.payments.ledger import paid_sum, refunded_sum
from retreats.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from retreats.payments.stripe_gateway import CheckoutSession
from tests.factories import add_add_on, add_room_type

# Left out of `make test-quick`: a Hypothesis state machine over many lifecycles.
pytestmark = pytest.mark.slow

PENDING, CONFIRMED = BookingStatus.PENDING, BookingStatus.CONFIRMED
EXPIRED, CANCELLED = BookingStatus.EXPIRED, BookingStatus.CANCELLED
WAITING, OFFERED = WaitlistStatus.WAITING, WaitlistStatus.OFFERED
BOOKED, LAPSED = WaitlistStatus.BOOKED, WaitlistStatus.LAPSED

CAPACITY = 5
PRICES = {1: 25_001, 2: 44_999}  # odd amounts, so a 50 % refund has to round down


def bookings_with_their_ledger():
    """Every booking row, with its ledger beside it: its Checkout Session, the PaymentIntent of
    what it paid, and the sums paid and refunded."""
    payments = Payment.__table__
    of_booking = payments.c.booking_id == Booking.id
    succeeded = payments.c.status == PaymentStatus.SUCCEEDED.value
    return select(
        Booking.__table__,
        select(func.max(payments.c.stripe_checkout_session_id))
        .where(of_booking)
        .scalar_subquery()
        .label("checkout_session_id"),
        select(func.max(payments.c.stripe_payment_intent_id))
        .where(of_booking, succeeded)
        .scalar_subquery()
        .label("payment_intent_id"),
        paid_sum(Booking.id).label("paid_minor"),
        refunded_sum(Booking.id).label("refunded_minor"),
    )


@dataclass(frozen=True)
class RoomSpec:
    rooms: int
    sleeps: int
    shared: bool
    price_minor: int  # per room when private, per person when shared


# Fewer rooms than places, so rooms run out while places remain (and the other way round).
ROOMS = {
    "suite": RoomSpec(rooms=1, sleeps=2, shared=False, price_minor=30_001),
    "twin": RoomSpec(rooms=2, sleeps=2, shared=True, price_minor=10_003),
}
ROOM_CHOICES = [None, "suite", "twin"]  # None: no accommodation (the retreat allows it)
MASSAGE_SLOTS = 3  # one a person
MASSAGE_PRICE = 5_001


def takes_whole_room(room: str, seats: int) -> bool:
    return not (ROOMS[room].shared and seats == 1)


def room_fits(room: str, seats: int, whole: int, beds: int) -> bool:
    """DESIGN.md's rooms and beds, counted on their own: do `whole` rooms taken whole and
    `beds` single beds (filling rooms before opening another) leave room for `seats` people?"""
    spec = ROOMS[room]
    rooms_free = spec.rooms - whole - -(-beds // spec.sleeps)
    if takes_whole_room(room, seats):
        return rooms_free >= 1
    return (spec.rooms - whole) * spec.sleeps - beds >= 1


def price_of(seats: int, room: str | None, massage: bool) -> int:
    room_price = 0
    if room is not None:
        spec = ROOMS[room]
        room_price = spec.price_minor * (seats if spec.shared else 1)
    return PRICES[seats] + room_price + (MASSAGE_PRICE * seats if massage else 0)


# A day of full refunds, sixteen of half, fourteen of none. From the start of the run, one day
# lands exactly on the last moment of full refunds and 17 days on the last of half refunds;
# 18 days is in the last fortnight, and two long steps reach the last minute before the start,
# where a waitlist offer is cut short by the start.
STARTS_IN = timedelta(days=31)
CLOCK_STEPS = [
    timedelta(minutes=1),
    timedelta(minutes=10),
    timedelta(minutes=31),  # a hold lapses
    timedelta(hours=5),
    timedelta(days=1),  # a waitlist offer lapses
    timedelta(days=17),
    timedelta(days=18),
]
WAITLIST_PEOPLE = ["cy", "dee", "eli", "fay"]

# DESIGN.md, "Booking lifecycle": every status change a booking may make, and nothing else.
BOOKING_MOVES = {
    PENDING: {CONFIRMED, EXPIRED, CANCELLED},
    EXPIRED: {CONFIRMED},  # a late payment, only while seats remain
    CONFIRMED: {CANCELLED},
    CANCELLED: set(),
}
ENTRY_MOVES = {WAITING: {OFFERED}, OFFERED: {BOOKED, LAPSED}, BOOKED: set(), LAPSED: set()}

# Mails this model does not follow: the organizer's notices and the scheduled guide and
# reminder (tests/notifications/test_schedule.py covers them).
NOT_MODELLED_EMAILS = {
    "organizer_new_booking",
    "organizer_booking_cancelled",
    "preparation_guide",
    "reminder",
}


@dataclass
class ExpectedBooking:
    """What the machine expects one booking row to say."""

    reference: str
    seats: int
    amount_minor: int
    hold_expires_at: datetime
    entry_id: int | None = None
    room: str | None = None
    massage: bool = False
    status: BookingStatus = PENDING
    session_recorded: bool = False
    confirmed_at: datetime | None = None
    ended_at: datetime | None = None  # expired_at or cancelled_at
    refunds: list[tuple[str, int]] = field(default_factory=list)  # (reason, amount)
    emails: list[str] = field(default_factory=list)  # outbox kinds


@dataclass
class ExpectedEntry:
    seats: int
    email: str
    created_at: datetime
    room: str | None = None
    status: WaitlistStatus = WAITING
    offer_expires_at: datetime | None = None


def refund_under_default_policy(amount_minor: int, time_left: timedelta) -> int:
    """Full refund 30 days ahead, half (rounded down) 14 days ahead, nothing after."""
    if time_left >= timedelta(days=30):
        return amount_minor
    if time_left >= timedelta(days=14):
        return amount_minor * 50 // 100
    return 0


def empty_database() -> None:
    """Each example starts from nothing but the organizer: delete rows, child tables first."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        if table.name != Organizer.__tablename__:
            db.session.execute(table.delete())
    db.session.commit()
    db.session.expunge_all()  # SQLite reuses ids: forget the previous example's objects


class BookingLifecycle(RuleBasedStateMachine):
    """One retreat of five seats, an individual and a couple ticket, a suite and two shared
    twins (or no room), three massage slots, Stripe unreachable."""

    # Bookings Stripe has not reported paid, and those it has: paid never becomes unpaid.
    unpaid = Bundle("unpaid")
    paid = Bundle("paid")
    entries = Bundle("entries")

    def __init__(self, make_retreat) -> None:
        super().__init__()
        empty_database()
        retreat = make_retreat(
            capacity=CAPACITY,
            starts_in=STARTS_IN,
            tickets=[("Individual", PRICES[1], 1), ("Couple (2 people)", PRICES[2], 2)],
            allows_no_accommodation=True,
        )
        for name, spec in ROOMS.items():
            add_room_type(
                retreat,
                name=name,
                rooms=spec.rooms,
                sleeps=spec.sleeps,
                shared=spec.shared,
                price_minor=spec.price_minor,
            )
        massage = add_add_on(
            retreat,
            name="Massage",
            price_minor=MASSAGE_PRICE,
            price_per=PricePer.PERSON,
            quantity_limit=MASSAGE_SLOTS,
        )
        self.room_ids = {room.name: room.id for room in retreat.room_types}
        self.room_names = {room_id: name for name, room_id in self.room_ids.items()}
        self.massage_id = massage.id
        assert (retreat.refund_full_days_before, retreat.refund_partial_days_before) == (30, 14)
        assert retreat.refund_partial_percent == 50
        self.retreat_id = retreat.id
        self.ticket_ids = {t.seats_per_ticket: t.id for t in retreat.ticket_types}
        self.starts_at = retreat.starts_at
        self.now = self.starts_at - STARTS_IN
        self.hold_for = timedelta(minutes=current_app.config["BOOKING_HOLD_MINUTES"])
        self.offer_for = timedelta(hours=current_app.config["WAITLIST_OFFER_HOURS"])
        self.expected: dict[int, ExpectedBooking] = {}
        self.expected_entries: dict[int, ExpectedEntry] = {}
        self.seen_status: dict[int, BookingStatus] = {}
        self.seen_entry_status: dict[int, WaitlistStatus] = {}

    # What the machine expects -----------------------------------------------------------------

    def seats_free(self) -> int:
        """Capacity minus DESIGN.md's seats taken, counted from the machine's own model."""
        held = sum(
            b.seats
            for b in self.expected.values()
            if b.status == CONFIRMED or (b.status == PENDING and b.hold_expires_at > self.now)
        )
        offered = sum(
            e.seats
            for e in self.expected_entries.values()
            if e.status == OFFERED and e.offer_expires_at > self.now
        )
        return CAPACITY - held - offered

    def holds_now(self, booking: ExpectedBooking) -> bool:
        return booking.status == CONFIRMED or (
            booking.status == PENDING and booking.hold_expires_at > self.now
        )

    def offer_is_live(self, entry: ExpectedEntry) -> bool:
        return entry.status == OFFERED and entry.offer_expires_at > self.now

    def rooms_taken(self) -> dict[str, tuple[int, int]]:
        """Per room type, (whole rooms, beds) taken by live bookings and live offers."""
        taken = dict.fromkeys(ROOMS, (0, 0))
        takers = [(b.room, b.seats) for b in self.expected.values() if self.holds_now(b)]
        takers += [
            (e.room, e.seats) for e in self.expected_entries.values() if self.offer_is_live(e)
        ]
        for room, seats in takers:
            if room is not None:
                whole, beds = taken[room]
                taken[room] = (
                    (whole + 1, beds) if takes_whole_room(room, seats) else (whole, beds + 1)
                )
        return taken

    def room_free_for(self, room: str | None, seats: int) -> bool:
        return room is None or room_fits(room, seats, *self.rooms_taken()[room])

    def massage_left(self) -> int:
        return MASSAGE_SLOTS - sum(
            b.seats for b in self.expected.values() if b.massage and self.holds_now(b)
        )

    def expect_offers(self) -> None:
        """Freed seats go to the earliest waiting entries that fit (with a free room of the
        type they wait for), in the order they joined."""
        free = self.seats_free()
        waiting = [
            (e.created_at, i) for i, e in self.expected_entries.items() if e.status == WAITING
        ]
        for _, entry_id in sorted(waiting):
            entry = self.expected_entries[entry_id]
            if free <= 0:
                break
            if entry.seats > free:
                continue
            if not self.room_free_for(entry.room, entry.seats):
                continue
            entry.status = OFFERED
            entry.offer_expires_at = min(self.now + self.offer_for, self.starts_at)
            free -= entry.seats

    def expect_first_payment(self, booking: ExpectedBooking) -> None:
        booking.session_recorded = True
        hold_is_live = booking.status == PENDING and booking.hold_expires_at > self.now
        stay_is_free = (
            self.seats_free() >= booking.seats
            and self.room_free_for(booking.room, booking.seats)
            and (not booking.massage or self.massage_left() >= booking.seats)
        )
        if hold_is_live or stay_is_free:
            booking.status, booking.confirmed_at = CONFIRMED, self.now
            booking.emails.append("confirmation")
        else:  # a late payment that found no seat (room, slot): refunded in full, never kept
            if booking.status == PENDING:  # its hold lapsed unswept
                booking.status, booking.ended_at = EXPIRED, self.now
            booking.refunds.append(("unseated_payment", booking.amount_minor))
            booking.emails.append("unseated_payment_refunded")

    # Rules ------------------------------------------------------------------------------------

    def hold(
        self,
        seats: int,
        waitlist_entry_id: int | None = None,
        room: str | None = None,
        massage: bool = False,
    ) -> int:
        people = [AttendeeDetails("Ada", "ada@example.org"), AttendeeDetails("Bea", None)]
        booking = hold_seats(
            retreat_id=self.retreat_id,
            ticket_type_id=self.ticket_ids[seats],
            contact_email="ada@example.org",
            attendees=people[:seats],
            room_type_id=self.room_ids[room] if room else None,
            add_on_ids=[self.massage_id] if massage else [],
            waitlist_entry_id=waitlist_entry_id,
            now=self.now,
        )
        assert booking.id not in self.expected
        self.expected[booking.id] = ExpectedBooking(
            reference=booking.reference,
            seats=seats,
            amount_minor=price_of(seats, room, massage),
            hold_expires_at=self.now + self.hold_for,
            entry_id=waitlist_entry_id,
            room=room,
            massage=massage,
        )
        return booking.id

    def refused_as(self, seats: int, room: str | None, massage: bool) -> str | None:
        """What a new hold of this stay is refused for, in the order the hold checks: the
        places, the room, the add-on; None when it is held."""
        if self.seats_free() < seats:
            return "seats"
        if not self.room_free_for(room, seats):
            return "room_type"
        if massage and self.massage_left() < seats:
            return "add_ons"
        return None

    @rule(
        target=unpaid,
        seats=st.sampled_from([1, 2]),
        room=st.sampled_from(ROOM_CHOICES),
        massage=st.booleans(),
    )
    def hold_a_ticket(self, seats, room, massage):
        refusal = self.refused_as(seats, room, massage)
        if refusal is not None:
            with pytest.raises(SoldOut) as refused:
                self.hold(seats, room=room, massage=massage)
            assert refused.value.field == (None if refusal == "seats" else refusal)
            return multiple()
        return self.hold(seats, room=room, massage=massage)

    @rule(target=unpaid)
    def a_crowd_takes_the_last_seats(self):
        """Single tickets until sold out: a full retreat, where late payments find no seat."""
        held = [self.hold(1) for _ in range(self.seats_free())]
        with pytest.raises(SoldOut):
            self.hold(1)
        return multiple(*held)

    @rule(target=unpaid, entry_id=entries, massage=st.booleans())
    def book_from_waitlist_offer(self, entry_id, massage):
        """With the room the offer holds, the one its entry waits for."""
        entry = self.expected_entries[entry_id]
        stay = {"room": entry.room, "massage": massage}
        if not self.offer_is_live(entry):
            with pytest.raises(DomainError) as refused:
                self.hold(entry.seats, waitlist_entry_id=entry_id, **stay)
            assert not isinstance(refused.value, SoldOut)
            return multiple()
        if massage and self.massage_left() < entry.seats:  # the offer holds no add-on
            with pytest.raises(SoldOut) as refused:
                self.hold(entry.seats, waitlist_entry_id=entry_id, **stay)
            assert refused.value.field == "add_ons"
            return multiple()
        booking_id = self.hold(entry.seats, waitlist_entry_id=entry_id, **stay)
        entry.status = BOOKED
        return booking_id

    @rule(entry_id=entries, room=st.sampled_from(ROOM_CHOICES))
    def book_from_an_offer_in_another_room(self, entry_id, room):
        """An offer that holds a room is not for another one (nor for none)."""
        entry = self.expected_entries[entry_id]
        if not self.offer_is_live(entry) or entry.room is None or room == entry.room:
            return
        with pytest.raises(DomainError) as refused:
            self.hold(entry.seats, waitlist_entry_id=entry_id, room=room)
        assert refused.value.field == "room_type" and not isinstance(refused.value, SoldOut)

    @rule(booking_id=unpaid)
    def open_checkout(self, booking_id):
        booking = self.expected[booking_id]
        if booking.status == PENDING:
            record_checkout_session(
                booking_id=booking_id,
                checkout_session_id=f"cs_{booking_id}",
                amount_minor=booking.amount_minor,
                currency="EUR",
            )
            booking.session_recorded = True

    def report_payment(self, booking_id: int) -> None:
        """A paid Checkout Session, applied as the webhook and the success page apply it."""
        booking = self.expected[booking_id]
        paid = CheckoutSession(
            id=f"cs_{booking_id}",
            url=None,
            status="complete",
            payment_status="paid",
            amount_total=booking.amount_minor,
            currency="EUR",
            payment_intent_id=f"pi_{booking_id}",
            booking_id=booking_id,
            client_reference_id=booking.reference,
        )
        apply_checkout_session(paid, now=self.now)

    @rule(target=paid, booking_id=consumes(unpaid))
    def stripe_reports_payment(self, booking_id):
        """The session is paid: on time, after the hold lapsed, or after the booking expired."""
        booking = self.expected[booking_id]
        if booking.status not in (PENDING, EXPIRED):
            return multiple()  # an abandoned booking's session was closed: it cannot be paid
        self.report_payment(booking_id)
        self.expect_first_payment(booking)
        return booking_id

    @rule(booking_id=paid)
    def stripe_reports_the_same_payment_again(self, booking_id):
        """A webhook retry, a late webhook or the success page, also after a cancellation or an
        unseated refund: DESIGN.md says a repeated event changes nothing."""
        self.report_payment(booking_id)

    def latest_cancelled(self) -> int | None:
        ended = [i for i, b in self.expected.items() if b.confirmed_at and b.status == CANCELLED]
        return max(ended, default=None)

    def latest_unseated(self) -> int | None:
        refunded = [i for i, b in self.expected.items() if b.refunds and b.confirmed_at is None]
        return max(refunded, default=None)

    @precondition(lambda self: self.latest_cancelled() is not None)
    @rule()
    def stripe_event_arrives_after_the_cancellation(self):
        """The success page confirmed, the attendee cancelled, then the webhook comes."""
        self.report_payment(self.latest_cancelled())

    @precondition(lambda self: self.latest_unseated() is not None)
    @rule()
    def refunded_payer_reloads_the_success_page(self):
        """Told "no seat, refunded", the payer looks again, maybe after a seat came free."""
        self.report_payment(self.latest_unseated())

    @rule(booking_id=unpaid)
    def checkout_session_expires(self, booking_id):
        booking = self.expected[booking_id]
        changed = expire_booking(booking_id=booking_id, now=self.now)
        assert changed == (booking.status == PENDING)
        if changed:
            booking.status, booking.ended_at = EXPIRED, self.now
            self.expect_offers()

    @rule(booking_id=unpaid)
    def visitor_abandons_checkout(self, booking_id):
        booking = self.expected[booking_id]
        changed = cancel_unpaid_booking(booking_id=booking_id, now=self.now)
        assert changed == (booking.status == PENDING)
        if changed:
            booking.status, booking.ended_at = CANCELLED, self.now
            self.expect_offers()

    @rule(booking_id=paid)
    def attendee_cancels(self, booking_id):
        booking = self.expected[booking_id]
        if booking.status != CONFIRMED:
            with pytest.raises(DomainError):
                cancel_booking(booking_id=booking_id, now=self.now)
            return
        cancellation = cancel_booking(booking_id=booking_id, now=self.now)
        refund = refund_under_default_policy(booking.amount_minor, self.starts_at - self.now)
        assert cancellation.refund_minor == refund
        booking.status, booking.ended_at = CANCELLED, self.now
        booking.emails.append("cancellation")
        if refund:
            booking.refunds.append(("cancellation", refund))
        self.expect_offers()

    @rule(
        target=entries,
        who=st.sampled_from(WAITLIST_PEOPLE),
        seats=st.sampled_from([1, 2]),
        room=st.sampled_from(ROOM_CHOICES),
    )
    def join_the_waitlist(self, who, seats, room):
        email = f"{who}@example.org"
        entry = join_waitlist(
            retreat_id=self.retreat_id,
            name=who,
            email=email,
            seats=seats,
            room_type_id=self.room_ids[room] if room else None,
            now=self.now,
        )
        already = [
            i
            for i, e in self.expected_entries.items()
            if e.email == email and e.status in (WAITING, OFFERED)
        ]
        if already:
            assert [entry.id] == already  # joining twice keeps the first place
        else:
            assert entry.id not in self.expected_entries
            self.expected_entries[entry.id] = ExpectedEntry(
                seats, email, created_at=self.now, room=room
            )
        return entry.id

    @rule()
    def upkeep_sweeps(self):
        result = release_lapsed_seats(now=self.now)
        # A hold whose session is recorded stays pending: Stripe is unreachable to close it.
        lapsed = [
            b
            for b in self.expected.values()
            if b.status == PENDING and b.hold_expires_at <= self.now and not b.session_recorded
        ]
        for booking in lapsed:
            booking.status, booking.ended_at = EXPIRED, self.now
        assert result.holds_expired == len(lapsed)
        for entry in self.expected_entries.values():
            if entry.status == OFFERED and entry.offer_expires_at <= self.now:
                entry.status = LAPSED
        self.expect_offers()

    @rule(step=st.sampled_from(CLOCK_STEPS))
    def time_passes(self, step):
        self.now = min(self.now + step, self.starts_at - timedelta(minutes=1))

    # What the database must say after every step ----------------------------------------------

    @invariant()
    def database_follows_the_design(self):
        try:
            # Plain rows, read afresh: every example has a database of its own.
            bookings = {r.id: r for r in db.session.execute(bookings_with_their_ledger())}
            entries = {r.id: r for r in db.session.execute(select(WaitlistEntry.__table__))}
            refunds = list(db.session.execute(select(Refund.__table__)))
            emails = list(db.session.execute(select(OutboxEmail.__table__)))
            lines = list(db.session.execute(select(BookingLine.__table__)))
            self.check_lifecycle(bookings)
            self.check_seats(bookings, entries)
            self.check_rooms_and_add_ons(bookings, entries, lines)
            self.check_money_and_email(bookings, refunds, emails)
            self.check_waitlist(bookings, entries, emails)
        finally:
            db.session.rollback()

    def check_lifecycle(self, bookings: dict[int, Row]) -> None:
        assert set(bookings) == set(self.expected)
        for booking_id, row in bookings.items():
            assert row.status in BOOKING_MOVES
            before = self.seen_status.get(booking_id, row.status)
            assert row.status == before or row.status in BOOKING_MOVES[before], (
                f"booking {booking_id} went from {before} to {row.status}"
            )
            self.seen_status[booking_id] = row.status
            expected = self.expected[booking_id]
            assert row.status == expected.status, f"booking {booking_id}"
            assert (row.seats, row.amount_minor) == (expected.seats, expected.amount_minor)
            assert row.hold_expires_at == expected.hold_expires_at
            assert row.waitlist_entry_id == expected.entry_id
            assert self.room_names.get(row.room_type_id) == expected.room
            if expected.room is not None:
                assert row.takes_whole_room == takes_whole_room(expected.room, expected.seats)
            assert row.confirmed_at == expected.confirmed_at
            session_id = f"cs_{booking_id}" if expected.session_recorded else None
            assert row.checkout_session_id == session_id
            if row.status == CONFIRMED:
                assert row.payment_intent_id == f"pi_{booking_id}"
            if row.status == EXPIRED:
                assert row.expired_at == expected.ended_at
            if row.status == CANCELLED:
                assert row.cancelled_at == expected.ended_at

    def check_seats(self, bookings: dict[int, Row], entries: dict[int, Row]) -> None:
        """DESIGN.md rule 2, counted here from the rows themselves, and as the app counts it."""
        held = sum(
            b.seats
            for b in bookings.values()
            if b.status == CONFIRMED or (b.status == PENDING and b.hold_expires_at > self.now)
        )
        offered = sum(
            e.seats
            for e in entries.values()
            if e.status == OFFERED and e.offer_expires_at > self.now
        )
        assert held + offered <= CAPACITY, f"oversold: {held} held + {offered} offered"
        assert seats_taken(self.retreat_id, now=self.now) == held + offered

    def check_rooms_and_add_ons(
        self, bookings: dict[int, Row], entries: dict[int, Row], lines: list[Row]
    ) -> None:
        """DESIGN.md rule 10 for rooms, beds and the massage slots, counted from the rows (live
        bookings and live offers), as the app counts them, and as the model expects."""
        live = {
            i: b
            for i, b in bookings.items()
            if b.status == CONFIRMED or (b.status == PENDING and b.hold_expires_at > self.now)
        }
        taken = dict.fromkeys(ROOMS, (0, 0))
        takers = [(b.room_type_id, b.seats, b.takes_whole_room) for b in live.values()]
        takers += [
            (e.room_type_id, e.seats, None)
            for e in entries.values()
            if e.status == OFFERED and e.offer_expires_at > self.now
        ]
        for room_type_id, seats, whole_room in takers:
            if room_type_id is None:
                continue
            room = self.room_names[room_type_id]
            if whole_room is None:  # an offer takes what its booking will
                whole_room = takes_whole_room(room, seats)
            whole, beds = taken[room]
            taken[room] = (whole + 1, beds) if whole_room else (whole, beds + seats)
        for room, (whole, beds) in taken.items():
            spec = ROOMS[room]
            rooms_used = whole + -(-beds // spec.sleeps)
            assert rooms_used <= spec.rooms, f"{room} oversold: {whole} whole rooms, {beds} beds"
        assert taken == self.rooms_taken()
        by_the_app = rooms_taken(self.retreat_id, now=self.now)
        assert {
            room: (by_the_app[i].whole_rooms, by_the_app[i].beds) if i in by_the_app else (0, 0)
            for room, i in self.room_ids.items()
        } == taken
        slots = sum(
            line.quantity
            for line in lines
            if line.add_on_id == self.massage_id and line.booking_id in live
        )
        assert slots <= MASSAGE_SLOTS, f"massage oversold: {slots} of {MASSAGE_SLOTS}"
        assert slots == MASSAGE_SLOTS - self.massage_left()
        assert add_on_units_taken(self.retreat_id, now=self.now).get(self.massage_id, 0) == slots
        for booking_id, row in bookings.items():
            mine = sorted(line.position for line in lines if line.booking_id == booking_id)
            assert mine == list(range(len(mine))) and mine, f"booking {booking_id}'s lines"
            total = sum(
                line.quantity * line.unit_amount_minor
                for line in lines
                if line.booking_id == booking_id
            )
            assert total == row.amount_minor, f"booking {booking_id}: lines do not add up"

    def check_money_and_email(
        self, bookings: dict[int, Row], refunds: list[Row], emails: list[Row]
    ) -> None:
        assert all(r.status == RefundStatus.PENDING for r in refunds)  # kept for a retry
        for booking_id, row in bookings.items():
            expected = self.expected[booking_id]
            given_back = [r for r in refunds if r.booking_id == booking_id]
            assert 0 <= row.refunded_minor <= row.paid_minor
            assert row.refunded_minor == sum(r.amount_minor for r in given_back)
            assert sorted((r.reason, r.amount_minor) for r in given_back) == sorted(
                expected.refunds
            )
            if row.status == CONFIRMED:
                assert row.refunded_minor == 0, f"booking {booking_id} has its seat and its money"
            elif row.payment_intent_id and row.confirmed_at is None:
                assert row.refunded_minor == row.paid_minor == row.amount_minor, (
                    f"unseated {booking_id} not refunded"
                )
            kinds = sorted(
                e.kind
                for e in emails
                if e.booking_id == booking_id and e.kind not in NOT_MODELLED_EMAILS
            )
            assert kinds == sorted(expected.emails), f"emails of booking {booking_id}"

    def check_waitlist(
        self, bookings: dict[int, Row], entries: dict[int, Row], emails: list[Row]
    ) -> None:
        assert set(entries) == set(self.expected_entries)
        booked_from = Counter(b.waitlist_entry_id for b in bookings.values() if b.waitlist_entry_id)
        for entry_id, row in entries.items():
            before = self.seen_entry_status.get(entry_id, row.status)
            assert row.status == before or row.status in ENTRY_MOVES[before], (
                f"waitlist entry {entry_id} went from {before} to {row.status}"
            )
            self.seen_entry_status[entry_id] = row.status
            expected = self.expected_entries[entry_id]
            assert row.status == expected.status, f"waitlist entry {entry_id}"
            assert row.offer_expires_at == expected.offer_expires_at
            offers_sent = [e.kind for e in emails if e.waitlist_entry_id == entry_id]
            if row.status == WAITING:
                assert offers_sent == []
            else:  # offered once, with one email, then booked or lapsed
                assert row.offered_at is not None and row.offer_expires_at <= self.starts_at
                assert offers_sent == ["waitlist_offer"]
            assert booked_from[entry_id] == (1 if row.status == BOOKED else 0)


@pytest.fixture
def app_config(app_config):
    """Stripe is not running: a refund attempt fails at once instead of retrying with back-off."""
    return app_config | {"STRIPE_MAX_NETWORK_RETRIES": 0}


def test_random_booking_lifecycles_keep_the_seat_invariant_and_the_lifecycle(make_retreat):
    run_state_machine_as_test(
        lambda: BookingLifecycle(make_retreat),
        settings=settings(
            max_examples=60,
            stateful_step_count=50,
            deadline=None,
        ),
    )
