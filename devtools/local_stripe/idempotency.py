# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""``Idempotency-Key`` on every ``POST /v1/…``, as Stripe does it.

The first response to a key is kept (in localstripe's store, so it persists) for 24 hours.
The same key with the same parameters replays it byte for byte with
``Idempotent-Replayed: true``; with other parameters or another endpoint it is refused with
an ``idempotency_error``. Like Stripe, requests refused before the endpoint ran (validation,
authentication, missing objects) are not kept, so they can be corrected and retried.
"""

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import store
from localstripe.server import get_post_data, json_response

KEY_LIFETIME_SECONDS = 24 * 60 * 60
STORE_PREFIX = "idempotency_key:"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Keys whose first request is still running, so a concurrent twin gets Stripe's 409.
_in_progress: set[str] = set()


@dataclass(frozen=True)
class KeptResponse:
    """The first response given to an idempotency key."""

    endpoint: str
    params_digest: str
    status: int
    content_type: str
    body: bytes
    created: float


def idempotency_error(message: str, status: int = 400, code: str | None = None) -> web.Response:
    error = {"type": "idempotency_error", "message": message}
    if code is not None:
        error["code"] = code
    return json_response({"error": error}, status=status)


async def params_digest(request: web.Request) -> str:
    params = await get_post_data(request, remove_auth=False) or {}
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_kept(response: web.StreamResponse) -> bool:
    # A 402 (card declined) means the endpoint ran: Stripe keeps it. Other 4xx are refusals
    # before anything happened.
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return False
    return response.status < 400 or response.status == 402 or response.status >= 500


def forget_old_keys(now: float) -> None:
    for key, value in list(store.items()):
        if isinstance(value, KeptResponse) and value.created < now - KEY_LIFETIME_SECONDS:
            del store[key]


def replay(kept: KeptResponse, key: str) -> web.Response:
    return web.Response(
        body=kept.body,
        status=kept.status,
        headers={
            "Content-Type": kept.content_type,
            "Idempotency-Key": key,
            "Idempotent-Replayed": "true",
        },
    )


def refusal_for_mismatch(kept: KeptResponse, key: str, endpoint: str, digest: str):
    if kept.endpoint != endpoint:
        return idempotency_error(
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{kept.endpoint}' vs '{endpoint}'). Try using a key other than "
            f"'{key}' if you meant to execute a different request."
        )
    if kept.params_digest != digest:
        return idempotency_error(
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request."
        )
    return None


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Replay, refuse, or run and keep the response, for POSTs to ``/v1/`` with a key."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)
    endpoint = f"POST {request.path}"
    digest = await params_digest(request)
    now = time.time()
    kept = store.get(STORE_PREFIX + key)
    if isinstance(kept, KeptResponse) and kept.created >= now - KEY_LIFETIME_SECONDS:
        return refusal_for_mismatch(kept, key, endpoint, digest) or replay(kept, key)
    if key in _in_progress:
        return idempotency_error(
            "There is currently another in-progress request using this Idempotency-Key "
            f"(that probably means you submitted twice, and the other request is still going "
            f"through): {key}. Please try again later.",
            status=409,
            code="idempotency_key_in_use",
        )
    _in_progress.add(key)
    try:
        try:
            response = await handler(request)
        except UserError as error:
            response = error.to_response()
    finally:
        _in_progress.discard(key)
    if is_kept(response):
        assert isinstance(response, web.Response) and isinstance(response.body, bytes)
        forget_old_keys(now)
        store[STORE_PREFIX + key] = KeptResponse(
            endpoint=endpoint,
            params_digest=digest,
            status=response.status,
            content_type=response.headers.get("Content-Type", "application/json"),
            body=response.body,
            created=now,
        )
    response.headers["Idempotency-Key"] = key
    return response
