"""Database plumbing shared by every area: UTC timestamps, SQLite settings, the row lock."""

from __future__ import annotations

import enum
import functools
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import DateTime, Enum, bindparam, event, func, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

from retreats.accents import without_accents
from retreats.extensions import db


def string_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """Store an enum's lower-case values as VARCHAR with a CHECK constraint, alike on every DB."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always handed back timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is stored")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """WAL lets readers run beside the one writer; foreign keys are off in SQLite by default.
    SQLite's lower() folds only ASCII letters: `folded` lowers any letter and drops accents, for
    the catalog's search (catalog/search.py)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function("folded", 1, folded, deterministic=True)


def folded(text: str | None) -> str | None:
    """Lower case and without accents: how the search compares words on SQLite."""
    plain = without_accents(text)
    return None if plain is None else plain.lower()


# Another transaction committed first to the rows this one writes: a row's version moved on
# (StaleDataError) or a unique key or check constraint now refuses the write (IntegrityError).
# Roll back and read again: what the other one wrote is the current state.
WRITE_CONFLICTS = (StaleDataError, IntegrityError)


def end_transaction() -> None:
    """Commit, and so give the connection back to the pool, before calling the outside world
    (Stripe): no snapshot, row lock or pooled connection waits on someone else's latency
    (DESIGN rule 12). What was loaded is read again, in a new short transaction, when used."""
    db.session.commit()


# The execution option of an UPDATE that writes a table public pages show, but nothing they show
# (a booking's Checkout Session id): it leaves their content version, and so the pages each
# worker keeps in memory, as they are (retreats/caching/public_pages.py).
INVISIBLE_ON_PUBLIC_PAGES = "invisible_on_public_pages"


def commit_keeping_loaded() -> None:
    """Commit, leaving what this session loaded and wrote as it is instead of expiring it, so
    reading it next costs no query. Only for a transaction that read its rows under a lock (or
    wrote them) and is used at once: the values are those committed, not newer ones."""
    session = db.session()
    expires = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expires


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


_SET_LOCK_TIMEOUT = select(func.set_config("lock_timeout", bindparam("timeout"), True))


@functools.cache
def _locked_row(model):
    """SELECT … FOR UPDATE of one row of `model`, built once per model (it runs on every hold)."""
    return select(model).where(model.id == bindparam("id")).with_for_update()


@functools.cache
def _column_names(model) -> tuple[str, ...]:
    return tuple(column.key for column in inspect(model).column_attrs)


def lock_row(model, row_id: int, *, timeout_ms: int | None = None):
    """Take the write lock that serialises seat changes for one row, then load the row.

    PostgreSQL: SELECT … FOR UPDATE, waiting at most `timeout_ms` (default SEAT_LOCK_TIMEOUT_MS).
    SQLite has one writer at a time: a no-op UPDATE opens the write transaction before anything
    is read, so the count that follows cannot change under us (it waits up to the connection's
    busy timeout).

    The row's columns are read afresh even if the session already holds it: what another
    transaction committed before the lock was had (a code disabled, a voucher voided) must be
    seen. Only its columns: what was loaded with it (a retreat's ticket, room types and add-ons)
    stays loaded rather than being read again.
    """
    lock_timeout_ms = timeout_ms or current_app.config["SEAT_LOCK_TIMEOUT_MS"]
    postgresql = is_postgresql()
    if postgresql:
        db.session.execute(_SET_LOCK_TIMEOUT, {"timeout": f"{lock_timeout_ms}ms"})
    else:
        db.session.execute(update(model).where(model.id == row_id).values(id=model.id))
    held = db.session.identity_map.get(identity_key(model, row_id))
    if held is None:
        return db.session.execute(_locked_row(model), {"id": row_id}).scalar_one_or_none()
    try:
        db.session.refresh(held, _column_names(model), with_for_update=postgresql or None)
    except InvalidRequestError:  # the row is gone
        return None
    return held


def claim_one(statement):
    """Run a SELECT for one row to work on; on PostgreSQL lock it and skip rows others hold,
    so several workers can take rows from the same queue without waiting on each other."""
    if is_postgresql():
        statement = statement.with_for_update(skip_locked=True)
    return db.session.execute(statement).scalar_one_or_none()


LARGEST_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in every route: an id the database can hold, else the URL simply does not match
    (404) instead of the database failing on an out-of-range number (500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(
            url_map,
            fixed_digits,
            min=0 if min is None else min,
            max=LARGEST_ID if max is None else max,
            signed=signed,
        )
