"""Kept pages answered before Flask: the same bytes and headers, a fraction of the work.

A kept page (public_pages.py) is answered through Flask the first time after it is kept, and
the final status and headers of that answer (after every `after_request` hook: ETag, caching,
the security headers) are noted under the page's ETag. From then on, a plain GET of that page by
a visitor with no cookie at all is answered here, from the same kept page and those same
headers, while the state it was kept under still holds: no request context, no routing, no
hooks. Anything else (a cookie, a conditional request, a page not kept or kept under an older
state, `?t=` links, any error here) goes on to Flask as before.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from flask import Flask
from werkzeug.wrappers import Request

from retreats.caching.public_pages import (
    ANSWERED_WITH_KEPT_PAGE,
    MAX_PAGES,
    STATE_OF_THIS_REQUEST,
    page_store,
    state_for_this_worker,
)

log = logging.getLogger(__name__)

Headers = list[tuple[str, str]]


class KeptPagesBeforeFlask:
    """WSGI middleware around the app's own `wsgi_app`."""

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        # ETag → (status, headers); pages rendered anew get new ETags, the oldest go first.
        self._answers: OrderedDict[str, tuple[str, Headers]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        answer = self._kept_answer(environ)
        if answer is not None:
            status, headers, body = answer
            start_response(status, headers)
            return [body]
        return self.wsgi_app(environ, self._noting_kept_answers(environ, start_response))

    def _kept_answer(self, environ: dict) -> tuple[str, Headers, bytes] | None:
        if not _may_be_answered_here(environ):
            return None
        try:
            with self.app.app_context():
                kept = page_store().get(Request(environ).full_path)
                if kept is None:
                    return None
                with self._lock:
                    noted = self._answers.get(kept.etag)
                if noted is None:
                    return None
                state = state_for_this_worker()
                if kept.state != state:
                    environ[STATE_OF_THIS_REQUEST] = state  # Flask's turn: read once, not twice
                    return None
        except Exception:  # Flask answers instead, and says what went wrong
            log.debug("A kept page could not be answered before Flask", exc_info=True)
            return None
        status, headers = noted
        return status, headers, kept.body

    def _noting_kept_answers(self, environ: dict, start_response: Callable) -> Callable:
        def noting(status: str, headers: Headers, exc_info=None):
            etag = environ.get(ANSWERED_WITH_KEPT_PAGE)
            if (
                etag is not None
                and status.startswith("200 ")
                and exc_info is None
                and not any(name.lower() == "set-cookie" for name, _ in headers)
            ):
                with self._lock:
                    self._answers[etag] = (status, list(headers))
                    while len(self._answers) > 2 * MAX_PAGES:
                        self._answers.popitem(last=False)
            return start_response(status, headers, exc_info)

        return noting


def _may_be_answered_here(environ: dict) -> bool:
    """A plain GET by a visitor with no cookie, asking for no particular version."""
    if environ.get("REQUEST_METHOD") != "GET":
        return False
    if environ.get("HTTP_COOKIE") or environ.get("HTTP_IF_NONE_MATCH"):
        return False
    query = environ.get("QUERY_STRING", "")
    return not (query and "t" in parse_qs(query))  # secret links are never kept


def answer_kept_pages_before_flask(app: Flask) -> None:
    app.wsgi_app = KeptPagesBeforeFlask(app, app.wsgi_app)
