"""Who leads a retreat and where it happens: an organizer's facilitators and venues, reusable
across their retreats and shown on each retreat's page.

A retreat names its facilitators (many to many) and at most one venue (`Retreat.venue_details`);
a retreat without a venue record keeps its free-text venue, city and country.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from retreats.database import UTCDateTime, utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat

retreat_facilitators = Table(
    "retreat_facilitators",
    db.metadata,
    Column("retreat_id", ForeignKey("retreats.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "facilitator_id",
        ForeignKey("facilitators.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Facilitator(db.Model):
    __tablename__ = "facilitators"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    bio: Mapped[str] = mapped_column(String(1000), default="")
    # A stored picture's name (base/stored_files.py), served like a cover image.
    photo: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Facilitator {self.id} {self.name}>"


class Venue(db.Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    photos: Mapped[list[VenuePhoto]] = relationship(
        order_by="(VenuePhoto.position, VenuePhoto.id)", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.name}>"


class VenuePhoto(db.Model):
    __tablename__ = "venue_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    image: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)


def load_hosts(retreat: Retreat) -> None:
    """Fill in a retreat's organizer, facilitators and venue (with its photos) in one statement,
    for its public page."""
    db.session.execute(
        select(Retreat)
        .where(Retreat.id == retreat.id)
        .options(
            joinedload(Retreat.organizer),
            joinedload(Retreat.facilitators),
            joinedload(Retreat.venue_details).joinedload(Venue.photos),
        )
    ).unique().all()
