"""The waitlist: people waiting for a sold-out retreat, and offers that hold freed seats for them.

An offer counts as taken seats (booking/capacity.py), and as a taken room or bed of the room type
the entry waits for (booking/inventory.py), until it is used or lapses, so it is made under the
same seat lock as a hold. Releasing seats takes no lock; offering them does.
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
from retreats.booking.inventory import RoomsTaken, room_left, rooms_taken
from retreats.booking.models import WaitlistEntry, WaitlistStatus
from retreats.database import lock_row, utcnow
from retreats.errors import DomainError, TryAgain
from retreats.extensions import db
from retreats.listings.models import Retreat

log = logging.getLogger(__name__)


def join_waitlist(
    *,
    retreat_id: int,
    name: str,
    email: str,
    seats: int,
    room_type_id: int | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put someone on a sold-out retreat's waitlist, for one of its room types where it sells
    rooms (None: no accommodation, where allowed); joining twice keeps the first place."""
    now = now or utcnow()
    retreat = db.session.get(Retreat, retreat_id)
    if retreat is None or not retreat.is_open_for_booking(now):
        raise DomainError("This retreat is not taking bookings or waitlist places.")
    if seats not in (1, 2):
        raise DomainError("A waitlist place is for one or two people.", field="seats")
    _check_room_wanted(retreat, room_type_id, seats)
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
        retreat_id=retreat_id,
        name=name,
        email=email,
        seats=seats,
        room_type_id=room_type_id,
        created_at=now,
    )
    db.session.add(entry)
    db.session.commit()
    log.info("Waitlist entry %s for retreat %s (%s seats)", entry.id, retreat_id, seats)
    return entry


def _check_room_wanted(retreat: Retreat, room_type_id: int | None, seats: int) -> None:
    """The room type is one on offer that suits this many people; None only where a retreat
    sells no rooms or allows coming without one."""
    offered = {room.id: room for room in retreat.room_types if not room.hidden}
    if room_type_id is None:
        if offered and not retreat.allows_no_accommodation:
            raise DomainError("Please choose the room you would like.", field="room_type")
        return
    room_type = offered.get(room_type_id)
    if room_type is None:
        raise DomainError("Please choose one of the rooms offered.", field="room_type")
    if not room_type.suits(seats):
        raise DomainError(
            f"The “{room_type.name}” is not for two people: please choose another room.",
            field="room_type",
        )


def offer_freed_seats(*, retreat_id: int, now: datetime | None = None) -> list[int]:
    """Offer free seats (and a free room of the type wanted) to the earliest waiting entries
    that fit; returns the entries offered."""
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
        rooms = _FreeRooms(retreat_id, now)
        for entry in waiting:
            if free <= 0:
                break
            if entry.seats > free:
                continue  # a couple waits for two seats; a single seat goes to the next person
            if not rooms.take_for(entry):
                continue  # the room they wait for is not free: the seats go to the next person
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


class _FreeRooms:
    """The rooms and beds left while offers are made under the lock (counted once, if needed)."""

    def __init__(self, retreat_id: int, now: datetime) -> None:
        self.retreat_id, self.now = retreat_id, now
        self.taken: dict[int, RoomsTaken] | None = None

    def take_for(self, entry: WaitlistEntry) -> bool:
        """Count the room (or bed) the entry waits for as taken, if one is free for it; True
        also when it waits for no room."""
        room_type = entry.room_type
        if room_type is None:
            return True
        if room_type.hidden or not room_type.suits(entry.seats):
            return False  # not bookable now: it waits until the organizer offers it again
        if self.taken is None:
            self.taken = rooms_taken(self.retreat_id, now=self.now)
        taken = self.taken.get(room_type.id, RoomsTaken())
        if not room_left(room_type, taken).fits(entry.seats):
            return False
        self.taken[room_type.id] = taken.plus(whole_room=room_type.takes_whole_room(entry.seats))
        return True


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
