"""What a booking costs: the one pricing function, and the same answer for a booking made.

price_booking() turns a ticket, a room choice, add-ons and a discount code into line items and
a total, in the retreat's currency's minor units. The booking form's total, the hold (which
stores the lines on the booking), Checkout's line items, the manage page, every email, the
organizer's pages and the CSV all come from here: booking_quote() gives back the lines a booking
was priced at, so a later price change never changes what someone was asked to pay. No template
or view adds prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retreats.booking.models import Booking, BookingLine, LineKind
from retreats.discounts.models import DiscountCode
from retreats.discounts.rules import amount_off, discount_line_name
from retreats.listings.models import AddOn, PricePer, RoomType, TicketType


@dataclass(frozen=True)
class LineItem:
    kind: LineKind
    name: str
    quantity: int
    unit_amount_minor: int
    add_on_id: int | None = None

    @property
    def amount_minor(self) -> int:
        return self.quantity * self.unit_amount_minor


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[LineItem, ...]

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    @property
    def has_parts(self) -> bool:
        """More than the ticket alone: worth showing line by line."""
        return len(self.lines) > 1


def price_booking(
    *,
    currency: str,
    ticket: TicketType,
    room_type: RoomType | None = None,
    add_ons: Sequence[AddOn] = (),
    discount: DiscountCode | None = None,
) -> Quote:
    """The line items and total of a booking of `ticket`, staying in `room_type` (None: no
    accommodation), with `add_ons`, less `discount` (a code: its line, last, has a negative
    amount). It checks nothing: the hold checks what may be combined and whether the code
    applies."""
    people = ticket.seats_per_ticket
    lines = [LineItem(LineKind.TICKET, ticket.name, 1, ticket.price_minor)]
    if room_type is not None:
        per_person = room_type.price_per == PricePer.PERSON
        lines.append(
            LineItem(
                LineKind.ROOM, room_type.name, people if per_person else 1, room_type.price_minor
            )
        )
    for add_on in add_ons:
        lines.append(
            LineItem(
                LineKind.ADD_ON,
                add_on.name,
                add_on.units_for(people),
                add_on.price_minor,
                add_on_id=add_on.id,
            )
        )
    if discount is not None:
        off = amount_off(discount, sum(line.amount_minor for line in lines))
        if off > 0:
            lines.append(LineItem(LineKind.DISCOUNT, discount_line_name(discount), 1, -off))
    return Quote(currency=currency, lines=tuple(lines))


def booking_lines(quote: Quote) -> list[BookingLine]:
    """The quote as the rows a booking keeps."""
    return [
        BookingLine(
            position=position,
            kind=line.kind,
            name=line.name,
            quantity=line.quantity,
            unit_amount_minor=line.unit_amount_minor,
            add_on_id=line.add_on_id,
        )
        for position, line in enumerate(quote.lines)
    ]


def booking_quote(booking: Booking) -> Quote:
    """The lines and total a booking was priced at when its seats were held."""
    lines = tuple(
        LineItem(line.kind, line.name, line.quantity, line.unit_amount_minor, line.add_on_id)
        for line in booking.lines
    )
    return Quote(currency=booking.currency, lines=lines)
