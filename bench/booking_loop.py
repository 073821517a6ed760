"""Visitors booking again and again, each with their own cookies, until told to stop.

Each visitor is a thread with its own requests.Session. A pass opens the booking form (GET, for
the CSRF cookie and the hidden fields) and POSTs it; every pass is recorded with the moment it
ended, so a measure can count the bookings completed inside a window of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests

from .load import GRANTED, REQUEST_TIMEOUT, Visitor, booking_outcome, open_booking_form

# Each visitor finishes the pass it is in (a form GET and a POST) before it stops.
STOP_TIMEOUT = 2 * REQUEST_TIMEOUT + 30


@dataclass(frozen=True)
class Pass:
    """One visitor's form GET and booking POST."""

    visitor: Visitor
    ended: float  # time.perf_counter() when the last answer came, or the failure
    problem: str | None  # None when the POST answered 303 to the pay page; else what came
    post_seconds: float | None  # how long the POST took; None when it was never answered

    @property
    def granted(self) -> bool:
        return self.problem is None


class BookingVisitors:
    """The visitors of a rush, each keeping their session (cookies, connection) across phases."""

    def __init__(self, visitors: list[Visitor], *, slug: str, pay_page_prefix: str) -> None:
        self.visitors = visitors
        self.slug = slug
        self.pay_page_prefix = pay_page_prefix
        self.sessions = [requests.Session() for _ in visitors]
        for session in self.sessions:
            session.trust_env = False  # straight to 127.0.0.1, whatever proxy is set

    def close(self) -> None:
        for session in self.sessions:
            session.close()

    @contextmanager
    def booking(self) -> Iterator[list[Pass]]:
        """Every visitor books again and again while the block runs.

        Yields the list the passes are added to as they end. When the block ends, each visitor
        finishes the pass it is in; the list is complete once the block has ended. When it ends
        with an exception (Ctrl-C too), the visitors are left to stop on their own.
        """
        passes: list[Pass] = []
        passes_lock = threading.Lock()
        stop = threading.Event()
        closed = threading.Event()  # the list is handed over: a straggler must not change it

        def visit(visitor: Visitor, session: requests.Session) -> None:
            while not stop.is_set():
                try:
                    done = self._book_once(visitor, session)
                except Exception as error:  # a client bug is reported, the others go on
                    done = Pass(visitor, time.perf_counter(), f"client {error!r}", None)
                with passes_lock:
                    if closed.is_set():
                        return
                    passes.append(done)

        # Daemon threads: Ctrl-C must not wait for a visitor stuck on a dead server.
        threads = [
            threading.Thread(target=visit, args=pair, daemon=True)
            for pair in zip(self.visitors, self.sessions, strict=True)
        ]
        for thread in threads:
            thread.start()
        try:
            yield passes
        except BaseException:
            # Failure or Ctrl-C: nothing will be measured, so nobody waits for the visitors.
            with passes_lock:
                stop.set()
                closed.set()
            raise
        stop.set()
        deadline = time.monotonic() + STOP_TIMEOUT
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0))
        with passes_lock:
            closed.set()

    def _book_once(self, visitor: Visitor, session: requests.Session) -> Pass:
        book_url = f"{visitor.base_url}/retreats/{self.slug}/book"
        form, problem = open_booking_form(session, book_url, visitor)
        if form is None:
            return Pass(visitor, time.perf_counter(), problem, None)
        started = time.perf_counter()
        try:
            response = session.post(
                book_url, data=form, allow_redirects=False, timeout=REQUEST_TIMEOUT
            )
        except requests.Timeout:
            return Pass(visitor, time.perf_counter(), "POST timeout", None)
        except requests.RequestException as error:
            return Pass(visitor, time.perf_counter(), f"POST {type(error).__name__}", None)
        ended = time.perf_counter()
        outcome, status = booking_outcome(response, self.pay_page_prefix)
        problem = None if outcome == GRANTED else f"POST {status}"
        return Pass(visitor, ended, problem, ended - started)
