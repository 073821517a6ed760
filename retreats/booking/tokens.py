"""Public booking references and the secret tokens of manage links.

A token is an HMAC of the booking reference under SECRET_KEY, so the app can put it in any later
email without storing it; the database keeps only its SHA-256, so a dump alone opens nothing.
Changing SECRET_KEY therefore invalidates manage links already sent.
"""

from __future__ import annotations

import secrets

from retreats.base.tokens import signed_token, signed_token_matches

# Crockford-style alphabet: no I, L, O or U, so a reference read aloud is not misheard.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    return "RB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def booking_token(reference: str) -> str:
    return signed_token(f"booking-link:{reference}")


def waitlist_offer_token(entry_id: int) -> str:
    return signed_token(_waitlist_offer(entry_id))


def waitlist_token_matches(token: str | None, entry_id: int) -> bool:
    return signed_token_matches(token, _waitlist_offer(entry_id))


def _waitlist_offer(entry_id: int) -> str:
    return f"waitlist-offer:{entry_id}"
