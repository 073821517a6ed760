"""Prices shown before booking: the total of a choice on the booking form, and the "from" price
of each room type on a retreat's page. Both come from the one pricing function (pricing.py), and
a choice is checked by the same rules the hold applies (services.py), without holding anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retreats.booking.availability import Stay
from retreats.booking.models import voucher_name
from retreats.booking.payment_plan import PaymentPlan, payment_plan
from retreats.booking.pricing import Quote, price_booking

# The hold's own check of a room and add-on choice, so the total never shows a choice the hold
# would refuse. It only reads the retreat's room types and add-ons (nothing is locked or written).
from retreats.booking.services import chosen_stay
from retreats.database import utcnow
from retreats.discounts.models import DiscountCode
from retreats.discounts.rules import check_code_applies, code_named
from retreats.errors import DomainError
from retreats.gift_vouchers.balance import voucher_covers, voucher_left_minor, voucher_named
from retreats.listings.models import Retreat, RoomType, TicketType


@dataclass(frozen=True)
class PriceSummary:
    """What the booking form's total shows: a quote, or what to choose before there is one."""

    quote: Quote | None = None
    plan: PaymentPlan | None = None  # paid today, and the balance later (payment_plan.py)
    prompt: str = ""  # what is missing, e.g. "Choose a ticket to see your total."
    problem: str = ""  # why this choice cannot be booked, e.g. a room not for two people
    voucher: VoucherPart | None = None  # what a gift voucher typed would pay of it


@dataclass(frozen=True)
class VoucherPart:
    """What a gift voucher would pay of a booking, as the form's total shows it."""

    name: str  # "GV-…7K2Q" (models.voucher_name)
    pays_minor: int  # taken from the voucher
    card_pays_now_minor: int  # what is left to pay today, by card
    left_after_minor: int  # what stays on the voucher


def quote_choice(
    retreat: Retreat,
    *,
    tickets: Sequence[TicketType],
    ticket_type_id: int | None,
    room_type_id: int | None,
    room_chosen: bool,
    add_on_ids: Sequence[int],
    discount_code: str = "",
    gift_voucher_code: str = "",
) -> PriceSummary:
    """The price of what is chosen on the booking form so far, and what a gift voucher typed
    would pay of it.

    `tickets` are those the form offers; `room_chosen` says a room or "No accommodation" was
    picked (room_type_id None then means no room). Raises DomainError (with `.field`) for a
    choice the hold would refuse: a ticket or room not offered, a room not for two people, an
    add-on not offered or not with this ticket and room, a discount code or a gift voucher that
    does not apply (its uses, and what is left on the voucher, are taken by the hold alone,
    under their locks: read here, nothing is locked or written).
    """
    ticket = next((ticket for ticket in tickets if ticket.id == ticket_type_id), None)
    if ticket is None:
        if ticket_type_id is None:
            return PriceSummary(prompt="Choose a ticket to see your total.")
        raise DomainError("Please choose one of the tickets offered.", field="ticket_type")
    sells_rooms = any(not room_type.hidden for room_type in retreat.room_types)
    if sells_rooms and not room_chosen:
        return PriceSummary(prompt="Choose where you stay to see your total.")
    room_type, add_ons = chosen_stay(
        retreat, ticket, room_type_id=room_type_id, add_on_ids=add_on_ids
    )
    code = _code_that_applies(retreat, ticket, room_type, discount_code)
    quote = price_booking(
        currency=retreat.currency,
        ticket=ticket,
        room_type=room_type,
        add_ons=add_ons,
        discount=code,
    )
    plan = payment_plan(
        retreat, total_minor=quote.total_minor, people=ticket.seats_per_ticket, now=utcnow()
    )
    voucher = _voucher_part(retreat, plan, gift_voucher_code)
    return PriceSummary(quote=quote, plan=plan, voucher=voucher)


def _voucher_part(retreat: Retreat, plan: PaymentPlan, text: str) -> VoucherPart | None:
    """What the voucher typed would pay of the total, read without its lock."""
    if not text.strip():
        return None
    now = utcnow()
    pays = voucher_covers(text, retreat=retreat, total_minor=plan.total_minor, now=now)
    voucher = voucher_named(text)
    return VoucherPart(
        name=voucher_name(voucher),
        pays_minor=pays,
        card_pays_now_minor=max(plan.today_minor - pays, 0),
        left_after_minor=voucher_left_minor(voucher) - pays,
    )


def _code_that_applies(
    retreat: Retreat, ticket: TicketType, room_type: RoomType | None, text: str
) -> DiscountCode | None:
    """The code typed, if it applies to this choice (its uses are not counted here)."""
    if not text.strip():
        return None
    code = code_named(retreat.organizer_id, text)
    check_code_applies(code, retreat=retreat, ticket=ticket, room_type=room_type, now=utcnow())
    return code


def summary_of_choice(retreat: Retreat, **choice) -> PriceSummary:
    """quote_choice(), with a refused choice told in the summary instead of raised."""
    try:
        return quote_choice(retreat, **choice)
    except DomainError as error:
        return PriceSummary(problem=error.message)


@dataclass(frozen=True)
class FromPrice:
    """The least a booking in one room type costs, ticket included, and for how many people."""

    total_minor: int
    people: int


def from_prices(
    retreat: Retreat, stay: Stay, tickets_on_sale: Sequence[TicketType]
) -> dict[int, FromPrice]:
    """Each room type's "from" price, by room type id: the cheapest ticket on sale for the
    people the room is for (two in a private room for a couple, else one) with the room."""
    prices = {}
    for left in stay.rooms:
        price = _from_price(retreat, left.room_type, tickets_on_sale)
        if price is not None:
            prices[left.room_type.id] = price
    return prices


def _from_price(
    retreat: Retreat, room_type: RoomType, tickets: Sequence[TicketType]
) -> FromPrice | None:
    couple_room = room_type.suits_couple and not room_type.shared and room_type.suits(2)
    for people in (2, 1) if couple_room else (1, 2):
        fitting = [t for t in tickets if t.seats_per_ticket == people and room_type.suits(people)]
        totals = [
            price_booking(currency=retreat.currency, ticket=ticket, room_type=room_type).total_minor
            for ticket in fitting
        ]
        if totals:
            return FromPrice(total_minor=min(totals), people=people)
    return None


def lowest_total(retreat: Retreat, pairs: Sequence[tuple[TicketType, RoomType]]) -> int | None:
    """The least a booking of `retreat` costs with a room, among ticket-and-room pairs (tickets
    on sale, rooms on offer): for a catalog card's "from" price where a room is required."""
    totals = [
        price_booking(currency=retreat.currency, ticket=ticket, room_type=room_type).total_minor
        for ticket, room_type in pairs
        if room_type.suits(ticket.seats_per_ticket)
    ]
    return min(totals) if totals else None
