"""Discount-code services: the organizer's list of codes with their uses and revenue, a new
code, and disabling one.

A code is the signed-in organizer's own (DiscountCode.organizer_id): it applies to the retreats
of that account, as booking/discount_uses.py finds it. Each writing function owns its
transaction and raises DiscountError, whose `field` names the form field it belongs beside.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from retreats.base.audit import record_audit
from retreats.base.locking import rolled_back_on_error
from retreats.booking.capacity import holds_its_seats
from retreats.booking.models import Booking, BookingStatus
from retreats.discounts.models import DiscountCode
from retreats.discounts.rules import (
    CODE_PATTERN,
    CodeState,
    code_of_organizer,
    code_state,
    discount_line_name,
    normalized_code,
)
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.listings.models import Retreat, RetreatStatus, RoomType, TicketType

TAKEN_CODE = "You already have a code with these letters. Please choose another."


class DiscountError(DomainError):
    """A discount-code rule said no; `field` is the form field it is about (None: the form)."""


@dataclass(frozen=True)
class CodeDetails:
    """A new code as typed: dates are whole days in UTC, `valid_until` the last one included."""

    code: str
    percent_off: int | None
    amount_off_minor: int | None
    currency: str | None
    retreat_ids: tuple[int, ...] = ()
    ticket_type_ids: tuple[int, ...] = ()
    room_type_ids: tuple[int, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    max_uses: int | None = None
    max_uses_per_email: int | None = None


@dataclass(frozen=True)
class CodeRow:
    """One line of the organizer's list: the code, its uses, and its confirmed revenue."""

    code: DiscountCode
    uses: int
    revenue_minor: dict[str, int] = field(default_factory=dict)  # per currency
    status: CodeState = CodeState.ACTIVE

    @property
    def is_active(self) -> bool:
        return self.status == CodeState.ACTIVE


# Reading ---------------------------------------------------------------------------------------


def organizer_retreats(organizer_id: int) -> list[Retreat]:
    """The retreats of this account a code may be for (all but cancelled ones), soonest first,
    with their ticket and room types."""
    return list(
        db.session.scalars(
            select(Retreat)
            .where(Retreat.organizer_id == organizer_id, Retreat.status != RetreatStatus.CANCELLED)
            .options(selectinload(Retreat.ticket_types), selectinload(Retreat.room_types))
            .order_by(Retreat.starts_at, Retreat.id)
        )
    )


def code_rows(organizer_id: int, *, now: datetime) -> list[CodeRow]:
    """The organizer's codes, newest first, each with its uses (bookings holding their seats
    with it) and the revenue of its confirmed bookings. The same few statements however many
    codes there are: the codes with their link lists, then one grouped count, one grouped sum."""
    codes = list(
        db.session.scalars(
            select(DiscountCode)
            .where(DiscountCode.organizer_id == organizer_id)
            .options(
                selectinload(DiscountCode.retreats),
                selectinload(DiscountCode.ticket_types),
                selectinload(DiscountCode.room_types),
            )
            .order_by(DiscountCode.created_at.desc(), DiscountCode.id.desc())
        )
    )
    if not codes:
        return []
    of_organizer = (
        Booking.discount_code_id == DiscountCode.id,
        DiscountCode.organizer_id == organizer_id,
    )
    uses = dict(
        db.session.execute(
            select(Booking.discount_code_id, func.count())
            .where(*of_organizer, holds_its_seats(now))
            .group_by(Booking.discount_code_id)
        ).all()
    )
    revenue: dict[int, dict[str, int]] = defaultdict(dict)
    for code_id, currency, total in db.session.execute(
        select(Booking.discount_code_id, Booking.currency, func.sum(Booking.amount_minor))
        .where(*of_organizer, Booking.status == BookingStatus.CONFIRMED)
        .group_by(Booking.discount_code_id, Booking.currency)
    ):
        revenue[code_id][currency] = int(total)
    return [
        CodeRow(
            code=code,
            uses=uses.get(code.id, 0),
            revenue_minor=dict(sorted(revenue.get(code.id, {}).items())),
            status=code_state(code, now),
        )
        for code in codes
    ]


# Writing ---------------------------------------------------------------------------------------


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _check_amounts(details: CodeDetails) -> None:
    if not CODE_PATTERN.fullmatch(details.code):
        raise DiscountError(
            "Use 6 to 40 letters, digits and hyphens, starting with a letter or digit.",
            field="code",
        )
    if details.percent_off is not None and details.amount_off_minor is not None:
        raise DiscountError("Choose a percentage or an amount, not both.", field="kind")
    if details.percent_off is not None and not 1 <= details.percent_off <= 100:
        raise DiscountError("Enter a whole percentage from 1 to 100.", field="percent")
    if details.amount_off_minor is not None and details.amount_off_minor <= 0:
        raise DiscountError("Enter an amount more than nothing.", field="amount")
    if details.percent_off is None and details.amount_off_minor is None:
        raise DiscountError("Enter what the code takes off.", field="percent")
    if details.valid_from and details.valid_until and details.valid_until < details.valid_from:
        raise DiscountError("The last day cannot be before the first.", field="valid_until")
    if details.max_uses is not None and details.max_uses < 0:
        raise DiscountError("Enter 0 or more, or leave it empty.", field="max_uses")
    if details.max_uses_per_email is not None and details.max_uses_per_email < 1:
        raise DiscountError("Enter 1 or more, or leave it empty.", field="max_uses_per_email")


def _chosen_retreats(organizer_id: int, details: CodeDetails) -> list[Retreat]:
    """The ticked retreats, each the organizer's own; every one of them when none is ticked."""
    retreats = {retreat.id: retreat for retreat in organizer_retreats(organizer_id)}
    if not set(details.retreat_ids) <= retreats.keys():
        raise DiscountError("Please choose among your own retreats.", field="retreats")
    if not details.retreat_ids:
        return [*retreats.values()]
    return [retreats[i] for i in dict.fromkeys(details.retreat_ids)]


def _chosen_types(organizer_id: int, kind, ids: tuple[int, ...], retreats: list[Retreat]) -> list:
    """The ticket (or room) types ticked, each of one of the chosen retreats."""
    what, field_name = ("ticket", "ticket_types") if kind is TicketType else ("room", "room_types")
    of_retreats = {
        item.id: item
        for retreat in retreats
        for item in (retreat.ticket_types if kind is TicketType else retreat.room_types)
    }
    strays = [i for i in ids if i not in of_retreats]
    if strays:
        stray = db.session.get(kind, strays[0])
        retreat = stray.retreat if stray is not None else None
        if (
            retreat is not None
            and retreat.organizer_id == organizer_id
            and retreat.status != RetreatStatus.CANCELLED
        ):
            raise DiscountError(
                f"“{stray.name}” is a {what} type of {stray.retreat.title}, which is not ticked. "
                "Tick that retreat too, or untick the type.",
                field=field_name,
            )
        raise DiscountError(f"Please choose among your own {what} types.", field=field_name)
    return [of_retreats[i] for i in dict.fromkeys(ids)]


def _check_currency(details: CodeDetails, retreats: list[Retreat]) -> None:
    if details.amount_off_minor is None:
        return
    currencies = {retreat.currency for retreat in retreats}
    if details.currency not in currencies:
        used = ", ".join(sorted(currencies)) or "none yet"
        raise DiscountError(
            f"None of the chosen retreats is priced in {details.currency} (they use: {used}).",
            field="currency",
        )


def _where_it_applies(code: DiscountCode) -> str:
    if not code.retreats:
        return "all retreats"
    return ", ".join(retreat.title for retreat in code.retreats)


def create_discount_code(*, organizer_id: int, actor_id: int, details: CodeDetails) -> DiscountCode:
    """Add a code to the organizer's account, its types checked against the ticked retreats."""
    with rolled_back_on_error():
        _check_amounts(details)
        if code_of_organizer(organizer_id, details.code) is not None:
            raise DiscountError(TAKEN_CODE, field="code")
        retreats = _chosen_retreats(organizer_id, details)
        _check_currency(details, retreats)
        code = DiscountCode(
            organizer_id=organizer_id,
            code=normalized_code(details.code),
            percent_off=details.percent_off,
            amount_off_minor=details.amount_off_minor,
            currency=details.currency if details.amount_off_minor is not None else None,
            valid_from=start_of_day(details.valid_from) if details.valid_from else None,
            valid_until=(
                start_of_day(details.valid_until + timedelta(days=1))
                if details.valid_until
                else None
            ),
            max_uses=details.max_uses,
            max_uses_per_email=details.max_uses_per_email,
            retreats=retreats if details.retreat_ids else [],
            ticket_types=_chosen_types(organizer_id, TicketType, details.ticket_type_ids, retreats),
            room_types=_chosen_types(organizer_id, RoomType, details.room_type_ids, retreats),
        )
        db.session.add(code)
        try:
            db.session.flush()
        except IntegrityError as error:  # the same code saved by another request just now
            raise DiscountError(TAKEN_CODE, field="code") from error
        record_audit(
            "discount_code.created",
            actor_id=actor_id,
            detail=f"{discount_line_name(code)}, for {_where_it_applies(code)}",
        )
        db.session.commit()
    return code


def disable_discount_code(*, organizer_id: int, code_id: int, actor_id: int, now: datetime) -> bool:
    """Stop a code from being used from now on; bookings that used it keep their discount.
    False when it was already disabled."""
    with rolled_back_on_error():
        code = db.session.get(DiscountCode, code_id)
        if code is None or code.organizer_id != organizer_id:
            raise DiscountError("That code does not exist any more.")
        if code.disabled_at is not None:
            db.session.rollback()
            return False
        code.disabled_at = now
        record_audit("discount_code.disabled", actor_id=actor_id, detail=code.code)
        db.session.commit()
    return True
