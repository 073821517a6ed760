"""Secret link tokens: HMACs under SECRET_KEY, stored only as their SHA-256.

A token is derived from what it opens (a booking reference, a waitlist offer, an organizer's
one-time link row), so an email can be built at send time without storing the token; the
database keeps only its hash, so a dump alone opens nothing. Changing SECRET_KEY therefore
invalidates every link already sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app


def signed_token(message: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signed_token_matches(token: str | None, message: str) -> bool:
    """Is `token` the signed_token of `message`? Constant-time, whatever the guess."""
    if not token or len(token) > 200:
        return False
    return hmac.compare_digest(token, signed_token(message))


def token_matches(token: str | None, token_hash: str) -> bool:
    """Constant-time comparison, so response timing says nothing about the stored hash."""
    if not token or len(token) > 200:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


def link_token(token) -> str:
    """The secret of an organizer's one-time link (`token`: its OrganizerToken row)."""
    return signed_token(f"organizer-{token.purpose.value}:{token.id}:{token.nonce}")
