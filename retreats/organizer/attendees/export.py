"""The attendee list as CSV: one line per person, streamed in batches, safe to open in Excel.

UTF-8 with a byte order mark and CRLF line ends, so Excel and LibreOffice read accents and line
breaks alike; a cell that a spreadsheet would take for a formula gets a leading apostrophe.
Each line carries its booking's parts (room type, named room, add-ons, and the lines and total
the booking was priced at, from booking/pricing.py): read for each batch in two more queries.
Then a column per question of the retreat's own (answers.py answer_columns): the person's answer,
or the booking's for a question asked once per booking, read for each batch in one more query;
the private questions' columns, like the room share wish, only when asked for.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import load_only, selectinload

from retreats.booking.models import Booking, LineKind, owed
from retreats.booking.pricing import LineItem, Quote, booking_quote
from retreats.extensions import db
from retreats.formatting import major_units
from retreats.listings.models import Retreat
from retreats.organizer.attendees.answers import (
    AnswerColumn,
    AnswersByPerson,
    answer_cell,
    answer_columns,
    answers_for_bookings,
)
from retreats.organizer.attendees.queries import AttendeeFilter, export_statement
from retreats.organizer.attendees.rooming import add_on_summary, stay_in_words

BYTE_ORDER_MARK = "\ufeff"
BATCH_SIZE = 500
# What Excel, LibreOffice and Google Sheets may read as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = [
    "Booking",
    "Status",
    "Ticket",
    "Room type",
    "Stay",
    "Named room",
    "Add-ons",
    "Person",
    "Name",
    "Email",
    "Contact name",
    "Contact email",
    "Currency",
    "Booking lines",
    "Booking total",
    "Booking paid",
    "Booking refunded",
    "Booking owed",
    "Checked in",
]
PRIVATE_COLUMNS = ["Room share wish"]


def safe_cell(value: object) -> str:
    """A cell's text, with a leading ' if a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _line_in_words(line: LineItem, currency: str) -> str:
    """ "Garden double × 2 at 150.00: 300.00", or "Couple: 450.00" for one unit."""
    amount = major_units(line.amount_minor, currency)
    if line.quantity == 1:
        return f"{line.name}: {amount}"
    unit = major_units(line.unit_amount_minor, currency)
    return f"{line.name} × {line.quantity} at {unit}: {amount}"


def _quotes(booking_ids: set[int]) -> dict[int, Quote]:
    """What each of these bookings was priced at (booking_quote), in two queries."""
    bookings = db.session.scalars(
        select(Booking)
        .options(load_only(Booking.id, Booking.currency), selectinload(Booking.lines))
        .where(Booking.id.in_(booking_ids))
    )
    return {booking.id: booking_quote(booking) for booking in bookings}


def _cells(
    row, quote: Quote, answers: AnswersByPerson, columns: _Columns, zone: ZoneInfo
) -> list[str]:
    add_ons = [add_on_summary(line) for line in quote.lines if line.kind == LineKind.ADD_ON]
    cells = [
        row.reference,
        row.status.value,
        row.ticket,
        row.room_type or "",
        stay_in_words(room_type_id=row.room_type_id, takes_whole_room=row.takes_whole_room),
        row.room_label,
        "; ".join(add_ons),
        "Booker" if row.position == 0 else "Partner",
        row.name,
        row.email,
        row.contact_name,
        row.contact_email,
        row.currency,
        "; ".join(_line_in_words(line, quote.currency) for line in quote.lines),
        major_units(quote.total_minor, quote.currency),
        major_units(row.paid_minor, row.currency),
        major_units(row.refunded_minor, row.currency),
        major_units(
            owed(status=row.status, amount_minor=row.amount_minor, paid_minor=row.paid_minor),
            row.currency,
        ),
        _local_time(row.checked_in_at, zone),
    ]
    person = {"booking_id": row.booking_id, "attendee_id": row.attendee_id}
    cells += [answer_cell(answers, column, **person) for column in columns.ordinary]
    if columns.include_private:
        cells.append(row.room_share_with)
        cells += [answer_cell(answers, column, **person) for column in columns.private]
    return [safe_cell(cell) for cell in cells]


class _Columns:
    """The CSV's columns: the fixed ones, then the ordinary questions'; with private answers, the
    room share wish then the private questions'."""

    def __init__(self, questions: list[AnswerColumn], *, include_private: bool) -> None:
        self.include_private = include_private
        self.ordinary = [column for column in questions if not column.private]
        self.private = [column for column in questions if column.private] if include_private else []

    def headings(self) -> list[str]:
        headings = COLUMNS + [column.heading for column in self.ordinary]
        if self.include_private:
            headings += PRIVATE_COLUMNS + [column.heading for column in self.private]
        return _distinct(headings)


def _distinct(headings: list[str]) -> list[str]:
    """The headings, a repeated one numbered ("Experience (2)"), so each column has its own
    name even where an organizer gave two questions one label (or a fixed column's)."""
    seen: set[str] = set()
    distinct = []
    for heading in headings:
        number, unique = 1, heading
        while unique in seen:
            number += 1
            unique = f"{heading} ({number})"
        seen.add(unique)
        distinct.append(unique)
    return distinct


class _LineOut:
    """A csv.writer target that hands each written line back instead of storing it."""

    def write(self, text: str) -> str:
        return text


def csv_line_writer():
    """A csv.writer whose writerow() returns the line it wrote (CRLF-ended), storing nothing."""
    return csv.writer(_LineOut(), lineterminator="\r\n")


def attendee_csv_lines(
    retreat: Retreat, chosen: AttendeeFilter, *, include_private: bool
) -> Iterator[str]:
    """The CSV text in chunks: the header, then one chunk per batch of rows read."""
    # Read from the retreat now: the lines are produced later, while the response streams.
    return _lines(retreat.id, retreat.zone, chosen, include_private)


def _lines(
    retreat_id: int, zone: ZoneInfo, chosen: AttendeeFilter, include_private: bool
) -> Iterator[str]:
    writer = csv_line_writer()
    columns = _Columns(
        answer_columns(retreat_id, include_private=include_private),
        include_private=include_private,
    )
    yield BYTE_ORDER_MARK + writer.writerow(safe_cell(heading) for heading in columns.headings())
    result = db.session.execute(
        export_statement(retreat_id, chosen, include_private=include_private).execution_options(
            yield_per=BATCH_SIZE
        )
    )
    for batch in result.partitions():
        booking_ids = {row.booking_id for row in batch}
        quotes = _quotes(booking_ids)
        answers = answers_for_bookings(booking_ids, include_private=include_private)
        text = "".join(
            writer.writerow(_cells(row, quotes[row.booking_id], answers, columns, zone))
            for row in batch
        )
        # Neither this batch's rows, quotes, answers nor text are needed once sent: let go of
        # them before the next batch is read, or the loop would hold two batches at once.
        batch.clear()
        del quotes, answers
        yield text
        del text


def export_filename(retreat: Retreat) -> str:
    """ "heart-weekend-attendees.csv": only characters safe inside a quoted header value."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", retreat.slug) + "-attendees.csv"
