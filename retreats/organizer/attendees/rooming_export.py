"""The rooming list as CSV: one line per booking, in the page's order (room type, then named
room), made as the attendee CSV is (UTF-8 with a byte order mark, CRLF, formulas defused).

A rooming list is as long as the bookings that hold a place, which the page shows at once too,
so it is written from the same reading of the list rather than streamed.
"""

from __future__ import annotations

import re

from retreats.listings.models import Retreat
from retreats.organizer.attendees.export import BYTE_ORDER_MARK, csv_line_writer, safe_cell
from retreats.organizer.attendees.rooming import RoomingBooking, RoomingList, RoomTypeGroup

COLUMNS = [
    "Room type",
    "Named room",
    "Booking",
    "Status",
    "People",
    "Names",
    "Stay",
    "Add-ons",
]
PRIVATE_COLUMNS = ["Room share wish"]


def _cells(
    group: RoomTypeGroup, label: str, entry: RoomingBooking, include_private: bool
) -> list[str]:
    booking = entry.booking
    cells = [
        group.name,
        label,
        booking.reference,
        booking.status.value,
        entry.people,
        "; ".join(entry.names),
        entry.stay,
        "; ".join(entry.add_ons),
    ]
    if include_private:
        cells.append(booking.room_share_with)
    return [safe_cell(cell) for cell in cells]


def rooming_csv(rooming: RoomingList, *, include_private: bool) -> str:
    """The whole CSV text: the header, then each booking of each group."""
    writer = csv_line_writer()
    header = COLUMNS + (PRIVATE_COLUMNS if include_private else [])
    lines = [BYTE_ORDER_MARK + writer.writerow(header)]
    for group in rooming.groups:
        for room in group.named_rooms:
            lines += [
                writer.writerow(_cells(group, room.label, entry, include_private))
                for entry in room.bookings
            ]
        lines += [
            writer.writerow(_cells(group, "", entry, include_private)) for entry in group.unassigned
        ]
    return "".join(lines)


def rooming_filename(retreat: Retreat) -> str:
    """ "heart-weekend-rooming-list.csv": only characters safe inside a quoted header value."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", retreat.slug) + "-rooming-list.csv"
