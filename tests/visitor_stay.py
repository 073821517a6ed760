"""A residential retreat as the visitor's side tests sell it: tickets, rooms and add-ons.

The Sintra weekend of the issue: an individual and a couple ticket; a sea-view suite and a
garden double priced per room, a shared twin priced per person (beds sold one by one), a
single room that is not for a couple; an airport transfer per person (12 seats), a private
session per booking (3 slots) and an extra night per person (no limit).
"""

from __future__ import annotations

from dataclasses import dataclass

from retreats.listings.models import AddOn, PricePer, Retreat, RoomType, TicketType
from tests.factories import add_add_on, add_room_type, ticket_for

SINTRA_TICKETS = [("Individual", 25_000, 1), ("Couple (2 people)", 45_000, 2)]


@dataclass
class Sintra:
    retreat: Retreat
    individual: TicketType
    couple: TicketType
    suite: RoomType
    garden: RoomType
    twin: RoomType
    single: RoomType
    transfer: AddOn
    session: AddOn
    night: AddOn


def sintra_weekend(make_retreat, *, suites: int = 2, **retreat_options) -> Sintra:
    """The Sintra weekend with its rooms and add-ons; `retreat_options` set the retreat's columns
    (capacity, allows_no_accommodation…)."""
    retreat = make_retreat(
        title="Sintra Weekend", tickets=SINTRA_TICKETS, **({"capacity": 20} | retreat_options)
    )
    return Sintra(
        retreat=retreat,
        individual=ticket_for(retreat, 1),
        couple=ticket_for(retreat, 2),
        suite=add_room_type(
            retreat,
            name="Sea-view suite",
            rooms=suites,
            price_minor=60_000,
            description="A balcony over the Atlantic.",
        ),
        garden=add_room_type(retreat, name="Garden double", rooms=3, price_minor=40_000),
        twin=add_room_type(retreat, name="Shared twin", rooms=2, shared=True, price_minor=15_000),
        single=add_room_type(
            retreat, name="Single room", rooms=2, sleeps=1, suits_couple=False, price_minor=20_000
        ),
        transfer=add_add_on(retreat, name="Airport transfer", price_minor=4_000, quantity_limit=12),
        session=add_add_on(
            retreat,
            name="Private session",
            price_minor=9_000,
            price_per=PricePer.BOOKING,
            quantity_limit=3,
        ),
        night=add_add_on(retreat, name="Extra night", price_minor=7_000),
    )
