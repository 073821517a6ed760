"""The waitlist: people waiting for a sold-out retreat, and offers that hold freed seats for them.

An offer counts as taken seats (booking/capacity.py) until it is used or lapses, so it is made
under the same seat lock as a hold. Releasing seats takes no lock; offering them does.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from retreats.base.locking import rolled_back_on_error
from retreats.base.outbox import queue_email
from retreats.booking.capacity import seats_taken
from retreats.booking.models import WaitlistEntry, WaitlistStatus
from retreats.database import lock_row, utcnow
from retreats.errors import DomainError, TryAgain
from retreats.extensions import db
from retreats.listings.models import Retreat

log = logging.getLogger(__name__)


def join_waitlist(
    *, retreat_id: int, name: str, email: str, seats: int, now: datetime | None = None
) -> WaitlistEntry:
    """Put someone on a sold-out retreat's waitlist; joining twice keeps the first place."""
    now = now or utcnow()
    retreat = db.session.get(Retreat, retreat_id)
    if retreat is None or not retreat.is_open_for_booking(now):
        raise DomainError("This retreat is not taking bookings or waitlist places.")
    if seats not in (1, 2):
        raise DomainError("A waitlist place is for one or two people.")
    existing = db.session.execute(
        select(WaitlistEntry).where(
            WaitlistEntry.retreat_id == retreat_id,
            WaitlistEntry.email == email,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    entry = WaitlistEntry(
        retreat_id=retreat_id, name=name, email=email, seats=seats, created_at=now
    )
    db.session.add(entry)
    db.session.commit()
    log.info("Waitlist entry %s for retreat %s (%s seats)", entry.id, retreat_id, seats)
    return entry


def offer_freed_seats(*, retreat_id: int, now: datetime | None = None) -> list[int]:
    """Offer free seats to the earliest waiting entries that fit; returns the entries offered."""
    now = now or utcnow()
    with rolled_back_on_error():
        retreat = lock_row(Retreat, retreat_id)
        if retreat is None or not retreat.is_open_for_booking(now):
            db.session.rollback()
            return []
        free = retreat.capacity - seats_taken(retreat_id, now=now)
        waiting = db.session.execute(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.retreat_id == retreat_id,
                WaitlistEntry.status == WaitlistStatus.WAITING,
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        ).scalars()
        offered = []
        hours = current_app.config["WAITLIST_OFFER_HOURS"]
        for entry in waiting:
            if free <= 0:
                break
            if entry.seats > free:
                continue  # a couple waits for two seats; a single seat goes to the next person
            entry.status = WaitlistStatus.OFFERED
            entry.offered_at = now
            entry.offer_expires_at = min(now + timedelta(hours=hours), retreat.starts_at)
            queue_email(
                kind="waitlist_offer",
                key=f"waitlist_offer:{entry.id}",
                waitlist_entry_id=entry.id,
                to_address=entry.email,
            )
            free -= entry.seats
            offered.append(entry.id)
        db.session.commit()
    if offered:
        log.info("Offered freed seats of retreat %s to entries %s", retreat_id, offered)
    return offered


def offer_freed_seats_if_possible(*, retreat_id: int, now: datetime | None = None) -> None:
    """After seats were released: offer them now if the seat lock is free, else the worker's
    next sweep does. Releasing must never fail because offering could not happen at once."""
    try:
        offer_freed_seats(retreat_id=retreat_id, now=now)
    except TryAgain:
        log.info(
            "Seat lock busy; retreat %s's freed seats are offered by the next sweep", retreat_id
        )


def lapse_expired_offers(*, now: datetime | None = None) -> list[int]:
    """Mark offers whose time ran out as lapsed; returns each lapsed offer's retreat id."""
    now = now or utcnow()
    entries = db.session.execute(
        select(WaitlistEntry).where(
            WaitlistEntry.status == WaitlistStatus.OFFERED,
            WaitlistEntry.offer_expires_at <= now,
        )
    ).scalars()
    retreat_ids = []
    for entry in entries:
        entry.status = WaitlistStatus.LAPSED
        retreat_ids.append(entry.retreat_id)
    try:
        db.session.commit()
    except StaleDataError:  # an offer was used meanwhile; the next sweep looks again
        db.session.rollback()
        return []
    return retreat_ids


def retreats_with_waiting_entries() -> list[int]:
    return list(
        db.session.execute(
            select(WaitlistEntry.retreat_id)
            .where(WaitlistEntry.status == WaitlistStatus.WAITING)
            .distinct()
        ).scalars()
    )


def live_offer(entry_id: int, *, now: datetime | None = None) -> WaitlistEntry | None:
    """The entry if its offer is still open, else None."""
    now = now or utcnow()
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.status != WaitlistStatus.OFFERED or entry.offer_expires_at <= now:
        return None
    return entry
