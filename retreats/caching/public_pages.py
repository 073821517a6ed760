"""The catalog and retreat pages, rendered once and served from memory until something changes.

A page is kept (per app, so per gunicorn worker) under its path and query string, together with
the *state* it was rendered in: the content version and the next moment a page could change by
itself. A kept page is served only while the state is still the same. Reading the state is one
small SQL statement; each worker reads it again at most every PUBLIC_PAGE_RECHECK_MS (1000 ms by
default; 0 reads it on every request) and at once when the next change in time has come. So an
anonymous visitor's page is at most a second behind the last commit, plus the time one render
of it takes, and under a rush thousands of pages are served per statement. Why a second: in a
booking rush every booking changes the catalog (its seats left), so each worker renders it anew
each time it reads the state; rendering it four times a second per worker (250 ms) held the
other requests of the worker back often enough to put the catalog's p99 during the rush at 7 to
8 times its p99 alone, once a second at 4 to 5 times (the `rush` benchmark, bench/README.md).

Under a rush, each worker also does each thing once rather than once per request: one request
reads the state when it is due, and one renders a page that changed, while the others meanwhile
get the state or page from just before (never one whose next change in time has come):

- **Content version** (`content_versions`): every transaction that writes a retreat, ticket type,
  booking or waitlist entry bumps it inside the same transaction, just before COMMIT
  (`before_commit`, below). The bump becomes visible together with the change, never before it;
  the row lock is held only from that UPDATE to the COMMIT, so writers barely wait on each other.
  The state is read *before* the page is rendered, so a page rendered from data committed in the
  meantime is kept under the older version and simply rendered again by the next request.
- **Next change in time**: the soonest moment, still ahead, at which a hold or a waitlist offer
  runs out (seats free up), a ticket's sale starts or ends (prices, early-bird badges), or a
  retreat starts (it leaves the catalog). When it passes, the statement returns the one after,
  the state differs, and the page is rendered again.

Only visitors without a session cookie get kept pages, and only pages that set no cookie are
kept. Pages carry an ETag with `Cache-Control: no-cache`, so a browser that has the page gets a
304 instead of the page again. A plain GET of a kept page by a visitor with no cookie at all is
answered before Flask, with the headers Flask gave it (before_flask.py).

Whoever acts has a session: opening the booking form sets one (its CSRF token), and so does
signing in. From then on every page they see is rendered for them, because its layout carries
what is theirs alone (flash messages, the organizer's name, the sign-out form's CSRF token). Its
content, the same for everyone, is kept instead (fragments.py), under the same state as the
kept pages: a change shows on their pages exactly when it shows on kept pages, within
PUBLIC_PAGE_RECHECK_MS of its commit, never later. A request reads the state once at most, so a
page and the content in it are kept under the same state. The blank booking form is kept the
same way (catalog/booking_form.py), its seats left as fresh as the retreat page's; the booking
itself always counts the seats afresh under the retreat's lock.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Generic, TypeVar

from flask import Response, current_app, make_response, request, session
from flask_login.config import COOKIE_NAME
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError

from retreats.booking.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from retreats.caching.models import PUBLIC_PAGES, ContentVersion
from retreats.database import INVISIBLE_ON_PUBLIC_PAGES, utcnow
from retreats.extensions import db
from retreats.listings.hosts import Facilitator, Venue, VenuePhoto
from retreats.listings.models import AddOn, Retreat, RetreatStatus, RoomType, TicketType
from retreats.listings.questions import Question

MAX_PAGES = 512  # per worker; the least recently served page goes first
# What the public pages show: a write to any of these bumps the version. Questions are on the
# kept booking form; facilitators and venues on the retreat pages. (Organizers are not shown,
# but for their name, set when they sign up, and their slug, set once; leaving them out also
# keeps a storm of failed sign-ins from flushing every page. Their profile pages are not kept.)
SHOWN_ON_PUBLIC_PAGES = (
    Retreat,
    TicketType,
    RoomType,
    AddOn,
    Question,
    Booking,
    WaitlistEntry,
    Facilitator,
    Venue,
    VenuePhoto,
)
SHOWN_TABLES = frozenset(model.__table__ for model in SHOWN_ON_PUBLIC_PAGES)
_CHANGED = "public_pages_changed"
STATE_OF_THIS_REQUEST = "retreats.public_pages.state"  # a key in the request's WSGI environ
# Also in the environ: the ETag of the kept page a request was answered with (before_flask.py).
ANSWERED_WITH_KEPT_PAGE = "retreats.public_pages.answered_with"
Kept = TypeVar("Kept")


@dataclass(frozen=True)
class KeptPage:
    state: tuple
    body: bytes
    etag: str
    content_type: str

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [
            ("ETag", f'"{self.etag}"'),
            # The browser may keep it but must ask first: the answer is a 304 while it holds.
            ("Cache-Control", "no-cache"),
            ("Vary", "Cookie"),
        ]


class PageStore(Generic[Kept]):
    """A bounded, thread-safe map from a key (a path) to what is kept for it (a page), each kept
    under the state it was rendered in (its `state` attribute)."""

    def __init__(self, max_pages: int = MAX_PAGES):
        self.max_pages = max_pages
        self._pages: OrderedDict[Hashable, Kept] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: set[Hashable] = set()  # keys one request is rendering anew right now

    def kept_or_rendered(
        self, key: Hashable, state: tuple, render: Callable[[], Kept | None]
    ) -> Kept | None:
        """What is kept under `key` while `state` holds; else `render()`'s, kept (None: nothing
        to keep). One request of the worker renders a key at a time: meanwhile the others get
        what was kept before, a render's time behind (never one whose next change in time has
        come), rather than a crowd of renders of the same page fighting for the CPU."""
        kept = self.get(key)
        if kept is not None and kept.state == state:
            return kept
        with self._lock:
            someone_else_renders = key in self._rendering
            if not someone_else_renders:
                self._rendering.add(key)
        if someone_else_renders:
            if kept is not None and _still_holds(kept.state):
                return kept
            return render()  # kept by the request rendering it
        try:
            fresh = render()
            if fresh is not None:
                self.put(key, fresh)
            return fresh
        finally:
            with self._lock:
                self._rendering.discard(key)

    @contextmanager
    def rendering(self, key: Hashable) -> Iterator[None]:
        """For tests: as if another request were rendering `key` while the block runs."""
        with self._lock:
            self._rendering.add(key)
        try:
            yield
        finally:
            with self._lock:
                self._rendering.discard(key)

    def get(self, key: Hashable) -> Kept | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def __len__(self) -> int:
        return len(self._pages)

    def values(self) -> list[Kept]:
        with self._lock:
            return list(self._pages.values())

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._pages.pop(key, None)

    def put(self, key: Hashable, page: Kept) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)


class RecentState:
    """The state last read, reused for PUBLIC_PAGE_RECHECK_MS while its next change is ahead.

    Reading the state is one SQL round trip; under a rush, reusing it for a second serves
    thousands of pages per statement instead of one. When it is due, one request reads it; the
    others of the worker meanwhile go on with the one before, unless its next change in time has
    come (then they wait for the new one), instead of each reading it too (and each waiting for a
    pooled connection to do so).
    """

    def __init__(self):
        self._state: tuple | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()
        self._reading = threading.Lock()

    def get(self, max_age_seconds: float) -> tuple:
        if max_age_seconds <= 0:  # read on every request, as PUBLIC_PAGE_RECHECK_MS=0 says
            return self._read()
        with self._lock:
            state, read_at = self._state, self._read_at
        if state is not None and _still_holds(state):
            if time.monotonic() - read_at < max_age_seconds:
                return state
            if not self._reading.acquire(blocking=False):
                return state  # another request is reading it at this moment
        else:
            self._reading.acquire()
            with self._lock:
                if self._read_at > read_at:  # read by the request this one waited for
                    self._reading.release()
                    return self._state
        try:
            return self._read()
        finally:
            self._reading.release()

    def _read(self) -> tuple:
        read_at = time.monotonic()
        state = current_state()
        with self._lock:
            self._state, self._read_at = state, read_at
        return state


def _still_holds(state: tuple) -> bool:
    """The state's next change in time has not come yet."""
    next_change = state[1]
    return next_change is None or utcnow() < next_change


def page_store() -> PageStore[KeptPage]:
    return current_app.extensions.setdefault("public_page_store", PageStore())


def state_for_this_worker() -> tuple:
    """The state, read by this worker at most every PUBLIC_PAGE_RECHECK_MS (RecentState)."""
    recent = current_app.extensions.setdefault("public_page_state", RecentState())
    return recent.get(current_app.config["PUBLIC_PAGE_RECHECK_MS"] / 1000)


def recent_state() -> tuple:
    """The state this request works with: read once per request at most, so the page and the
    fragments in it are kept under the same state."""
    environ = request.environ
    state = environ.get(STATE_OF_THIS_REQUEST)
    if state is None:
        state = state_for_this_worker()
        environ[STATE_OF_THIS_REQUEST] = state
    return state


def current_state(now: datetime | None = None) -> tuple:
    """(content version, next change in time): one SQL statement."""
    now = now or utcnow()

    def soonest(column, *conditions):
        return select(func.min(column)).where(column > now, *conditions).scalar_subquery()

    statement = select(
        select(ContentVersion.version).where(ContentVersion.name == PUBLIC_PAGES).scalar_subquery(),
        soonest(Booking.hold_expires_at, Booking.status == BookingStatus.PENDING),
        soonest(WaitlistEntry.offer_expires_at, WaitlistEntry.status == WaitlistStatus.OFFERED),
        soonest(
            Retreat.starts_at,
            Retreat.status.in_([RetreatStatus.PUBLISHED, RetreatStatus.CANCELLED]),
        ),
        soonest(TicketType.sale_starts_at),
        soonest(TicketType.sale_ends_at),
    )
    # Its own connection, outside any transaction: no BEGIN and no ROLLBACK around the one
    # statement (autocommit is a client-side switch in psycopg and sqlite3, so it costs nothing).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.execute(statement).one()
    version, *moments = row
    upcoming = [moment for moment in moments if moment is not None]
    return (version or 0, min(upcoming) if upcoming else None)


def keeps_pages_for_this_request() -> bool:
    """A GET or HEAD by a visitor with no session and no "remember me" cookie: nothing in the
    layout of the page is theirs (no flash message, nobody signed in)."""
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.cookies
    # Flask-Login's "remember me" cookie: its default name unless the config renames it.
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
    return current_app.config["SESSION_COOKIE_NAME"] not in cookies and (
        remember_cookie not in cookies
    )


def cached_public_page(view):
    """Serve the view's page from memory while the state it was rendered in still holds."""

    @wraps(view)
    def serve(*args, **kwargs):
        if not keeps_pages_for_this_request():
            return view(*args, **kwargs)
        not_kept: list[Response] = []

        def render() -> KeptPage | None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or session.modified or "Set-Cookie" in response.headers:
                not_kept.append(response)
                return None
            body = response.get_data()
            return KeptPage(
                state=state,
                body=body,
                etag=hashlib.blake2b(body, digest_size=12).hexdigest(),
                content_type=response.content_type,
            )

        state = recent_state()
        kept = page_store().kept_or_rendered(request.full_path, state, render)
        return _answer_with(kept) if kept is not None else not_kept[0]

    return serve


def _answer_with(kept: KeptPage) -> Response:
    if kept.etag in request.if_none_match:
        return Response(status=304, headers=kept.headers)
    # So that before_flask.py notes this answer's final headers, to give them again itself.
    request.environ[ANSWERED_WITH_KEPT_PAGE] = kept.etag
    return Response(kept.body, content_type=kept.content_type, headers=kept.headers)


# --- bumping the content version -----------------------------------------------------------


@event.listens_for(db.session, "after_flush")
def _note_flushed_changes(session, flush_context) -> None:
    if _touches_public_pages(session):
        session.info[_CHANGED] = True


@event.listens_for(db.session, "do_orm_execute")
def _note_bulk_changes(orm_execute_state) -> None:
    """UPDATE / DELETE / INSERT statements run through the session, outside the unit of work."""
    if orm_execute_state.is_select:
        return
    if orm_execute_state.execution_options.get(INVISIBLE_ON_PUBLIC_PAGES):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    if table is not None and table in SHOWN_TABLES:
        orm_execute_state.session.info[_CHANGED] = True


@event.listens_for(db.session, "before_commit")
def _bump_version_with_the_change(session) -> None:
    if not (session.info.get(_CHANGED) or _touches_public_pages(session)):
        return
    try:
        _bump_public_pages_version(session)
    finally:
        session.info.pop(_CHANGED, None)  # the bump's own flush may have set it again


# Built once: it runs in every transaction that changes what the pages show. A plain UPDATE of
# the table, not the ORM's bulk UPDATE, whose bookkeeping cost more CPU than the statement.
_VERSIONS = ContentVersion.__table__
_BUMP = (
    update(_VERSIONS)
    .where(_VERSIONS.c.name == PUBLIC_PAGES)
    .values(version=_VERSIONS.c.version + 1)
)


def _bump_public_pages_version(session) -> None:
    # The change first, then the bump: the version's row stays locked only from the bump to
    # COMMIT (a plain UPDATE does not flush the session by itself as the ORM's did).
    session.flush()
    if session.execute(_BUMP).rowcount:
        return
    try:  # the first bump ever on a database made without the migration's row
        with session.begin_nested():
            session.add(ContentVersion(name=PUBLIC_PAGES, version=1))
    except IntegrityError:
        session.execute(_BUMP)


@event.listens_for(db.session, "after_rollback")
def _forget_rolled_back_changes(session) -> None:
    session.info.pop(_CHANGED, None)


def _touches_public_pages(session) -> bool:
    return any(
        isinstance(instance, SHOWN_ON_PUBLIC_PAGES)
        for instance in (*session.new, *session.dirty, *session.deleted)
    )
