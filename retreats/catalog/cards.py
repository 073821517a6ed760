"""A listing's card, rendered once for what it shows and reused while that stays the same.

In a booking rush every booking changes the catalog (one card's seats left), so each worker
renders the catalog page anew about once a second; most of its cards are as they were. A card
shows its retreat's row and what is left of it (seats, the lowest price, the early-bird date), so
it is kept under exactly those: the retreat's id and `updated_at` (set on every change of its
row) and the listing's figures. Anything that changes what a card shows changes its key, so a
kept card is never out of date; an old one is simply no longer asked for, and the least recently
used go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app
from markupsafe import Markup

from retreats.booking.availability import Listing
from retreats.caching.fragments import render_piece

MAX_CARDS = 1024  # per worker; a card is about 1.5 KB


class CardStore:
    def __init__(self, max_cards: int = MAX_CARDS):
        self.max_cards = max_cards
        self._cards: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Markup | None:
        with self._lock:
            card = self._cards.get(key)
            if card is not None:
                self._cards.move_to_end(key)
            return card

    def put(self, key: Hashable, card: Markup) -> None:
        with self._lock:
            self._cards[key] = card
            while len(self._cards) > self.max_cards:
                self._cards.popitem(last=False)


def listing_card(listing: Listing, eager: bool = False) -> Markup:
    """The card of one listing (catalog/_card.html); `eager` loads its cover at once."""
    retreat = listing.retreat
    key = (
        retreat.id,
        retreat.updated_at,
        listing.seats_left,
        listing.lowest_price_minor,
        listing.early_bird_until,
        bool(eager),
    )
    store = current_app.extensions.setdefault("listing_cards", CardStore())
    card = store.get(key)
    if card is None:
        # For everyone, as the kept page around it: none of the visitor's own globals.
        card = render_piece("catalog/_card.html", listing=listing, eager=eager)
        store.put(key, card)
    return card
