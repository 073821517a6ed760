"""Secret tokens for organizers' one-time links (password reset, co-host invite).

Like booking links (retreats/base/tokens.py): the token is an HMAC under SECRET_KEY, here of the
token row's id and a random nonce, so the email can be built at send time without storing the
token; the row keeps only its SHA-256 and is usable once, until it expires.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from retreats.base.tokens import hash_token, link_token
from retreats.extensions import db
from retreats.organizer.accounts.models import Organizer, OrganizerToken, TokenPurpose


def issue_token(
    organizer: Organizer,
    purpose: TokenPurpose,
    *,
    lifetime: timedelta,
    now: datetime,
    invited_by: Organizer | None = None,
) -> OrganizerToken:
    """Add a new one-time token to the caller's transaction (flushed, so it has its id)."""
    token = OrganizerToken(
        organizer=organizer,
        purpose=purpose,
        nonce=secrets.token_hex(16),
        token_hash=secrets.token_hex(32),  # replaced below once the id is known
        invited_by=invited_by,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(token)
    db.session.flush()
    token.token_hash = hash_token(link_token(token))
    return token


def usable_token(raw: str | None, purpose: TokenPurpose, *, now: datetime) -> OrganizerToken | None:
    """The unused, unexpired token of this purpose that `raw` is, or None."""
    if not raw or len(raw) > 200:
        return None
    token = db.session.execute(
        select(OrganizerToken).where(OrganizerToken.token_hash == hash_token(raw))
    ).scalar_one_or_none()
    if token is None or token.purpose != purpose or token.used_at or token.expires_at <= now:
        return None
    # The hash lookup found it; comparing the recomputed token guards against a changed key.
    return token if hmac.compare_digest(link_token(token), raw) else None
