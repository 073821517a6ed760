"""What a discount code may be used for, and what it takes off: plain rules on a code. Counting
its uses is the hold's work, under the code's lock (booking/discount_uses.py)."""

from __future__ import annotations

import enum
import re
from datetime import datetime

from sqlalchemy import select

from retreats.discounts.models import DiscountCode
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.formatting import format_money
from retreats.listings.models import Retreat, RoomType, TicketType

# What an organizer may choose: long enough not to be guessed within the booking form's rate
# limit, short enough to type from a flyer.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{5,39}")
CODE_MAX_LENGTH = 40
FIELD = "discount_code"  # the booking form's field, beside which every refusal is told
UNKNOWN_CODE = "This code is not valid. Please check it, or leave the field empty."


def normalized_code(text: str) -> str:
    """A code as stored and matched: without spaces around it, in capitals."""
    return text.strip().upper()


def code_of_organizer(organizer_id: int, text: str) -> DiscountCode | None:
    return db.session.scalar(
        select(DiscountCode).where(
            DiscountCode.organizer_id == organizer_id, DiscountCode.code == normalized_code(text)
        )
    )


def code_named(organizer_id: int, text: str) -> DiscountCode:
    """The organizer's code typed as `text`; DomainError beside the field when there is none."""
    code = code_of_organizer(organizer_id, text)
    if code is None:
        raise DomainError(UNKNOWN_CODE, field=FIELD)
    return code


class CodeState(enum.StrEnum):
    """Where a code stands in time, as the organizer's list shows it."""

    ACTIVE = "active"
    DISABLED = "disabled"
    EXPIRED = "expired"
    NOT_YET_VALID = "not yet valid"


def code_state(code: DiscountCode, now: datetime) -> CodeState:
    if code.disabled_at is not None:
        return CodeState.DISABLED
    if code.valid_until is not None and now >= code.valid_until:
        return CodeState.EXPIRED
    if code.valid_from is not None and now < code.valid_from:
        return CodeState.NOT_YET_VALID
    return CodeState.ACTIVE


_NOT_USABLE = {
    CodeState.DISABLED: "This code is no longer valid.",
    CodeState.EXPIRED: "This code has expired.",
    CodeState.NOT_YET_VALID: "This code is not valid yet.",
}


def check_code_applies(
    code: DiscountCode,
    *,
    retreat: Retreat,
    ticket: TicketType,
    room_type: RoomType | None,
    now: datetime,
) -> None:
    """DomainError beside the field when `code` cannot be used on this booking. Its uses are
    not counted here: the hold counts them, under the code's lock."""
    refusal = _refusal(code, retreat=retreat, ticket=ticket, room_type=room_type, now=now)
    if refusal is not None:
        raise DomainError(refusal, field=FIELD)


def _refusal(
    code: DiscountCode,
    *,
    retreat: Retreat,
    ticket: TicketType,
    room_type: RoomType | None,
    now: datetime,
) -> str | None:
    state = code_state(code, now)
    if state != CodeState.ACTIVE:
        return _NOT_USABLE[state]
    if code.retreats and retreat.id not in {r.id for r in code.retreats}:
        return f"This code is not for {retreat.title}."
    if code.ticket_types and ticket.id not in {t.id for t in code.ticket_types}:
        return f"This code is not for the “{ticket.name}” ticket."
    if code.room_types and (
        room_type is None or room_type.id not in {r.id for r in code.room_types}
    ):
        names = ", ".join(sorted(r.name for r in code.room_types if r.retreat_id == retreat.id))
        return (
            f"This code is only for a stay in: {names}."
            if names
            else "This code is not for this stay."
        )
    if code.amount_off_minor is not None and code.currency != retreat.currency:
        return f"This code is in {code.currency} and this retreat is priced in {retreat.currency}."
    return None


def amount_off(code: DiscountCode, total_minor: int) -> int:
    """What the code takes off a booking of `total_minor`: its percent of the whole (rounded
    half up to the minor unit), or its amount, never more than the total."""
    if code.percent_off is not None:
        return (total_minor * code.percent_off + 50) // 100
    return min(code.amount_off_minor, total_minor)


def takes_off(code: DiscountCode) -> str:
    """ "10% off" or "€50.00 off"."""
    if code.percent_off is not None:
        return f"{code.percent_off}% off"
    return f"{format_money(code.amount_off_minor, code.currency)} off"


def discount_line_name(code: DiscountCode) -> str:
    """The name of the discount's line: "Code SPRING-RETREAT (10% off)"."""
    return f"Code {code.code} ({takes_off(code)})"
