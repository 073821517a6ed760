"""Key rotation: re-encrypt every stored private answer with the newest key, in batches.

The private answers are the answers to the retreats' own private questions and the bookings'
room share wishes (PRIVATE_COLUMNS).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, Text, or_, select, type_coerce, update

from retreats.base.encryption import intake_cipher
from retreats.booking.models import Answer, Booking
from retreats.extensions import db

BATCH_SIZE = 500
PRIVATE_COLUMNS = (Booking.room_share_with, Answer.private_text)


@dataclass(frozen=True)
class Reencrypted:
    bookings: int  # bookings with a room share wish done
    answers: int  # private answers to the retreats' own questions done


def reencrypt_all_answers() -> Reencrypted:
    """Rotate each answer token to the newest key (MultiFernet.rotate); returns the rows done.

    The raw tokens are read and written without the column type, so nothing is decrypted into
    a Python object longer than one row. Each batch commits on its own: a rotation stopped
    halfway is simply run again (any configured key still decrypts what is left).
    """
    names_by_table: dict[Table, list[str]] = {}
    for column in PRIVATE_COLUMNS:
        names_by_table.setdefault(column.class_.__table__, []).append(column.key)
    done = {table.name: _reencrypt_table(table, names) for table, names in names_by_table.items()}
    return Reencrypted(bookings=done["bookings"], answers=done["answers"])


def _reencrypt_table(table: Table, names: list[str]) -> int:
    """Rotate the tokens in columns `names` of the rows of `table` that have any."""
    cipher = intake_cipher()
    raw = table.c
    done, last_id = 0, 0
    while True:
        rows = db.session.execute(
            select(raw.id, *(type_coerce(raw[name], Text).label(name) for name in names))
            .where(raw.id > last_id, or_(*(raw[name].is_not(None) for name in names)))
            .order_by(raw.id)
            .limit(BATCH_SIZE)
        ).all()
        if not rows:
            return done
        for row in rows:
            tokens = dict(zip(names, row[1:], strict=True))
            rotated = {
                # type_coerce: the token is written as it is, not encrypted a second time.
                name: type_coerce(cipher.rotate(token.encode()).decode(), Text)
                for name, token in tokens.items()
                if token is not None
            }
            db.session.execute(update(table).where(raw.id == row.id).values(rotated))
        db.session.commit()
        done += len(rows)
        last_id = rows[-1].id
