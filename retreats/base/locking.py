"""The seat lock's failure modes: roll back everything, and ask the visitor to try again."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from retreats.database import WRITE_CONFLICTS
from retreats.errors import TryAgain
from retreats.extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")

WRITE_ATTEMPTS = 3

BUSY_MESSAGE = "Many people are booking this retreat right now. Please try again in a moment."


# The turns of this process, one per row that seats are held on (see row_turn).
_turns: dict[object, threading.Lock] = {}
_turns_lock = threading.Lock()


@contextmanager
def row_turn(key: object, *, timeout_ms: int) -> Iterator[int]:
    """Wait until no other thread of this process is in a turn for `key` (a row), then yield the
    milliseconds left of `timeout_ms` for taking the row's database lock; TryAgain if the turn
    does not come in time.

    In a rush, every request of a worker would otherwise wait on the same row lock inside
    PostgreSQL, each keeping a pooled connection idle meanwhile, and the worker's other pages
    would wait for a connection. Waiting here costs no connection: end the transaction first.
    """
    with _turns_lock:
        turn = _turns.setdefault(key, threading.Lock())
    started = time.monotonic()
    if not turn.acquire(timeout=timeout_ms / 1000):
        log.warning("No turn for %s in %s ms; the visitor is asked to try again", key, timeout_ms)
        raise TryAgain(BUSY_MESSAGE)
    try:
        waited_ms = int((time.monotonic() - started) * 1000)
        yield max(timeout_ms - waited_ms, 1)
    finally:
        turn.release()


def is_lock_timeout(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "lock" in text or "timeout" in text or "busy" in text


@contextmanager
def rolled_back_on_error() -> Iterator[None]:
    """Leave nothing half-written; a seat lock not had in time becomes a friendly TryAgain."""
    try:
        yield
    except OperationalError as error:
        db.session.rollback()
        if is_lock_timeout(error):
            log.warning("Seat lock not had in time; the visitor is asked to try again: %s", error)
            raise TryAgain(BUSY_MESSAGE) from error
        raise
    except BaseException:
        db.session.rollback()
        raise


def retried_after_write_conflicts(write: Callable[[], T], *, attempts: int = WRITE_ATTEMPTS) -> T:
    """Run `write` (it reads, writes and commits) until no other transaction got to the same rows
    first. Each conflict is rolled back and `write` reads afresh, so it acts on what the other one
    committed; TryAgain if it keeps losing."""
    for attempt in range(1, attempts + 1):
        try:
            with rolled_back_on_error():
                return write()
        except WRITE_CONFLICTS as error:
            log.info("Write conflict (attempt %s of %s), read again: %s", attempt, attempts, error)
    raise TryAgain(BUSY_MESSAGE)
