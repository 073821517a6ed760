"""The organizer's profile, facilitators and venues, and which of them a retreat names.

Every function owns its transaction and writes its audit entry in it; new pictures are written
just before the commit and removed again if it fails, so nothing is left half-written. Old
pictures stay on disk: a file's name is its content's hash, and another row may show it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.base.stored_files import PreparedUpload, StoredUpload, store
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.listings.hosts import Facilitator, Venue, VenuePhoto
from retreats.listings.models import Retreat
from retreats.organizer.accounts.models import Organizer

NOT_STORED = "We could not store that picture just now. Please try again."


class NotYours(DomainError):
    """Another organizer's facilitator or venue: the views already answer 404 before this."""

    status_code = 404


@dataclass(frozen=True)
class NewPhoto:
    """A photo field's outcome: a new picture, or remove the current one, or neither."""

    upload: PreparedUpload | None = None
    remove: bool = False

    def applied_to(self, current: str | None) -> str | None:
        if self.upload:
            return self.upload.name
        return None if self.remove else current


@dataclass(frozen=True)
class VenueDetails:
    name: str
    address: str
    description_md: str


def _commit_with_files(uploads: list[PreparedUpload]) -> None:
    """Write the new pictures, then commit; if either fails, the new files go again."""
    stored: list[StoredUpload] = []
    try:
        for upload in uploads:
            stored.append(store(upload))
        db.session.commit()
    except BaseException as error:
        for file in stored:
            file.discard()
        if isinstance(error, OSError):
            raise DomainError(NOT_STORED) from error
        raise


def facilitators_of(organizer_id: int) -> list[Facilitator]:
    """The organizer's facilitators by name."""
    return list(
        db.session.execute(
            select(Facilitator)
            .where(Facilitator.organizer_id == organizer_id)
            .order_by(Facilitator.name, Facilitator.id)
        ).scalars()
    )


def venues_of(organizer_id: int) -> list[Venue]:
    """The organizer's venues by name."""
    return list(
        db.session.execute(
            select(Venue).where(Venue.organizer_id == organizer_id).order_by(Venue.name, Venue.id)
        ).scalars()
    )


# ------------------------------------------------------------------------------ profile


def update_profile(*, organizer_id: int, about_md: str, photo: NewPhoto) -> None:
    """Save the organizer's about text and photo, shown on their public page."""
    with rolled_back_on_error():
        person = db.session.get(Organizer, organizer_id)
        person.about_md = about_md
        person.photo = photo.applied_to(person.photo)
        record_audit("profile.updated", actor_id=organizer_id)
        _commit_with_files([photo.upload] if photo.upload else [])


# ------------------------------------------------------------------------- facilitators


def save_facilitator(
    *,
    organizer_id: int,
    name: str,
    bio: str,
    photo: NewPhoto,
    facilitator: Facilitator | None = None,
) -> Facilitator:
    """Add a facilitator to the organizer's, or change one of theirs."""
    with rolled_back_on_error():
        if facilitator is None:
            facilitator = Facilitator(organizer_id=organizer_id)
            db.session.add(facilitator)
        elif facilitator.organizer_id != organizer_id:
            raise NotYours("That facilitator is not one of yours.")
        facilitator.name = name
        facilitator.bio = bio
        facilitator.photo = photo.applied_to(facilitator.photo)
        db.session.flush()
        record_audit("facilitator.saved", actor_id=organizer_id, detail=f"{facilitator.id}")
        _commit_with_files([photo.upload] if photo.upload else [])
    return facilitator


def delete_facilitator(*, organizer_id: int, facilitator: Facilitator) -> None:
    """Remove a facilitator; the retreats that named them simply no longer do."""
    with rolled_back_on_error():
        if facilitator.organizer_id != organizer_id:
            raise NotYours("That facilitator is not one of yours.")
        record_audit("facilitator.deleted", actor_id=organizer_id, detail=f"{facilitator.id}")
        db.session.delete(facilitator)
        db.session.commit()


# ------------------------------------------------------------------------------- venues


def save_venue(
    *,
    organizer_id: int,
    details: VenueDetails,
    new_photos: list[PreparedUpload],
    removed_photo_ids: list[int],
    venue: Venue | None = None,
) -> Venue:
    """Add a venue to the organizer's, or change one of theirs: its text, photos added and
    removed."""
    with rolled_back_on_error():
        if venue is None:
            venue = Venue(organizer_id=organizer_id)
            db.session.add(venue)
        elif venue.organizer_id != organizer_id:
            raise NotYours("That venue is not one of yours.")
        venue.name = details.name
        venue.address = details.address
        venue.description_md = details.description_md
        removed = set(removed_photo_ids)
        kept = [photo for photo in venue.photos if photo.id not in removed]
        added = [VenuePhoto(image=upload.name) for upload in new_photos]
        venue.photos = kept + added
        for position, photo in enumerate(venue.photos):
            photo.position = position
        db.session.flush()
        record_audit("venue.saved", actor_id=organizer_id, detail=f"{venue.id}")
        _commit_with_files(new_photos)
    return venue


def delete_venue(*, organizer_id: int, venue: Venue) -> None:
    """Remove a venue; its retreats keep their free-text place."""
    with rolled_back_on_error():
        if venue.organizer_id != organizer_id:
            raise NotYours("That venue is not one of yours.")
        record_audit("venue.deleted", actor_id=organizer_id, detail=f"{venue.id}")
        db.session.delete(venue)
        db.session.commit()


# ------------------------------------------------------------------------ retreat hosts


def set_retreat_hosts(
    *, retreat: Retreat, actor_id: int, facilitator_ids: list[int], venue_id: int | None
) -> None:
    """Name the retreat's facilitators and venue, chosen among its owner's own."""
    with rolled_back_on_error():
        owner_id = retreat.organizer_id
        wanted = set(facilitator_ids)
        chosen = [person for person in facilitators_of(owner_id) if person.id in wanted]
        if len(chosen) != len(wanted):
            raise DomainError("Please choose among your facilitators.", field="facilitators")
        venue = db.session.get(Venue, venue_id) if venue_id else None
        if venue_id and (venue is None or venue.organizer_id != owner_id):
            raise DomainError("Please choose one of your venues.", field="venue")
        retreat.facilitators = chosen
        retreat.venue_id = venue.id if venue else None
        record_audit("retreat.hosts_changed", actor_id=actor_id, retreat_id=retreat.id)
        db.session.commit()
