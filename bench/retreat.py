"""The retreat the burst books, made with the app's own models, and what the database says after.

The bench process builds its own app (no server) only to write and read the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from retreats import create_app
from retreats.booking.capacity import holds_its_seats, seats_taken
from retreats.booking.discount_uses import code_uses
from retreats.booking.inventory import RoomsTaken, add_on_units_taken, rooms_taken
from retreats.booking.models import Booking
from retreats.database import utcnow
from retreats.discounts.models import DiscountCode
from retreats.extensions import db
from retreats.gift_vouchers.balance import voucher_left_minor
from retreats.gift_vouchers.codes import new_purchase_reference, shown_code
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
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
from retreats.organizer.accounts.models import Organizer
from retreats.organizer.listings.question_copies import add_starting_questions
from retreats.payments.models import Payment

from .load import StayChoices, Visitor
from .stack import BENCH_SECRET_KEY

SLUG = "burst-bench-retreat"
# The limited discount code half the burst's visitors type: fewer uses than holds granted.
DISCOUNT_CODE = "BENCH-BURST"
DISCOUNT_CODE_USES = 4
# The gift voucher every fourth visitor types: enough for a few bookings, not for all who try.
GIFT_VOUCHER_CODE = "BENCHG1FTV0CHER5"
GIFT_VOUCHER_MINOR = 60_000


@dataclass(frozen=True)
class BenchRetreat:
    id: int
    slug: str
    capacity: int
    ticket_ids: dict[int, int]  # seats per ticket (1 or 2) → ticket type id
    stay: StayChoices | None = None  # what visitors pick, where the retreat sells rooms
    discount_code: str = ""  # a limited code of the organizer's ("": none)
    gift_voucher_code: str = ""  # a gift voucher for the organizer's retreats ("": none)


def database_app(database_url: str) -> Flask:
    # The servers' SECRET_KEY: without INTAKE_ENCRYPTION_KEYS the intake answers' key derives
    # from it, and the servers must read what this app writes.
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": BENCH_SECRET_KEY})


def published_retreat(
    *, slug: str, title: str, starts_at, organizer: Organizer, capacity: int, **fields
) -> Retreat:
    """A published weekend retreat in Sintra, priced in EUR: every bench's retreat, with
    `fields` (summary, ticket types, kind …) for what the bench at hand needs."""
    return Retreat(
        **{
            "slug": slug,
            "title": title,
            "kind": RetreatKind.RETREAT,
            "focus": Focus.EMOTIONAL,
            "audience": Audience.EVERYONE,
            "summary": "A retreat made for a benchmark.",
            "description_md": "Made by `python -m bench`.",
            "venue": "Quinta do Vale",
            "city": "Sintra",
            "country": "Portugal",
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(days=2),
            "timezone": "Europe/Lisbon",
            "capacity": capacity,
            "currency": "EUR",
            "status": RetreatStatus.PUBLISHED,
            "organizer": organizer,
            **fields,
        }
    )


def individual_and_couple_tickets() -> list[TicketType]:
    return [
        TicketType(name="Individual", price_minor=25_000, seats_per_ticket=1, position=0),
        TicketType(name="Couple (2 people)", price_minor=45_000, seats_per_ticket=2, position=1),
    ]


def bench_rooms() -> list[RoomType]:
    """Fewer rooms than the seats want, so rooms sell out in a burst too: 5 private rooms for
    couples, 2 single rooms and a shared twin type whose 6 beds sell one by one."""
    return [
        RoomType(name="Suite", rooms=2, sleeps=2, price_minor=40_000, price_per=PricePer.ROOM),
        RoomType(name="Garden double", rooms=3, price_minor=25_000, price_per=PricePer.ROOM),
        RoomType(name="Shared twin", rooms=3, shared=True, suits_couple=False, price_minor=12_000),
        RoomType(name="Single room", rooms=2, sleeps=1, suits_couple=False, price_minor=20_000),
    ]


def bench_add_ons() -> list[AddOn]:
    """Two limited add-ons (one per person, one per booking) and one without a limit."""
    return [
        AddOn(
            name="Airport transfer", price_minor=3_500, price_per=PricePer.PERSON, quantity_limit=6
        ),
        AddOn(name="Private session", price_minor=12_000, quantity_limit=3),
        AddOn(name="Yoga mat", price_minor=2_000),
    ]


def _stay_choices(retreat: Retreat) -> StayChoices:
    room = {room_type.name: room_type.id for room_type in retreat.room_types}
    add_on = {add_on.name: add_on.id for add_on in retreat.add_ons}
    transfer, session, mat = (
        add_on["Airport transfer"],
        add_on["Private session"],
        add_on["Yoga mat"],
    )
    return StayChoices(
        couple_rooms=(room["Suite"], room["Garden double"], None),
        single_rooms=(room["Shared twin"], room["Single room"], room["Shared twin"], None),
        add_ons=((transfer,), (), (session, mat), (transfer, session), (mat,)),
    )


def create_bench_retreat(
    app: Flask, *, seats: int, with_stay: bool = False, with_code: bool = False
) -> BenchRetreat:
    """One organizer and one published retreat in 30 days with an individual and a couple ticket,
    asking the four questions every new retreat starts with; `with_stay`: also rooms (guests may
    book without one) and add-ons, some of them limited; `with_code`: a discount code with
    DISCOUNT_CODE_USES uses, and a gift voucher of GIFT_VOUCHER_MINOR."""
    with app.app_context():
        starts_at = (utcnow() + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
        retreat = published_retreat(
            slug=SLUG,
            title="Burst Bench Couples Weekend",
            starts_at=starts_at,
            organizer=Organizer(email="bench-host@example.org", name="Bench Host"),
            capacity=seats,
            summary="The retreat the booking burst benchmark fights over.",
            ticket_types=individual_and_couple_tickets(),
            room_types=bench_rooms() if with_stay else [],
            add_ons=bench_add_ons() if with_stay else [],
            allows_no_accommodation=with_stay,
        )
        db.session.add(retreat)
        db.session.flush()
        add_starting_questions(retreat)  # as every retreat an organizer creates
        if with_code:
            db.session.add(
                DiscountCode(
                    organizer_id=retreat.organizer_id,
                    code=DISCOUNT_CODE,
                    percent_off=10,
                    max_uses=DISCOUNT_CODE_USES,
                )
            )
            db.session.add(_bench_voucher(retreat.organizer_id))
        db.session.commit()
        return BenchRetreat(
            id=retreat.id,
            slug=retreat.slug,
            capacity=retreat.capacity,
            ticket_ids={ticket.seats_per_ticket: ticket.id for ticket in retreat.ticket_types},
            stay=_stay_choices(retreat) if with_stay else None,
            discount_code=DISCOUNT_CODE if with_code else "",
            gift_voucher_code=shown_code(GIFT_VOUCHER_CODE) if with_code else "",
        )


def _bench_voucher(organizer_id: int) -> GiftVoucher:
    now = utcnow()
    return GiftVoucher(
        reference=new_purchase_reference(),
        code=GIFT_VOUCHER_CODE,
        organizer_id=organizer_id,
        amount_minor=GIFT_VOUCHER_MINOR,
        currency="EUR",
        status=GiftVoucherStatus.ACTIVE,
        buyer_name="Bench Giver",
        buyer_email="giver@example.org",
        recipient_name="Bench Guest",
        recipient_email="guest@example.org",
        deliver_on=now.date(),
        send_at=now,
        paid_at=now,
        expires_at=now + timedelta(days=365),
    )


@dataclass(frozen=True)
class InventoryUse:
    """One limited thing (a room type, an add-on) as the database counts it after a burst."""

    name: str
    limit: int  # rooms of the type, or the add-on's quantity limit
    used: int  # rooms in use (whole ones plus those beds were sold in), or add-on units
    beds: int | None = None  # beds sold one by one, for a shared room type

    @property
    def oversold(self) -> int:
        return max(self.used - self.limit, 0)


def stay_promises_broken(app: Flask, retreat_id: int, granted: list[Visitor]) -> list[str]:
    """Where the rooms, beds and add-on units the database counts differ from what the granted
    answers promised (each visitor's choices, counted as the app would)."""
    with app.app_context():
        retreat = db.session.get(Retreat, retreat_id)
        room_types = {room_type.id: room_type for room_type in retreat.room_types}
        promised_rooms: Counter[tuple[int, str]] = Counter()
        promised_units: Counter[int] = Counter()
        add_ons = {add_on.id: add_on for add_on in retreat.add_ons}
        for visitor in granted:
            if visitor.room_choice not in (None, "none"):
                room_type = room_types[int(visitor.room_choice)]
                whole = room_type.takes_whole_room(visitor.seats)
                promised_rooms[room_type.id, "whole" if whole else "beds"] += (
                    1 if whole else visitor.seats
                )
            for add_on_id in visitor.add_on_ids:
                promised_units[add_on_id] += add_ons[add_on_id].units_for(visitor.seats)
        now = utcnow()
        problems = []
        for room_type_id, taken in rooms_taken(retreat_id, now=now).items():
            name = room_types[room_type_id].name
            for kind, counted in (("whole", taken.whole_rooms), ("beds", taken.beds)):
                if counted != promised_rooms[room_type_id, kind]:
                    problems.append(
                        f"{name}: {counted} {kind} counted, "
                        f"{promised_rooms[room_type_id, kind]} promised"
                    )
        counted_units = add_on_units_taken(retreat_id, now=now)
        for add_on_id, add_on in add_ons.items():
            if counted_units.get(add_on_id, 0) != promised_units[add_on_id]:
                problems.append(
                    f"{add_on.name}: {counted_units.get(add_on_id, 0)} units counted, "
                    f"{promised_units[add_on_id]} promised"
                )
        return problems


def code_use_now(app: Flask, code: str, granted: list[Visitor]) -> tuple[InventoryUse, list[str]]:
    """The code's uses as the app counts them (booking/discount_uses.py), and where they differ
    from the granted answers of the visitors who typed it (a code refused refuses the hold)."""
    with app.app_context():
        found = db.session.scalar(select(DiscountCode).where(DiscountCode.code == code))
        used = code_uses(found.id, now=utcnow())
        use = InventoryUse(name=f"code {code}", limit=found.max_uses, used=used)
    promised = sum(1 for visitor in granted if visitor.discount_code == code)
    if used == promised:
        return use, []
    return use, [f"code {code}: {used} uses counted, {promised} promised"]


def voucher_use_now(app: Flask, retreat_id: int) -> tuple[InventoryUse, list[str]]:
    """The bench voucher as the app counts it (what its payments hold or took, in cents), and
    where that differs from the bookings' own voucher payments: every booking that used it
    holds its places (a refused hold may not keep a voucher payment)."""
    with app.app_context():
        voucher = db.session.scalar(
            select(GiftVoucher).where(GiftVoucher.code == GIFT_VOUCHER_CODE)
        )
        spent = voucher.amount_minor - voucher_left_minor(voucher)
        use = InventoryUse(name="voucher (cents)", limit=voucher.amount_minor, used=spent)
        on_live_bookings = db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount_minor), 0))
            .join(Booking, Payment.booking_id == Booking.id)
            .where(
                Payment.gift_voucher_id == voucher.id,
                Booking.retreat_id == retreat_id,
                holds_its_seats(utcnow()),
            )
        )
    if spent == on_live_bookings:
        return use, []
    return use, [f"voucher: {spent} cents spent, {on_live_bookings} on bookings holding places"]


def stay_taken_now(app: Flask, retreat_id: int) -> list[InventoryUse]:
    """Each room type and each limited add-on, with what confirmed and live pending bookings
    take of it: the app's own counts (booking/inventory.py)."""
    with app.app_context():
        retreat = db.session.get(Retreat, retreat_id)
        taken_rooms = rooms_taken(retreat_id, now=utcnow())
        taken_units = add_on_units_taken(retreat_id, now=utcnow())
        uses = []
        for room_type in retreat.room_types:
            taken = taken_rooms.get(room_type.id, RoomsTaken())
            uses.append(
                InventoryUse(
                    name=f"room {room_type.name}",
                    limit=room_type.rooms,
                    used=taken.rooms_in_use(room_type.sleeps),
                    beds=taken.beds if room_type.shared else None,
                )
            )
        for add_on in retreat.add_ons:
            if add_on.quantity_limit is not None:
                uses.append(
                    InventoryUse(
                        name=f"add-on {add_on.name}",
                        limit=add_on.quantity_limit,
                        used=taken_units.get(add_on.id, 0),
                    )
                )
        return uses


def seats_taken_now(app: Flask, retreat_id: int) -> int:
    """Confirmed plus live pending seats: the app's own definition (booking/capacity.py)."""
    with app.app_context():
        return seats_taken(retreat_id)


def bookings_by_status(app: Flask, retreat_id: int) -> Counter[str]:
    with app.app_context():
        rows = db.session.execute(
            select(Booking.status, func.count())
            .where(Booking.retreat_id == retreat_id)
            .group_by(Booking.status)
        ).all()
        return Counter({str(status): count for status, count in rows})


def close_connections(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()
