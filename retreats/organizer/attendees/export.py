"""The attendee list as CSV: one line per person, streamed in batches, safe to open in Excel.

UTF-8 with a byte order mark and CRLF line ends, so Excel and LibreOffice read accents and line
breaks alike; a cell that a spreadsheet would take for a formula gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from retreats.extensions import db
from retreats.formatting import major_units
from retreats.listings.models import Retreat
from retreats.organizer.attendees.queries import AttendeeFilter, export_statement

BYTE_ORDER_MARK = "\ufeff"
BATCH_SIZE = 500
# What Excel, LibreOffice and Google Sheets may read as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = [
    "Booking",
    "Status",
    "Ticket",
    "Person",
    "Name",
    "Email",
    "Contact name",
    "Contact email",
    "Currency",
    "Booking paid",
    "Booking refunded",
    "Checked in",
    "Dietary needs",
]
PRIVATE_COLUMNS = ["Accessibility needs", "Emergency contact", "Hopes"]


def safe_cell(value: object) -> str:
    """A cell's text, with a leading ' if a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _cells(row, zone: ZoneInfo, include_private: bool) -> list[str]:
    cells = [
        row.reference,
        row.status.value,
        row.ticket,
        "Booker" if row.position == 0 else "Partner",
        row.name,
        row.email,
        row.contact_name,
        row.contact_email,
        row.currency,
        major_units(row.amount_minor, row.currency),
        major_units(row.refunded_minor, row.currency),
        _local_time(row.checked_in_at, zone),
        row.dietary_needs,
    ]
    if include_private:
        cells += [row.accessibility_needs, row.emergency_contact, row.hopes]
    return [safe_cell(cell) for cell in cells]


class _LineOut:
    """A csv.writer target that hands each written line back instead of storing it."""

    def write(self, text: str) -> str:
        return text


def attendee_csv_lines(
    retreat: Retreat, chosen: AttendeeFilter, *, include_private: bool
) -> Iterator[str]:
    """The CSV text in chunks: the header, then one chunk per batch of rows read."""
    # Read from the retreat now: the lines are produced later, while the response streams.
    return _lines(retreat.id, retreat.zone, chosen, include_private)


def _lines(
    retreat_id: int, zone: ZoneInfo, chosen: AttendeeFilter, include_private: bool
) -> Iterator[str]:
    writer = csv.writer(_LineOut(), lineterminator="\r\n")
    yield BYTE_ORDER_MARK + writer.writerow(COLUMNS + (PRIVATE_COLUMNS if include_private else []))
    result = db.session.execute(
        export_statement(retreat_id, chosen).execution_options(yield_per=BATCH_SIZE)
    )
    for batch in result.partitions():
        text = "".join(writer.writerow(_cells(row, zone, include_private)) for row in batch)
        # Neither this batch's rows nor its text are needed once sent: let go of them before the
        # next batch is read, or the loop would hold two batches at once.
        batch.clear()
        yield text
        del text


def export_filename(retreat: Retreat) -> str:
    """ "heart-weekend-attendees.csv": only characters safe inside a quoted header value."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", retreat.slug) + "-attendees.csv"
