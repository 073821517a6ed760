"""What is on offer: retreats and workshops, and the ticket types they sell."""

from __future__ import annotations

import enum
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    event,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retreats.accents import ACCENTED, PLAIN, SPELLED_OUT
from retreats.database import UTCDateTime, string_enum, utcnow
from retreats.extensions import db


class RetreatKind(enum.StrEnum):
    RETREAT = "retreat"
    WORKSHOP = "workshop"


class Focus(enum.StrEnum):
    EMOTIONAL = "emotional"
    PHYSICAL = "physical"
    INTELLECTUAL = "intellectual"
    SPIRITUAL = "spiritual"


class Audience(enum.StrEnum):
    COUPLES = "couples"
    INDIVIDUALS = "individuals"
    EVERYONE = "everyone"


class RetreatStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class DepositRule(enum.StrEnum):
    """How much of a booking is paid when it is made (booking/payment_plan.py)."""

    NONE = "none"  # everything at once
    PERCENT = "percent"  # `deposit_value` % of the booking's total
    PER_PERSON = "per_person"  # `deposit_value` minor units per person


class Retreat(db.Model):
    __tablename__ = "retreats"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("refund_partial_percent BETWEEN 0 AND 100", name="refund_percent_in_range"),
        CheckConstraint(
            "refund_full_days_before IS NULL OR refund_full_days_before >= 0",
            name="refund_full_days_not_negative",
        ),
        CheckConstraint(
            "refund_partial_days_before IS NULL OR refund_partial_days_before >= 0",
            name="refund_partial_days_not_negative",
        ),
        CheckConstraint("guide_days_before BETWEEN 0 AND 60", name="guide_days_in_range"),
        CheckConstraint("deposit_value >= 0", name="deposit_value_not_negative"),
        CheckConstraint(
            "deposit_rule <> 'percent' OR deposit_value BETWEEN 1 AND 99",
            name="deposit_percent_in_range",
        ),
        CheckConstraint("balance_due_days BETWEEN 1 AND 365", name="balance_due_days_in_range"),
        CheckConstraint("balance_grace_days BETWEEN 0 AND 60", name="balance_grace_days_in_range"),
        Index("ix_retreats_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RetreatKind] = mapped_column(string_enum(RetreatKind, "retreat_kind"))
    focus: Mapped[Focus] = mapped_column(string_enum(Focus, "retreat_focus"))
    audience: Mapped[Audience] = mapped_column(string_enum(Audience, "retreat_audience"))
    summary: Mapped[str] = mapped_column(String(500))
    description_md: Mapped[str] = mapped_column(Text, default="")
    is_online: Mapped[bool] = mapped_column(default=False)
    venue: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(120))
    # Sent to confirmed attendees only, never shown on public pages.
    online_join_url: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    # The start date on the event's own calendar, for the month filter; kept in step below.
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RetreatStatus] = mapped_column(
        string_enum(RetreatStatus, "retreat_status"), default=RetreatStatus.DRAFT
    )
    # The refund rules a cancellation follows (see booking/policy.py), and the organizer's own
    # words shown beside them ("you may transfer your place to a friend").
    refund_full_days_before: Mapped[int | None] = mapped_column(Integer, default=30)
    refund_partial_days_before: Mapped[int | None] = mapped_column(Integer, default=14)
    refund_partial_percent: Mapped[int] = mapped_column(Integer, default=50)
    cancellation_policy: Mapped[str] = mapped_column(Text, default="")
    preparation_guide_md: Mapped[str] = mapped_column(Text, default="")
    # The preparation guide is emailed this many days before the start (see notifications/).
    guide_days_before: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # A deposit secures a place, the balance is due `balance_due_days` before the start; a
    # booking made later than that pays everything at once (booking/payment_plan.py).
    deposit_rule: Mapped[DepositRule] = mapped_column(
        string_enum(DepositRule, "deposit_rule"), default=DepositRule.NONE, server_default="none"
    )
    deposit_value: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    balance_due_days: Mapped[int] = mapped_column(Integer, default=45, server_default="45")
    # A balance still unpaid this many days after it was due cancels the booking
    # (booking/balance_collection.py), keeping the deposit or giving it back as set here.
    balance_grace_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    overdue_keeps_deposit: Mapped[bool] = mapped_column(default=True, server_default="1")
    # Where the retreat sells rooms: may a guest book without one (commuting, or staying
    # elsewhere)? Ignored where it sells none (a workshop, an online retreat).
    allows_no_accommodation: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Discreet emails: subjects, sender name and calendar title say nothing intimate.
    discreet_emails: Mapped[bool] = mapped_column(default=False, server_default="0")
    # When the retention purge emptied its attendees' private answers (retreats/privacy/).
    private_answers_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Stored names under UPLOAD_FOLDER (base/stored_files.py), never the uploader's own.
    cover_image: Mapped[str | None] = mapped_column(String(100))
    preparation_guide_pdf: Mapped[str | None] = mapped_column(String(100))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set on every retreat of an organizer a platform admin suspended (retreats/admin/), cleared
    # when they are reinstated: the public no longer sees or books it, its bookings stay.
    # A column here rather than a join, so the public pages ask nothing more of the database.
    organizer_suspended: Mapped[bool] = mapped_column(default=False, server_default="0")
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The organizer's venue record it takes place at (listings/hosts.py), if they chose one;
    # the free-text venue, city and country above stay what the cards show.
    venue_id: Mapped[int | None] = mapped_column(
        ForeignKey("venues.id", ondelete="SET NULL"), index=True
    )

    organizer: Mapped[Organizer] = relationship(back_populates="retreats")  # noqa: F821
    venue_details: Mapped[Venue | None] = relationship()  # noqa: F821
    facilitators: Mapped[list[Facilitator]] = relationship(  # noqa: F821
        secondary="retreat_facilitators", order_by="(Facilitator.name, Facilitator.id)"
    )
    ticket_types: Mapped[list[TicketType]] = relationship(
        back_populates="retreat", order_by="TicketType.position", cascade="all, delete-orphan"
    )
    room_types: Mapped[list[RoomType]] = relationship(
        back_populates="retreat",
        order_by="(RoomType.position, RoomType.id)",
        cascade="all, delete-orphan",
    )
    add_ons: Mapped[list[AddOn]] = relationship(
        back_populates="retreat",
        order_by="(AddOn.position, AddOn.id)",
        cascade="all, delete-orphan",
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    def is_open_for_booking(self, now: datetime) -> bool:
        """Shown to the public and not yet started: the one rule for taking bookings and
        waitlist places."""
        return self.is_shown_to_public and self.starts_at > now

    @property
    def is_shown_to_public(self) -> bool:
        """Published, and its organizer not suspended: `shown_to_public()` for one retreat."""
        return self.status == RetreatStatus.PUBLISHED and not self.organizer_suspended

    @property
    def place(self) -> str:
        if self.is_online:
            return "Online"
        return ", ".join(part for part in (self.venue, self.city, self.country) if part)

    def __repr__(self) -> str:
        return f"<Retreat {self.slug}>"


def shown_to_public():
    """The SQL conditions of a retreat the public may see: published, its organizer not
    suspended. Every public list of retreats (catalog/queries.py `upcoming`) is built on it."""
    return (Retreat.status == RetreatStatus.PUBLISHED, Retreat.organizer_suspended.is_(False))


@event.listens_for(Retreat, "before_insert")
@event.listens_for(Retreat, "before_update")
def _keep_local_start_date(mapper, connection, retreat: Retreat) -> None:
    retreat.starts_on = retreat.local_starts_at.date()


# The catalog's search on PostgreSQL (catalog/search.py): its words and its place as one
# tsvector, GIN-indexed. The query builds the same expression from the same function, so the
# planner can use the index; migration 0020 writes it out. 'simple': no stemming nor stop words,
# so names of people and places match as typed, whatever language a listing is written in.
SEARCH_CONFIG = text("'simple'::regconfig")
SEARCHED_COLUMNS = ("title", "summary", "venue", "city", "country")


def search_document(table=Retreat.__table__):
    """to_tsvector over the searched columns, without accents. Constants are inline SQL text,
    so that no bound parameter makes the query's expression differ from the index's."""
    parts = [func.coalesce(table.c[name], text("''")) for name in SEARCHED_COLUMNS]
    words = parts[0]
    for part in parts[1:]:
        words = words.op("||")(text("' '")).op("||")(part)
    return func.to_tsvector(SEARCH_CONFIG, without_accents_in_sql(words))


def without_accents_in_sql(words):
    """PostgreSQL's translate() with the table of retreats/accents.py, then a replace() for each
    letter it writes out (no quote in either)."""
    plain = func.translate(words, text(f"'{ACCENTED}'"), text(f"'{PLAIN}'"))
    for letter, written_out in SPELLED_OUT.items():
        plain = func.replace(plain, text(f"'{letter}'"), text(f"'{written_out}'"))
    return plain


Index("ix_retreats_search", search_document(), postgresql_using="gin").ddl_if(dialect="postgresql")


class TicketType(db.Model):
    __tablename__ = "ticket_types"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("seats_per_ticket IN (1, 2)", name="one_or_two_seats"),
        CheckConstraint(
            "sale_starts_at IS NULL OR sale_ends_at IS NULL OR sale_ends_at > sale_starts_at",
            name="sale_window_ordered",
        ),
        # The public pages ask for the next sale start or end (retreats/caching/public_pages.py).
        Index("ix_ticket_types_sale_starts_at", "sale_starts_at"),
        Index("ix_ticket_types_sale_ends_at", "sale_ends_at"),
        CheckConstraint(
            "quantity_limit IS NULL OR quantity_limit > 0", name="quantity_limit_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    retreat_id: Mapped[int] = mapped_column(
        ForeignKey("retreats.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(300), default="")
    price_minor: Mapped[int] = mapped_column(Integer)
    # 1 for an individual ticket, 2 for a couple.
    seats_per_ticket: Mapped[int] = mapped_column(Integer, default=1)
    # An optional sale window, e.g. an early-bird price that ends on a date.
    sale_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sale_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # At most this many tickets of this type (e.g. 5 early-bird couple tickets); None: no limit.
    quantity_limit: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    retreat: Mapped[Retreat] = relationship(back_populates="ticket_types")

    @property
    def is_couple(self) -> bool:
        return self.seats_per_ticket == 2

    def on_sale_at(self, moment: datetime) -> bool:
        if self.sale_starts_at and moment < self.sale_starts_at:
            return False
        return not (self.sale_ends_at and moment >= self.sale_ends_at)

    def on_sale(self) -> bool:
        return self.on_sale_at(utcnow())

    def __repr__(self) -> str:
        return f"<TicketType {self.name} {self.price_minor}>"


class PricePer(enum.StrEnum):
    """What a price is multiplied by."""

    PERSON = "person"
    ROOM = "room"  # room types only
    BOOKING = "booking"  # add-ons only


class RoomType(db.Model):
    """A kind of room a residential retreat sells, with its own inventory.

    A private room (`shared` False) is taken whole by one booking: one person alone, or the two
    people of a couple ticket when it `suits_couple`. In a shared room (`shared` True) beds are
    sold one by one to individuals; a two-person booking still takes a whole room.
    """

    __tablename__ = "room_types"
    __table_args__ = (
        CheckConstraint("rooms >= 0", name="rooms_not_negative"),
        CheckConstraint("sleeps BETWEEN 1 AND 12", name="sleeps_in_range"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("price_per IN ('person', 'room')", name="priced_per_person_or_room"),
        CheckConstraint("NOT shared OR price_per = 'person'", name="shared_priced_per_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    retreat_id: Mapped[int] = mapped_column(
        ForeignKey("retreats.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(300), default="")
    rooms: Mapped[int] = mapped_column(Integer)
    sleeps: Mapped[int] = mapped_column(Integer, default=2)
    suits_couple: Mapped[bool] = mapped_column(default=True)
    shared: Mapped[bool] = mapped_column(default=False)
    price_minor: Mapped[int] = mapped_column(Integer)
    price_per: Mapped[PricePer] = mapped_column(
        string_enum(PricePer, "price_per"), default=PricePer.PERSON
    )
    # Hidden from new bookings, kept for the bookings that have it (instead of deleting it).
    hidden: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    retreat: Mapped[Retreat] = relationship(back_populates="room_types")

    def suits(self, people: int) -> bool:
        """Can a booking for this many people (1, or 2 on a couple ticket) take this room?"""
        if people >= 2:
            return self.suits_couple and self.sleeps >= people
        return True

    def takes_whole_room(self, people: int) -> bool:
        """A booking takes a whole room unless it is one person in a shared room."""
        return not (self.shared and people == 1)

    def __repr__(self) -> str:
        return f"<RoomType {self.name} x{self.rooms}>"


add_on_ticket_types = Table(
    "add_on_ticket_types",
    db.metadata,
    Column("add_on_id", ForeignKey("add_ons.id", ondelete="CASCADE"), primary_key=True),
    Column("ticket_type_id", ForeignKey("ticket_types.id", ondelete="CASCADE"), primary_key=True),
)

add_on_room_types = Table(
    "add_on_room_types",
    db.metadata,
    Column("add_on_id", ForeignKey("add_ons.id", ondelete="CASCADE"), primary_key=True),
    Column("room_type_id", ForeignKey("room_types.id", ondelete="CASCADE"), primary_key=True),
)


class AddOn(db.Model):
    """Something a guest may add to a booking: an airport transfer, a private session, a night.

    Priced per booking or per person (a couple then takes two). With `quantity_limit`, at most
    that many units are sold (6 massage slots, 12 transfer seats): a per-person add-on takes one
    unit per person. `ticket_types` / `room_types`, when not empty, are the only ones it comes with.
    """

    __tablename__ = "add_ons"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("price_per IN ('person', 'booking')", name="priced_per_person_or_booking"),
        CheckConstraint(
            "quantity_limit IS NULL OR quantity_limit >= 0", name="quantity_limit_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    retreat_id: Mapped[int] = mapped_column(
        ForeignKey("retreats.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(300), default="")
    price_minor: Mapped[int] = mapped_column(Integer)
    price_per: Mapped[PricePer] = mapped_column(
        string_enum(PricePer, "price_per"), default=PricePer.BOOKING
    )
    quantity_limit: Mapped[int | None] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    retreat: Mapped[Retreat] = relationship(back_populates="add_ons")
    ticket_types: Mapped[list[TicketType]] = relationship(secondary=add_on_ticket_types)
    room_types: Mapped[list[RoomType]] = relationship(secondary=add_on_room_types)

    def units_for(self, people: int) -> int:
        """How many units one booking of this many people takes (and pays for)."""
        return people if self.price_per == PricePer.PERSON else 1

    def allowed_with(self, ticket: TicketType, room_type: RoomType | None) -> bool:
        if self.ticket_types and ticket.id not in {t.id for t in self.ticket_types}:
            return False
        if self.room_types:
            return room_type is not None and room_type.id in {r.id for r in self.room_types}
        return True

    def __repr__(self) -> str:
        return f"<AddOn {self.name} {self.price_minor}>"
