"""Factories for the tests: plain functions with keyword options that make an organizer, a retreat
and its tickets, a booking in each state of its lifecycle, its attendees, and waitlist places.

Bookings are made through the app's own services (held under the seat lock, paid through
`confirm_booking`, ended through the release and cancellation services), so a test starts from
what the app itself would have written; `stored_booking` writes one straight to the database
when a test needs a state quickly and nothing else. Every factory commits, and runs inside the
`app` fixture's app context. The fixtures `organizer` and `make_retreat` (tests/conftest.py) are
thin wrappers over `create_organizer` and `create_retreat`.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from retreats.booking.answers import GivenAnswer
from retreats.booking.cancellation import record_cancellation
from retreats.booking.models import (
    Booking,
    BookingLine,
    BookingStatus,
    LineKind,
    WaitlistEntry,
    WaitlistStatus,
)
from retreats.booking.services import (
    AttendeeDetails,
    Payment,
    cancel_unpaid_booking,
    confirm_booking,
    expire_booking,
    hold_seats,
)
from retreats.database import utcnow
from retreats.discounts.models import DiscountCode
from retreats.extensions import db
from retreats.gift_vouchers.codes import new_purchase_reference, new_voucher_code
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.listings.hosts import Facilitator, Venue, VenuePhoto
from retreats.listings.models import (
    AddOn,
    Audience,
    Focus,
    PricePer,
    Retreat,
    RetreatKind,
    RetreatStatus,
    RoomType,
    TicketType,
)
from retreats.listings.questions import (
    AskedOf,
    Privacy,
    Question,
    QuestionKind,
    asked_questions,
)
from retreats.organizer.accounts.models import Organizer, OrganizerStatus
from retreats.organizer.listings.question_copies import add_starting_questions
from retreats.organizer.listings.question_library import BY_KEY, STARTING_KEYS
from retreats.payments.ledger import record_payment_refund
from retreats.payments.models import Payment as LedgerPayment
from retreats.payments.models import PaymentKind, PaymentStatus, RefundStatus

# People who fill in the booking form -----------------------------------------------------------

ADA = AttendeeDetails(name="Ada Lovelace", email="ada@example.org")
BEA = AttendeeDetails(name="Bea Lovelace", email="bea@example.org")
CY = AttendeeDetails(name="Cy Young", email="cy@example.org")

# What they answer to the four questions every retreat starts with (question_library
# STARTING_KEYS), by key; Ada answers them all, the private ones too. `intake` gives them.
ADA_INTAKE = {
    "dietary-needs": "Vegetarian",
    "accessibility": "Ground-floor room, please",
    "emergency-contact": "Charles, +44 20 7946 0000",
    "hopes": "To slow down together",
}
BEA_INTAKE = {"dietary-needs": "No nuts"}
CY_INTAKE = {"hopes": "Rest"}


def starting_questions(retreat: Retreat) -> dict[str, Question]:
    """The retreat's four starting questions by library key, added first if it has none (as a
    retreat created in the editor, or listed before migration 0015, has them)."""
    labels = {BY_KEY[key]["label"]: key for key in STARTING_KEYS}
    asked = {q.label: q for q in asked_questions(retreat) if q.label in labels}
    if not asked:
        add_starting_questions(retreat)
        db.session.commit()
        asked = {q.label: q for q in asked_questions(retreat) if q.label in labels}
    return {labels[label]: question for label, question in asked.items()}


def intake(retreat: Retreat, *people: dict[str, str]) -> list[GivenAnswer]:
    """The answers (for held_booking's answers=[...]) each person gives, in seat order, to the
    retreat's starting questions: intake(retreat, ADA_INTAKE, BEA_INTAKE)."""
    questions = starting_questions(retreat)
    return [
        GivenAnswer(question=questions[key], text=text, person=position)
        for position, answers in enumerate(people)
        for key, text in answers.items()
    ]


def attendee(email: str | None = "ada@example.org", name: str = "Ada Lovelace"):
    """Someone filling in the booking form."""
    return AttendeeDetails(name=name, email=email)


# Organizers ------------------------------------------------------------------------------------

ORGANIZER_PASSWORD = "a long and quiet lake"  # noqa: S105  (test fixture)
# A hash no password matches: an account that has a password, without the time hashing takes.
STAND_IN_PASSWORD_HASH = "scrypt:test-only-not-a-hash"  # noqa: S105  (test fixture)


@cache
def password_hash_of(password: str) -> str:
    """Each password hashed once per run: scrypt takes a tenth of a second on purpose."""
    return generate_password_hash(password)


def create_organizer(
    *,
    email: str = "host@example.org",
    name: str = "Test Host",
    password: str | None = None,
    with_password: bool = True,
) -> Organizer:
    """An organizer account. With `password` they can sign in through the form; without, they
    have a stand-in password no one can type, which is enough for the `sign_in` fixture (it
    signs in through the session). with_password=False: an invited co-host who has not chosen
    a password yet and so can never sign in."""
    if password is not None:
        password_hash = password_hash_of(password)
    else:
        password_hash = STAND_IN_PASSWORD_HASH if with_password else None
    # Approved, as an account made from the command line is (tests/admin makes the others).
    person = Organizer(
        email=email,
        name=name,
        password_hash=password_hash,
        status=OrganizerStatus.APPROVED,
        email_verified_at=utcnow(),
    )
    db.session.add(person)
    db.session.commit()
    return person


# Retreats and their tickets --------------------------------------------------------------------

# (name, price in minor units, seats per ticket), in the order they are shown.
INDIVIDUAL_AND_COUPLE = [("Individual", 25_000, 1), ("Couple (2 people)", 45_000, 2)]
_retreat_numbers = itertools.count(1)


def create_retreat(
    *,
    organizer: Organizer,
    number: int | None = None,
    capacity: int = 10,
    status: RetreatStatus = RetreatStatus.PUBLISHED,
    starts_in: timedelta = timedelta(days=30),
    timezone: str = "Europe/Lisbon",
    currency: str = "EUR",
    tickets: list[tuple[str, int, int]] | None = None,
    **overrides,
) -> Retreat:
    """A published two-day retreat a month ahead (on the hour) with an individual and a couple
    ticket. `number` makes its slug and title ("retreat-3", "Heart Retreat 3"); `overrides` set
    any other column."""
    number = next(_retreat_numbers) if number is None else number
    starts_at = (utcnow() + starts_in).replace(minute=0, second=0, microsecond=0)
    fields = {
        "slug": f"retreat-{number}",
        "title": f"Heart Retreat {number}",
        "kind": RetreatKind.RETREAT,
        "focus": Focus.EMOTIONAL,
        "audience": Audience.EVERYONE,
        "summary": "A calm weekend of listening and closeness.",
        "description_md": "We **listen**.",
        "venue": "Quinta do Vale",
        "city": "Sintra",
        "country": "Portugal",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(days=2),
        "timezone": timezone,
        "capacity": capacity,
        "currency": currency,
        "status": status,
        "cancellation_policy": "Full refund until 30 days before.",
        "preparation_guide_md": "Bring warm socks.",
        "organizer": organizer,
    }
    retreat = Retreat(**(fields | overrides))
    for position, (name, price, seats) in enumerate(tickets or INDIVIDUAL_AND_COUPLE):
        retreat.ticket_types.append(
            TicketType(name=name, price_minor=price, seats_per_ticket=seats, position=position)
        )
    db.session.add(retreat)
    db.session.commit()
    return retreat


def add_ticket_type(
    retreat: Retreat,
    *,
    name: str = "Early bird",
    price_minor: int = 20_000,
    seats_per_ticket: int = 1,
    position: int | None = None,
    **fields,
) -> TicketType:
    """One more ticket type on `retreat`, shown last unless `position` says otherwise; `fields`
    set the rest (sale_ends_at, quantity_limit, …)."""
    ticket = TicketType(
        name=name,
        price_minor=price_minor,
        seats_per_ticket=seats_per_ticket,
        position=len(retreat.ticket_types) if position is None else position,
        **fields,
    )
    retreat.ticket_types.append(ticket)
    db.session.commit()
    return ticket


def add_room_type(
    retreat: Retreat,
    *,
    name: str = "Garden double",
    rooms: int = 2,
    sleeps: int = 2,
    suits_couple: bool = True,
    shared: bool = False,
    price_minor: int = 30_000,
    price_per: PricePer = PricePer.ROOM,
    **fields,
) -> RoomType:
    """One more room type on `retreat` (a private double priced per room unless told otherwise;
    a shared room type must be priced per person)."""
    room_type = RoomType(
        name=name,
        rooms=rooms,
        sleeps=sleeps,
        suits_couple=suits_couple,
        shared=shared,
        price_minor=price_minor,
        price_per=PricePer.PERSON if shared else price_per,
        position=len(retreat.room_types),
        **fields,
    )
    retreat.room_types.append(room_type)
    db.session.commit()
    return room_type


def add_add_on(
    retreat: Retreat,
    *,
    name: str = "Airport transfer",
    price_minor: int = 4_000,
    price_per: PricePer = PricePer.PERSON,
    quantity_limit: int | None = None,
    **fields,
) -> AddOn:
    """One more add-on on `retreat` (`fields`: description, ticket_types, room_types, hidden)."""
    add_on = AddOn(
        name=name,
        price_minor=price_minor,
        price_per=price_per,
        quantity_limit=quantity_limit,
        position=len(retreat.add_ons),
        **fields,
    )
    retreat.add_ons.append(add_on)
    db.session.commit()
    return add_on


def add_question(
    retreat: Retreat,
    *,
    label: str = "Anything the facilitators should know about your health?",
    kind: QuestionKind = QuestionKind.LONG_TEXT,
    privacy: Privacy = Privacy.PRIVATE,
    asked_of: AskedOf = AskedOf.PERSON,
    **fields,
) -> Question:
    """One more question of `retreat`'s own (`fields`: help_text, required, options,
    consent_text, ticket_types, removed_at)."""
    position = db.session.scalar(
        select(func.count(Question.id)).where(Question.retreat_id == retreat.id)
    )
    question = Question(
        retreat_id=retreat.id,
        label=label,
        kind=kind,
        privacy=privacy,
        asked_of=asked_of,
        position=position,
        **fields,
    )
    db.session.add(question)
    db.session.commit()
    return question


def answered(question: Question, text: str, *, person: int | None = None) -> GivenAnswer:
    """An answer to give `held_booking` / `paid_booking` (answers=[...]); `person` (0, 1) for a
    question asked of each person, defaulting to the first."""
    if person is None and question.per_person:
        person = 0
    return GivenAnswer(question=question, text=text, person=person)


def ticket_for(retreat: Retreat, seats: int) -> TicketType:
    """The retreat's first ticket type for `seats` people."""
    return next(t for t in retreat.ticket_types if t.seats_per_ticket == seats)


# Bookings, one function per state --------------------------------------------------------------
# `people` fill the seats, one or two (ADA alone when none are given); the ticket is the first
# one for that many people unless `ticket` says which; the contact address is the first
# person's unless `contact_email` says otherwise.


def create_discount_code(
    organizer: Organizer,
    code: str = "SPRING-TEN",
    *,
    percent_off: int | None = 10,
    amount_off_minor: int | None = None,
    currency: str | None = None,
    **options,
) -> DiscountCode:
    """One of `organizer`'s discount codes (10% off everything of theirs unless told), committed;
    `options` are its other columns and link lists (retreats, ticket_types, room_types, …)."""
    if amount_off_minor is not None:
        percent_off, currency = None, currency or "EUR"
    discount = DiscountCode(
        organizer_id=organizer.id,
        code=code,
        percent_off=percent_off,
        amount_off_minor=amount_off_minor,
        currency=currency,
        **options,
    )
    db.session.add(discount)
    db.session.commit()
    return discount


def create_gift_voucher(
    organizer: Organizer | None,
    amount_minor: int = 30000,
    *,
    currency: str = "EUR",
    code: str | None = None,
    status: GiftVoucherStatus = GiftVoucherStatus.ACTIVE,
    now: datetime | None = None,
    **options,
) -> GiftVoucher:
    """A gift voucher paid for (active unless told), for `organizer`'s retreats (None: the whole
    site), valid three years, committed; `options` are its other columns."""
    now = now or utcnow()
    paid = status != GiftVoucherStatus.AWAITING_PAYMENT
    values = {
        "buyer_name": "Cleo Buyer",
        "buyer_email": "cleo@example.org",
        "recipient_name": "Dora Given",
        "recipient_email": "dora@example.org",
        "message": "Happy anniversary!",
        "deliver_on": now.date(),
        "send_at": now,
        "paid_at": now if paid else None,
        "expires_at": now + timedelta(days=3 * 365) if paid else None,
        **options,
    }
    voucher = GiftVoucher(
        reference=new_purchase_reference(),
        code=code or new_voucher_code(),
        organizer_id=None if organizer is None else organizer.id,
        amount_minor=amount_minor,
        currency=currency,
        status=status,
        **values,
    )
    db.session.add(voucher)
    db.session.commit()
    return voucher


def held_booking(
    retreat: Retreat,
    *people: AttendeeDetails,
    ticket: TicketType | None = None,
    contact_email: str | None = None,
    now: datetime | None = None,
    **options,
) -> Booking:
    """Pending, its seats held until the hold runs out (`hold_seats`; `options` are its other
    keyword options, such as waitlist_entry_id)."""
    people = people or (ADA,)
    return hold_seats(
        retreat_id=retreat.id,
        ticket_type_id=(ticket or ticket_for(retreat, len(people))).id,
        contact_email=contact_email or people[0].email,
        attendees=list(people),
        now=now,
        **options,
    )


def lapsed_booking(
    retreat: Retreat,
    *people: AttendeeDetails,
    lapsed_for: timedelta = timedelta(minutes=5),
    **options,
) -> Booking:
    """Still pending, but its hold ran out `lapsed_for` ago and no sweep has expired it yet."""
    hold = timedelta(minutes=current_app.config["BOOKING_HOLD_MINUTES"])
    return held_booking(retreat, *people, now=utcnow() - hold - lapsed_for, **options)


def payment_for(booking: Booking, *, payment_intent: bool = True) -> Payment:
    """What Stripe reports for paying this booking in full. payment_intent=False: a payment
    without a PaymentIntent, so cancelling it sends no refund to Stripe."""
    return Payment(
        checkout_session_id=f"cs_test_{booking.id}",
        payment_intent_id=f"pi_test_{booking.id}" if payment_intent else None,
        amount_minor=booking.amount_minor,
        currency=booking.currency,
    )


def pay(booking: Booking, *, payment_intent: bool = True, now: datetime | None = None) -> Booking:
    """Confirm a held booking as its paid Checkout Session would (`confirm_booking`)."""
    payment = payment_for(booking, payment_intent=payment_intent)
    return confirm_booking(booking_id=booking.id, payment=payment, now=now)


def paid_booking(
    retreat: Retreat,
    *people: AttendeeDetails,
    payment_intent: bool = True,
    now: datetime | None = None,
    **options,
) -> Booking:
    """Confirmed: held, then paid in full (its confirmation and scheduled emails are queued)."""
    booking = held_booking(retreat, *people, now=now, **options)
    return pay(booking, payment_intent=payment_intent, now=now)


def cancelled_booking(retreat: Retreat, *people: AttendeeDetails, **options) -> Booking:
    """Cancelled by the visitor before paying: held, then given up (its seats are free again)."""
    booking = held_booking(retreat, *people, **options)
    cancel_unpaid_booking(booking_id=booking.id)
    return _reloaded(booking)


def expired_booking(retreat: Retreat, *people: AttendeeDetails, **options) -> Booking:
    """Expired: its hold ran out unpaid and the sweep released its seats."""
    booking = lapsed_booking(retreat, *people, **options)
    expire_booking(booking_id=booking.id)
    return _reloaded(booking)


def refunded_booking(
    retreat: Retreat,
    *people: AttendeeDetails,
    refund_minor: int | None = None,
    **options,
) -> Booking:
    """Paid, then cancelled by the attendee with `refund_minor` (all of it unless told) given
    back: the refund row, the cancellation email and the audit entry are written as a
    cancellation writes them, and Stripe is taken to have paid the refund out."""
    booking = paid_booking(retreat, *people, **options)
    now = utcnow()
    refunds = record_cancellation(
        booking,
        refund_minor=booking.amount_minor if refund_minor is None else refund_minor,
        refund_reason="cancellation",
        email_kind="cancellation",
        actor_id=None,
        audit_detail="by the attendee; refund {refund}",
        now=now,
    )
    for refund in refunds:
        refund.status, refund.attempts = RefundStatus.SUCCEEDED, 1
        refund.stripe_refund_id, refund.succeeded_at = f"re_test_{booking.id}", now
    db.session.commit()
    return booking


def stored_booking(
    retreat: Retreat,
    *,
    status: BookingStatus = BookingStatus.CONFIRMED,
    seats: int | None = None,
    amount: int | None = None,
    refunded: int = 0,
    hold_minutes: int = 30,
) -> Booking:
    """One booking on the retreat's first ticket type written straight to the database: no
    services, no attendees, no emails. Seats and amount default to the ticket's; a confirmed or
    cancelled booking was once confirmed and paid its amount (a payment on the ledger, with
    `refunded` of it given back)."""
    now = utcnow()
    ticket = retreat.ticket_types[0]
    number = db.session.query(Booking).count()
    amount = ticket.price_minor if amount is None else amount
    booking = Booking(
        reference=f"RB-T{number:05d}",
        token_hash="x" * 64,
        retreat=retreat,
        ticket_type=ticket,
        status=status,
        seats=ticket.seats_per_ticket if seats is None else seats,
        amount_minor=amount,
        lines=[BookingLine(kind=LineKind.TICKET, name=ticket.name, unit_amount_minor=amount)],
        currency=retreat.currency,
        contact_name="Ada",
        contact_email=f"ada{number}@example.org",
        hold_expires_at=now + timedelta(minutes=hold_minutes),
        confirmed_at=now if status in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED) else None,
    )
    db.session.add(booking)
    if booking.confirmed_at is not None:
        paid = LedgerPayment(
            booking=booking,
            kind=PaymentKind.FULL,
            status=PaymentStatus.SUCCEEDED,
            amount_minor=amount,
            currency=retreat.currency,
            stripe_checkout_session_id=f"cs_stored_{number}",
            stripe_payment_intent_id=f"pi_stored_{number}",
            succeeded_at=now,
        )
        db.session.add(paid)
        if refunded:
            db.session.flush()
            record_payment_refund(paid, amount_minor=refunded, reason="cancellation", now=now)
    db.session.commit()
    return booking


def _reloaded(booking: Booking) -> Booking:
    return db.session.get(Booking, booking.id, populate_existing=True)


# The waitlist ----------------------------------------------------------------------------------


def waitlist_entry(
    retreat: Retreat,
    *,
    name: str = "Wren",
    email: str = "waiting@example.org",
    seats: int = 1,
    status: WaitlistStatus = WaitlistStatus.WAITING,
    **fields,
) -> WaitlistEntry:
    """Someone on the retreat's waitlist, written straight to the database (joining through
    `join_waitlist` needs a retreat open for booking)."""
    entry = WaitlistEntry(
        retreat=retreat, name=name, email=email, seats=seats, status=status, **fields
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def waitlist_offer(
    retreat: Retreat,
    *,
    hours: float = 12,
    now: datetime | None = None,
    **fields,
) -> WaitlistEntry:
    """A waitlist entry whose offer of freed seats is live for `hours` more (its seats count as
    taken meanwhile)."""
    now = now or utcnow()
    return waitlist_entry(
        retreat,
        status=WaitlistStatus.OFFERED,
        offered_at=now,
        offer_expires_at=now + timedelta(hours=hours),
        **fields,
    )


# A database still at the first migration revision ---------------------------------------------

# Rows as revision 0001_initial stored them, for the tests that upgrade such a database: an
# organizer, a retreat with one ticket, a confirmed booking with one attendee (private answers
# in plain text, as they were then) and its sent confirmation.
FIRST_REVISION_ROWS = [
    "INSERT INTO organizers (id, email, name, created_at) "
    "VALUES (1, 'o@example.org', 'Host', '2026-01-01 00:00:00')",
    "INSERT INTO retreats (id, slug, title, kind, focus, audience, summary, description_md, "
    "is_online, starts_at, ends_at, timezone, starts_on, capacity, currency, status, "
    "cancellation_policy, preparation_guide_md, organizer_id, created_at, updated_at) VALUES "
    "(1, 'old', 'Old Retreat', 'retreat', 'emotional', 'couples', 'S', '', false, "
    "'2027-03-01 17:00:00', '2027-03-03 14:00:00', 'Europe/Lisbon', '2027-03-01', 10, 'EUR', "
    "'published', '', '', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO ticket_types (id, retreat_id, name, description, price_minor, seats_per_ticket, "
    "position) VALUES (1, 1, 'Individual', '', 25000, 1, 0)",
    "INSERT INTO bookings (id, version, reference, token_hash, retreat_id, ticket_type_id, status, "
    "seats, amount_minor, currency, contact_name, contact_email, hold_expires_at, created_at, "
    "updated_at) VALUES (1, 1, 'RB-OLD001', 'x', 1, 1, 'confirmed', 1, 25000, 'EUR', 'Ada', "
    "'ada@example.org', '2026-01-01 00:31:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO attendees (id, booking_id, position, name, dietary_needs, accessibility_needs, "
    "emergency_contact, hopes, code_of_conduct_accepted_at) VALUES "
    "(1, 1, 0, 'Ada', '', 'Ground-floor room', 'Charles +44 20 7946 0000', 'To rest', "
    "'2026-01-01 00:00:00')",
    "INSERT INTO outbox_emails (id, key, kind, booking_id, to_address, status, attempts, "
    "send_after, created_at) VALUES (1, 'confirmation:1', 'confirmation', 1, 'ada@example.org', "
    "'sent', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
]


# Facilitators and venues (issue 19) ------------------------------------------------------------


def create_facilitator(
    organizer: Organizer,
    *,
    name: str = "Mira Okafor",
    bio: str = "Couples therapist, twenty years of retreats.",
    photo: str | None = None,
    retreats: list[Retreat] = (),
) -> Facilitator:
    """One of the organizer's facilitators, named on `retreats`."""
    person = Facilitator(organizer_id=organizer.id, name=name, bio=bio, photo=photo)
    db.session.add(person)
    for retreat in retreats:
        retreat.facilitators.append(person)
    db.session.commit()
    return person


def create_venue(
    organizer: Organizer,
    *,
    name: str = "Quinta das Oliveiras",
    address: str = "Estrada do Vale 12, 2710 Sintra, Portugal",
    description_md: str = "An olive farm with a **sea view**.",
    photos: list[str] = (),
    retreats: list[Retreat] = (),
) -> Venue:
    """One of the organizer's venues, with stored photo names, the venue of `retreats`."""
    venue = Venue(
        organizer_id=organizer.id,
        name=name,
        address=address,
        description_md=description_md,
        photos=[VenuePhoto(image=image, position=n) for n, image in enumerate(photos)],
    )
    db.session.add(venue)
    db.session.flush()
    for retreat in retreats:
        retreat.venue_id = venue.id
    db.session.commit()
    return venue


# Organizer sign-up and the platform admin (tests/admin) -------------------------------------------


def create_platform_admin(
    *, email: str = "admin@example.org", name: str = "Pat Admin"
) -> Organizer:
    """An approved organizer account with the platform admin flag, as `flask admin create` makes."""
    person = create_organizer(email=email, name=name)
    person.is_platform_admin = True
    db.session.commit()
    return person


def create_signed_up_organizer(
    *,
    email: str = "newcomer@example.org",
    name: str = "Nia Newcomer",
    offering: str = "Tantra workshops for couples in Lisbon.",
    email_confirmed: bool = True,
) -> Organizer:
    """An organizer who signed up on the site and waits for a platform admin (with their email
    confirmed, unless email_confirmed=False)."""
    person = Organizer(
        email=email,
        name=name,
        password_hash=STAND_IN_PASSWORD_HASH,
        status=OrganizerStatus.PENDING,
        offering=offering,
        email_verified_at=utcnow() if email_confirmed else None,
    )
    db.session.add(person)
    db.session.commit()
    return person
