"""The seat lock's failure modes: roll back everything, and ask the visitor to try again."""

from __future__ import annotations

import logging
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
