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

from flask import current_app
from markupsafe import Markup

from retreats.booking.availability import Listing
from retreats.caching.fragments import render_piece
from retreats.caching.public_pages import PageStore

MAX_CARDS = 1024  # per worker; a card is about 1.5 KB


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
    # The kept pages' bounded store, used by key alone: the key says all a card shows.
    store = current_app.extensions.setdefault("listing_cards", PageStore(max_pages=MAX_CARDS))
    card = store.get(key)
    if card is None:
        # For everyone, as the kept page around it: none of the visitor's own globals.
        card = render_piece("catalog/_card.html", listing=listing, eager=eager)
        store.put(key, card)
    return card
