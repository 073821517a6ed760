# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""The ``/v1/checkout/sessions`` endpoints and the background expiry of lapsed sessions."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web
from localstripe.server import get_post_data, json_response, unflatten_data

from .card_saving import parse_card_saving
from .params import parse_create_params, reject_unknown
from .session import CheckoutSession, expandable_paths, expire_lapsed_sessions, find_session

EXPIRY_CHECK_SECONDS = 1.0

log = logging.getLogger(__name__)


async def create_session(request: web.Request) -> web.Response:
    """POST /v1/checkout/sessions: validate, create, return the open session."""
    data = dict(await get_post_data(request) or {})
    expand = expandable_paths(data.pop("expand", None))
    params = parse_create_params(data, now=int(time.time()))
    session = CheckoutSession(params, parse_card_saving(data))
    return json_response(session._export(expand=expand))


async def retrieve_session(request: web.Request) -> web.Response:
    """GET /v1/checkout/sessions/{id}, with ``expand[]=payment_intent`` or ``line_items``."""
    query = unflatten_data(request.query)
    expand = expandable_paths(query.pop("expand", None))
    reject_unknown(query, set())
    session = find_session(request.match_info["id"])
    return json_response(session._export(expand=expand))


async def expire_session(request: web.Request) -> web.Response:
    """POST /v1/checkout/sessions/{id}/expire: only an open session can be expired."""
    data = dict(await get_post_data(request) or {})
    expand = expandable_paths(data.pop("expand", None))
    reject_unknown(data, set())
    session = find_session(request.match_info["id"])
    session._expire()
    return json_response(session._export(expand=expand))


async def lapse_session(request: web.Request) -> web.Response:
    """POST /_config/checkout/sessions/{id}/lapse: test hook, the session's time is up now.

    The background sweep then expires it exactly as it would at the real ``expires_at``.
    """
    session = find_session(request.match_info["id"])
    session.expires_at = int(time.time())
    return json_response(session._export())


async def sweep_lapsed_sessions_forever() -> None:
    while True:
        try:
            expire_lapsed_sessions()
        except Exception:  # keep sweeping: one bad object must not stop expiry for good
            log.exception("expiring lapsed checkout sessions failed")
        await asyncio.sleep(EXPIRY_CHECK_SECONDS)


async def expiry_sweeper(app: web.Application) -> AsyncIterator[None]:
    """aiohttp cleanup context: run the sweep while the server runs."""
    task = asyncio.create_task(sweep_lapsed_sessions_forever())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_checkout_routes(app: web.Application) -> None:
    app.router.add_post("/v1/checkout/sessions", create_session)
    app.router.add_get("/v1/checkout/sessions/{id}", retrieve_session)
    app.router.add_post("/v1/checkout/sessions/{id}/expire", expire_session)
    app.router.add_post("/_config/checkout/sessions/{id}/lapse", lapse_session)
    app.cleanup_ctx.append(expiry_sweeper)
