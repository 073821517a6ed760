"""Rate limits per client address on the pages people could hammer: sign-in, sign-up, password
reset, booking, the waitlist and the pages behind a secret link.

Counters live where RATE_LIMIT_STORAGE_URL says: `memory://` (each process counts alone) or
Redis (`redis://…`, shared by every instance). RATE_LIMITS_ENABLED=false turns them all off.
The Stripe webhook and /healthz are never limited: they are not in ROUTE_LIMITS.

Unlike the extensions in extensions.py, the Limiter is made per app: Flask-Limiter keeps its
storage and its on/off switch on the Limiter object, so one module-level Limiter bound to two apps
(the tests build many) would let the second app's settings and counters leak into the first.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

EXTENSION_KEY = "rate_limits"
# Retry-After when the limiter cannot tell when the window ends.
DEFAULT_RETRY_SECONDS = 60
# A slow or unreachable Redis must not hold a visitor's request for long.
REDIS_TIMEOUT_SECONDS = 1


@dataclass(frozen=True)
class NamedLimit:
    """One limit, shared by every endpoint listed under it, counted per client address."""

    limits: str  # Flask-Limiter notation: "10/minute;50/hour"
    endpoints: tuple[str, ...]
    methods: tuple[str, ...] | None = None  # None: every method


# Chosen for a real booking site: far above what one person does by hand, far below a script.
ROUTE_LIMITS: dict[str, NamedLimit] = {
    # Guessing passwords; the per-account slow-down in organizer/accounts/services.py comes on top.
    "sign-in": NamedLimit("10/minute;50/hour", ("organizer.login",), ("POST",)),
    # Each request can send an email: keep inboxes and our mail reputation safe.
    "password-reset-request": NamedLimit("5/hour", ("organizer.forgot_password",), ("POST",)),
    # Each sign-up, or request for a new email link, can send an email and make an account.
    "sign-up": NamedLimit(
        "5/hour;20/day", ("organizer.sign_up", "organizer.new_email_link"), ("POST",)
    ),
    # Each booking holds seats for 31 minutes: one address must not hold a whole retreat.
    "booking": NamedLimit(
        "20/minute;100/hour", ("booking.book", "booking.waitlist_offer"), ("POST",)
    ),
    # The form's total, asked at each choice; it also tells whether a discount code applies,
    # so a script must not try codes through it faster than through the booking itself.
    "booking-total": NamedLimit("60/minute;300/hour", ("booking.quote",), ("POST",)),
    # Each purchase opens a Checkout Session at Stripe and writes a voucher awaiting payment.
    "gift-voucher-purchase": NamedLimit(
        "10/minute;30/hour",
        ("gift_vouchers.buy_for_organizer", "gift_vouchers.buy_site_wide"),
        ("POST",),
    ),
    "waitlist-join": NamedLimit("10/minute;30/hour", ("booking.join_waitlist",), ("POST",)),
    # Pages behind a secret link: nobody reads their own booking 60 times a minute, a token
    # guesser or scraper would.
    "secret-link-pages": NamedLimit(
        "60/minute;600/hour",
        (
            "booking.manage",
            "booking.cancel",
            "booking.abandon",
            "booking.guide",
            "booking.guide_pdf",
            "booking.waitlist_offer",
            "gift_vouchers.purchase",
            "gift_vouchers.abandon",
            "notifications.booking_ics",
            "data_rights.download_data",
            "data_rights.delete_data",
            "organizer.reset_password",
            "organizer.accept_invite",
            "organizer.verify_email",
        ),
    ),
}
# Stripe retries a refused webhook for days and a load balancer pulls a failing instance.
NEVER_LIMITED = ("booking.stripe_webhook", "health.healthz")


def init_rate_limits(app: Flask) -> Limiter | None:
    """Attach the limits of ROUTE_LIMITS to the app's views (after the blueprints are in)."""
    if not app.config["RATE_LIMITS_ENABLED"]:
        return None
    storage_url = app.config["RATE_LIMIT_STORAGE_URL"]
    limiter = Limiter(
        # The client's address; behind a proxy, ProxyFix (TRUSTED_PROXY_COUNT) has already
        # put the visitor's own address from X-Forwarded-For here.
        get_remote_address,
        storage_uri=storage_url,
        storage_options=_storage_options(storage_url),
        strategy="fixed-window",
        key_prefix="retreats",
        # If Redis goes away, each process counts in memory until it is back: bookings go on.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        headers_enabled=False,
    )
    limiter.init_app(app)
    for scope, named in ROUTE_LIMITS.items():
        limit = limiter.shared_limit(
            named.limits, scope=scope, methods=list(named.methods) if named.methods else None
        )
        for endpoint in named.endpoints:
            if endpoint not in app.view_functions:
                raise LookupError(f"rate limit {scope!r} names an unknown endpoint {endpoint!r}")
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    limited_endpoints = {name for named in ROUTE_LIMITS.values() for name in named.endpoints}

    @limiter.request_filter
    def not_a_limited_page() -> bool:
        # Flask-Limiter checks every request; the catalog pages, served thousands of times a
        # second in a rush, skip its work at once.
        return request.endpoint not in limited_endpoints

    app.extensions[EXTENSION_KEY] = limiter
    return limiter


def _storage_options(storage_url: str) -> dict:
    if storage_url.startswith(("redis://", "rediss://", "redis+unix://")):
        return {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
        }
    return {}


def seconds_until_retry() -> int:
    """How long the refused visitor should wait: until the breached limit's window ends."""
    limiter: Limiter | None = current_app.extensions.get(EXTENSION_KEY)
    breached = limiter.current_limit if limiter is not None else None
    if breached is None:
        return DEFAULT_RETRY_SECONDS
    try:
        window_ends_at = breached.window[0]
        return max(1, math.ceil(window_ends_at - time.time()))
    except Exception:  # the storage just failed: a guess beats a 500 page
        return DEFAULT_RETRY_SECONDS


def wait_in_words(seconds: int) -> str:
    """'30 seconds', '1 minute', '2 hours': rounded up, so the visitor never comes back early."""
    if seconds < 60:
        amount, unit = seconds, "second"
    elif seconds < 3600:
        amount, unit = math.ceil(seconds / 60), "minute"
    else:
        amount, unit = math.ceil(seconds / 3600), "hour"
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"
