"""The one-time link that confirms a new organizer's email address: issued and mailed inside the
caller's transaction (the sign-up's, or a request for a new link)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from retreats.base.outbox import queue_email
from retreats.extensions import db
from retreats.organizer.accounts.models import Organizer, OrganizerToken, TokenPurpose
from retreats.organizer.accounts.tokens import issue_token

EMAIL_LINK_KIND = "email_verification"
# A request beyond this many live links sends nothing more, so nobody can flood an inbox.
MAX_LIVE_EMAIL_LINKS = 3


def queue_email_link(person: Organizer, *, now: datetime) -> bool:
    """Issue a new email-check link and queue its mail, unless enough are out already."""
    if live_email_links(person.id, now=now) >= MAX_LIVE_EMAIL_LINKS:
        return False
    hours = current_app.config["EMAIL_VERIFICATION_HOURS"]
    token = issue_token(
        person, TokenPurpose.EMAIL_VERIFICATION, lifetime=timedelta(hours=hours), now=now
    )
    queue_email(
        kind=EMAIL_LINK_KIND,
        key=f"{EMAIL_LINK_KIND}:{token.id}",
        to_address=person.email,
        organizer_token_id=token.id,
    )
    return True


def live_email_links(organizer_id: int, *, now: datetime) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(OrganizerToken)
        .where(
            OrganizerToken.organizer_id == organizer_id,
            OrganizerToken.purpose == TokenPurpose.EMAIL_VERIFICATION,
            OrganizerToken.used_at.is_(None),
            OrganizerToken.expires_at > now,
        )
    ).scalar_one()
