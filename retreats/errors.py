"""Domain errors with messages safe to show, and the HTTP error pages."""

from __future__ import annotations

import logging

import sqlalchemy.exc
from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from retreats.rate_limits import seconds_until_retry, wait_in_words

log = logging.getLogger(__name__)

BUSY_RETRY_AFTER_SECONDS = 5  # "try again" when no database connection came free in time


class DomainError(Exception):
    """A rule of the business said no; `message` is written for the person using the site.

    `field`, when given, names the form field the message belongs beside."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class SoldOut(DomainError):
    status_code = 409


class NoPlaceLeft(SoldOut):
    """Every place of the retreat is taken (not just too few for this ticket)."""


class TryAgain(DomainError):
    """The seat lock could not be had in time; nothing was written."""

    status_code = 503


class PaymentProviderError(DomainError):
    status_code = 502


ERROR_PAGES = {
    400: ("Something in that request was not right", "Please go back and try again."),
    403: ("This page is not yours to see", "If you think it should be, sign in first."),
    404: ("We could not find that page", "The link may be old, or the retreat may have ended."),
    405: ("That is not something this page does", "Please go back and try again."),
    413: ("That was too large", "Please send something smaller."),
    500: ("Something went wrong on our side", "It is not you. Please try again in a minute."),
}


def register_error_handlers(app: Flask) -> None:
    def render_error(code: int, detail: str | None = None):
        title, hint = ERROR_PAGES.get(code, ERROR_PAGES[500])
        return (
            render_template("errors/error.html", code=code, title=title, hint=hint, detail=detail),
            code,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        detail = error.description if error.code == 400 else None
        return render_error(error.code, detail)

    @app.errorhandler(429)
    def too_many_requests(error: HTTPException):
        # A rate limit said no (retreats/rate_limits.py): say how long to wait, in words and in
        # Retry-After, so people and well-behaved clients come back when it will work.
        seconds = seconds_until_retry()
        page = render_template("errors/429.html", code=429, wait=wait_in_words(seconds))
        return page, 429, {"Retry-After": str(seconds)}

    @app.errorhandler(sqlalchemy.exc.TimeoutError)
    def no_database_connection_free(error: sqlalchemy.exc.TimeoutError):
        # Every connection of this worker's pool stayed in use for DATABASE_POOL_TIMEOUT_SECONDS:
        # the request did nothing yet, so it can simply be sent again a little later.
        log.warning("No database connection came free in time: %s", error)
        page = render_template("errors/busy.html", seconds=BUSY_RETRY_AFTER_SECONDS)
        return page, 503, {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)}

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("Unhandled error")
        return render_error(500)
