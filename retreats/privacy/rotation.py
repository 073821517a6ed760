"""Key rotation: re-encrypt every stored private answer with the newest key, in batches."""

from __future__ import annotations

from sqlalchemy import Text, select, type_coerce, update

from retreats.base.encryption import intake_cipher
from retreats.booking.models import Attendee
from retreats.extensions import db

BATCH_SIZE = 500
PRIVATE_COLUMNS = (Attendee.accessibility_needs, Attendee.emergency_contact, Attendee.hopes)


def reencrypt_all_answers() -> int:
    """Rotate each answer token to the newest key (MultiFernet.rotate); returns attendees done.

    The raw tokens are read and written without the column type, so nothing is decrypted into
    a Python object longer than one row. Each batch commits on its own: a rotation stopped
    halfway is simply run again (any configured key still decrypts what is left).
    """
    cipher = intake_cipher()
    table = Attendee.__table__
    raw = table.c
    names = [column.key for column in PRIVATE_COLUMNS]
    done, last_id = 0, 0
    while True:
        rows = db.session.execute(
            select(raw.id, *(type_coerce(raw[name], Text).label(name) for name in names))
            .where(raw.id > last_id)
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
