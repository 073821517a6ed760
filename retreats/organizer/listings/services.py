"""Listing services: create, change, publish and duplicate a retreat. Its ticket types are in
ticket_types.py.

Each function owns its transaction: it commits with its audit entries, or rolls back entirely
and raises ListingError, whose `field` names the form field the message belongs beside.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import exists, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.base.stored_files import PreparedUpload, StoredUpload, store
from retreats.booking.capacity import seats_taken
from retreats.booking.email_schedule import reschedule_retreat_emails
from retreats.booking.models import Booking
from retreats.database import lock_row, utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.listings.models import (
    AddOn,
    Audience,
    DepositRule,
    Focus,
    Retreat,
    RetreatKind,
    RetreatStatus,
    RoomType,
    TicketType,
)
from retreats.organizer.accounts.models import Organizer, OrganizerStatus
from retreats.organizer.accounts.sign_up import publishing_refusal
from retreats.organizer.listings.balance_rules import follow_new_grace_period
from retreats.organizer.listings.question_copies import add_starting_questions, copy_questions


class ListingError(DomainError):
    """A listing rule said no; `field` is the form field it is about (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ListingDetails:
    """What the organizer typed for a retreat; times are naive, on the retreat's own clock."""

    title: str
    slug: str | None
    kind: RetreatKind
    focus: Focus
    audience: Audience
    summary: str
    description_md: str
    is_online: bool
    venue: str | None
    city: str | None
    country: str | None
    online_join_url: str | None
    timezone: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    currency: str
    refund_full_days_before: int | None
    refund_partial_days_before: int | None
    refund_partial_percent: int
    cancellation_policy: str
    preparation_guide_md: str
    # Days before the start that the guide is emailed; None keeps what the retreat has.
    guide_days_before: int | None = None
    discreet_emails: bool = False
    # Where the retreat sells rooms: "no accommodation" is a choice too (commuters).
    allows_no_accommodation: bool = False
    # A deposit now and the balance before the start (booking/payment_plan.py).
    deposit_rule: DepositRule = DepositRule.NONE
    deposit_value: int = 0  # a percentage, or minor units per person
    balance_due_days: int | None = None  # None keeps what the retreat has (45 for a new one)
    # Days after the due date that an unpaid balance cancels the booking; None: the default.
    balance_grace_days: int | None = None
    overdue_keeps_deposit: bool = True  # that cancellation keeps the deposit (or gives it back)


@dataclass(frozen=True)
class Uploads:
    """New files for a retreat, already checked; `remove_*` clears a stored one."""

    cover: PreparedUpload | None = None
    guide_pdf: PreparedUpload | None = None
    remove_cover: bool = False
    remove_guide_pdf: bool = False


# ---------------------------------------------------------------------------- helpers

DEFAULT_GUIDE_DAYS = 7
DEFAULT_BALANCE_DUE_DAYS = 45
DEFAULT_BALANCE_GRACE_DAYS = 7
# A change to any of these moves, adds or drops the bookings' scheduled guide and reminder.
SCHEDULE_FIELDS = {
    "starts_at",
    "guide_days_before",
    "preparation_guide_md",
    "preparation_guide_pdf",
}


def slug_from_title(title: str) -> str:
    """ "Café & Closeness: A Weekend" → "cafe-closeness-a-weekend"."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].rstrip("-") or "retreat"


def _slug_taken(slug: str, *, other_than: int | None = None) -> bool:
    query = select(Retreat.id).where(Retreat.slug == slug)
    if other_than is not None:
        query = query.where(Retreat.id != other_than)
    return db.session.execute(select(exists(query))).scalar_one()


def free_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3` … whichever no retreat uses yet."""
    candidate, number = base, 1
    while _slug_taken(candidate):
        number += 1
        candidate = f"{base[:90]}-{number}"
    return candidate


def utc_from_local(local: datetime, zone_name: str, *, field: str) -> datetime:
    """A naive time on the retreat's clock → UTC; a time the clocks skip is refused."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ListingError("Please choose a time zone from the list.", field="timezone") from error
    aware = local.replace(tzinfo=zone)
    in_utc = aware.astimezone(UTC)
    if in_utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ListingError(
            "That time does not exist there: the clocks go forward then. Please pick another.",
            field=field,
        )
    return in_utc


def has_bookings(*clauses) -> bool:
    return db.session.execute(select(exists().where(*clauses))).scalar_one()


def _commit_with_files(uploads: list[PreparedUpload]) -> None:
    """Write new files, then commit; if the commit fails the new files go again."""
    stored: list[StoredUpload] = []
    try:
        for upload in uploads:
            stored.append(store(upload))
        db.session.commit()
    except OSError as error:
        for file in stored:
            file.discard()
        raise ListingError("We could not store that file just now. Please try again.") from error
    except BaseException:
        for file in stored:
            file.discard()
        raise


@contextmanager
def _slug_clash_reported() -> Iterator[None]:
    """Another retreat took the same slug a moment ago: say so beside the field."""
    try:
        yield
    except IntegrityError as error:
        db.session.rollback()
        if "slug" not in str(error.orig).lower():
            raise
        raise ListingError("That web address is already taken.", field="slug") from error


# ---------------------------------------------------------------------------- retreats


def assign_changed(target, values: dict) -> list[str]:
    """Set each value that differs on `target`; returns the names of the ones that changed."""
    changed = []
    for name, value in values.items():
        if getattr(target, name, None) != value:
            setattr(target, name, value)
            changed.append(name)
    return changed


def _apply_details(retreat: Retreat, details: ListingDetails) -> list[str]:
    """Copy the details onto the retreat; returns the names of the fields that changed."""
    values = {f.name: getattr(details, f.name) for f in fields(details)}
    values.pop("slug")
    if values["guide_days_before"] is None:  # not on the form: keep it (a new one: the default)
        kept = retreat.guide_days_before
        values["guide_days_before"] = DEFAULT_GUIDE_DAYS if kept is None else kept
    if values["balance_due_days"] is None:
        kept = retreat.balance_due_days
        values["balance_due_days"] = DEFAULT_BALANCE_DUE_DAYS if kept is None else kept
    if values["balance_grace_days"] is None:
        values["balance_grace_days"] = DEFAULT_BALANCE_GRACE_DAYS
    values["starts_at"] = utc_from_local(details.starts_at, details.timezone, field="starts_at")
    values["ends_at"] = utc_from_local(details.ends_at, details.timezone, field="ends_at")
    if values["ends_at"] <= values["starts_at"]:
        raise ListingError("The end must be after the start.", field="ends_at")
    return assign_changed(retreat, values)


def _apply_uploads(retreat: Retreat, uploads: Uploads) -> tuple[list[str], list[PreparedUpload]]:
    changed, to_write = [], []
    for column, new, remove in (
        ("cover_image", uploads.cover, uploads.remove_cover),
        ("preparation_guide_pdf", uploads.guide_pdf, uploads.remove_guide_pdf),
    ):
        # Old files stay on disk: a duplicate of this retreat may show the same one.
        value = new.name if new else (None if remove else getattr(retreat, column))
        if value != getattr(retreat, column):
            setattr(retreat, column, value)
            changed.append(column)
        if new:
            to_write.append(new)
    return changed, to_write


def create_retreat(
    *, organizer_id: int, details: ListingDetails, uploads: Uploads, now: datetime | None = None
) -> Retreat:
    """A new draft retreat owned by the organizer, asking the library's starting questions; the
    slug comes from the title if not given."""
    now = now or utcnow()
    with rolled_back_on_error(), _slug_clash_reported():
        if details.slug and _slug_taken(details.slug):
            raise ListingError("That web address is already taken.", field="slug")
        owner = db.session.get(Organizer, organizer_id)
        retreat = Retreat(
            organizer_id=organizer_id,
            # Hidden with the rest of a suspended owner's retreats (retreats/admin/).
            organizer_suspended=owner is not None and owner.status == OrganizerStatus.SUSPENDED,
            status=RetreatStatus.DRAFT,
            slug=details.slug or free_slug(slug_from_title(details.title)),
            created_at=now,
        )
        _apply_details(retreat, details)
        _changed, to_write = _apply_uploads(retreat, uploads)
        db.session.add(retreat)
        db.session.flush()
        add_starting_questions(retreat)
        record_audit("retreat.created", actor_id=organizer_id, retreat_id=retreat.id)
        _commit_with_files(to_write)
    return retreat


def update_retreat(
    *,
    retreat_id: int,
    actor_id: int,
    details: ListingDetails,
    uploads: Uploads,
    now: datetime | None = None,
) -> list[str]:
    """Save changes to a retreat; returns the changed field names (also in the audit entry).

    Runs under the retreat's seat lock, so the capacity cannot drop below seats taken meanwhile.
    New dates, guide days or guide move the bookings' scheduled guide and reminder with it; a
    new grace period for unpaid balances, the reminders of the balances still owed.
    """
    now = now or utcnow()
    with rolled_back_on_error(), _slug_clash_reported():
        retreat = lock_row(Retreat, retreat_id)
        if retreat is None:
            raise ListingError("That retreat does not exist any more.")
        if retreat.status == RetreatStatus.CANCELLED:
            raise ListingError("This retreat is cancelled, so its listing can no longer change.")
        _refuse_unsafe_changes(retreat, details, now)
        changed = _change_slug(retreat, details.slug)
        changed += _apply_details(retreat, details)
        file_changes, to_write = _apply_uploads(retreat, uploads)
        changed += file_changes
        if SCHEDULE_FIELDS.intersection(changed):
            reschedule_retreat_emails(retreat, now=now)
        if "balance_grace_days" in changed:
            follow_new_grace_period(retreat, now=now)
        if changed:
            detail = ", ".join(changed)
            record_audit("retreat.updated", actor_id=actor_id, retreat_id=retreat.id, detail=detail)
        _commit_with_files(to_write)
    return changed


def _refuse_unsafe_changes(retreat: Retreat, details: ListingDetails, now: datetime) -> None:
    """Bookings fix the currency, and the places already taken or held are a floor."""
    if details.currency != retreat.currency and has_bookings(Booking.retreat_id == retreat.id):
        raise ListingError("The currency cannot change once people have booked.", field="currency")
    taken = seats_taken(retreat.id, now=now)
    if details.capacity < taken:
        raise ListingError(
            f"{taken} places are already taken or held, so there must be at least {taken}.",
            field="capacity",
        )


def _change_slug(retreat: Retreat, slug: str | None) -> list[str]:
    """A new slug if one was given (an empty field keeps the current one)."""
    if not slug or slug == retreat.slug:
        return []
    if _slug_taken(slug, other_than=retreat.id):
        raise ListingError("That web address is already taken.", field="slug")
    retreat.slug = slug
    return ["slug"]


def publish_retreat(*, retreat_id: int, actor_id: int, now: datetime | None = None) -> None:
    """Show a draft in the catalog: it needs a ticket type, a start still ahead and an owner
    approved by a platform admin (a co-host publishes under the owner's approval)."""
    now = now or utcnow()
    with rolled_back_on_error():
        retreat = lock_row(Retreat, retreat_id)
        if retreat is None or retreat.status == RetreatStatus.CANCELLED:
            raise ListingError("A cancelled retreat cannot be published again.")
        if retreat.status == RetreatStatus.PUBLISHED:
            db.session.rollback()
            return
        if not retreat.ticket_types:
            raise ListingError("Add at least one ticket type before publishing.")
        if retreat.starts_at <= now:
            raise ListingError("This retreat has already started: move its dates to publish it.")
        refusal = publishing_refusal(retreat.organizer, actor_id=actor_id)
        if refusal:
            raise ListingError(refusal)
        retreat.status = RetreatStatus.PUBLISHED
        record_audit("retreat.published", actor_id=actor_id, retreat_id=retreat.id)
        db.session.commit()


def unpublish_retreat(*, retreat_id: int, actor_id: int) -> None:
    """Take a published retreat out of the catalog (a draft again); bookings stay as they are."""
    with rolled_back_on_error():
        retreat = lock_row(Retreat, retreat_id)
        if retreat is None or retreat.status != RetreatStatus.PUBLISHED:
            db.session.rollback()
            return
        retreat.status = RetreatStatus.DRAFT
        record_audit("retreat.unpublished", actor_id=actor_id, retreat_id=retreat.id)
        db.session.commit()


def _column_names(model) -> set[str]:
    return {attribute.key for attribute in sa_inspect(model).column_attrs}


NOT_COPIED = {"id", "slug", "title", "status", "cancelled_at", "created_at", "updated_at"}


def duplicate_retreat(*, retreat_id: int, actor_id: int, now: datetime | None = None) -> Retreat:
    """A draft copy of a retreat, its ticket types, room types, add-ons, questions, facilitators
    and venue, owned by the same organizer."""
    now = now or utcnow()
    with rolled_back_on_error(), _slug_clash_reported():
        original = db.session.get(Retreat, retreat_id)
        if original is None:
            raise ListingError("That retreat does not exist any more.")
        copy = Retreat(
            title=f"{original.title[:193]} (copy)",
            slug=free_slug(f"{original.slug[:85]}-copy"),
            status=RetreatStatus.DRAFT,
            created_at=now,
        )
        for column in _column_names(Retreat) - NOT_COPIED:
            setattr(copy, column, getattr(original, column))
        _copy_what_it_sells(original, copy)
        copy.facilitators = list(original.facilitators)  # the same people, not copies
        db.session.add(copy)
        db.session.flush()
        copy_questions(original, copy)
        record_audit(
            "retreat.duplicated",
            actor_id=actor_id,
            retreat_id=copy.id,
            detail=f"copied from {original.slug}",
        )
        _commit_with_files([])
    return copy


OWN_KEYS = {"id", "retreat_id"}


def _copied(item, model):
    return model(**{column: getattr(item, column) for column in _column_names(model) - OWN_KEYS})


def _copy_what_it_sells(original: Retreat, copy: Retreat) -> None:
    """Copies of the ticket types, room types and add-ons, the add-ons with the copies of the
    ticket and room types they come with."""
    tickets = {ticket.id: _copied(ticket, TicketType) for ticket in original.ticket_types}
    rooms = {room.id: _copied(room, RoomType) for room in original.room_types}
    copy.ticket_types = list(tickets.values())
    copy.room_types = list(rooms.values())
    copy.add_ons = []
    for add_on in original.add_ons:
        add_on_copy = _copied(add_on, AddOn)
        add_on_copy.ticket_types = [tickets[ticket.id] for ticket in add_on.ticket_types]
        add_on_copy.room_types = [rooms[room.id] for room in add_on.room_types]
        copy.add_ons.append(add_on_copy)
