"""A discount code of one organizer: percent or a fixed amount off a booking, for all their
retreats or some, some ticket or room types only, within dates, up to a number of uses.

Its uses are the bookings that carry it and still hold their seats (booking/discount_uses.py):
a booking cancelled or expired gives its use back without anything written here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retreats.database import UTCDateTime, utcnow
from retreats.extensions import db
from retreats.listings.models import Retreat, RoomType, TicketType

discount_code_retreats = Table(
    "discount_code_retreats",
    db.metadata,
    Column(
        "discount_code_id", ForeignKey("discount_codes.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("retreat_id", ForeignKey("retreats.id", ondelete="CASCADE"), primary_key=True),
)

discount_code_ticket_types = Table(
    "discount_code_ticket_types",
    db.metadata,
    Column(
        "discount_code_id", ForeignKey("discount_codes.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("ticket_type_id", ForeignKey("ticket_types.id", ondelete="CASCADE"), primary_key=True),
)

discount_code_room_types = Table(
    "discount_code_room_types",
    db.metadata,
    Column(
        "discount_code_id", ForeignKey("discount_codes.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("room_type_id", ForeignKey("room_types.id", ondelete="CASCADE"), primary_key=True),
)


class DiscountCode(db.Model):
    """`code` is kept as the organizer typed it, upper-cased; a visitor's entry is matched the
    same way. Exactly one of `percent_off` and `amount_off_minor` (in `currency`) is set.
    `retreats`, `ticket_types`, `room_types`: empty means every one of the organizer's."""

    __tablename__ = "discount_codes"
    __table_args__ = (
        UniqueConstraint("organizer_id", "code", name="uq_discount_codes_organizer_code"),
        CheckConstraint(
            "(percent_off IS NULL) <> (amount_off_minor IS NULL)", name="percent_or_amount"
        ),
        CheckConstraint(
            "percent_off IS NULL OR (percent_off >= 1 AND percent_off <= 100)",
            name="percent_between_1_and_100",
        ),
        CheckConstraint(
            "amount_off_minor IS NULL OR (amount_off_minor > 0 AND currency IS NOT NULL)",
            name="amount_positive_with_currency",
        ),
        CheckConstraint("max_uses IS NULL OR max_uses >= 0", name="max_uses_not_negative"),
        CheckConstraint(
            "max_uses_per_email IS NULL OR max_uses_per_email >= 1",
            name="max_uses_per_email_positive",
        ),
        CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from",
            name="valid_until_after_valid_from",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    percent_off: Mapped[int | None] = mapped_column(Integer)
    amount_off_minor: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_uses: Mapped[int | None] = mapped_column(Integer)
    max_uses_per_email: Mapped[int | None] = mapped_column(Integer)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    retreats: Mapped[list[Retreat]] = relationship(secondary=discount_code_retreats)
    ticket_types: Mapped[list[TicketType]] = relationship(secondary=discount_code_ticket_types)
    room_types: Mapped[list[RoomType]] = relationship(secondary=discount_code_room_types)

    def __repr__(self) -> str:
        return f"<DiscountCode {self.code}>"
