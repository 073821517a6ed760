# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""localstripe's own aiohttp app, with our Checkout Sessions add-on fitted before it starts."""

import asyncio
import logging
from pathlib import Path

import localstripe.server
from aiohttp import web
from localstripe.resources import store
from localstripe.webhooks import register_webhook

from . import session as session_module
from .api import add_checkout_routes
from .idempotency import idempotency_middleware
from .intent_fields import install_payment_intent_fields
from .off_session import install_off_session_payments
from .pay_page import add_pay_page_routes
from .refunds import install_refund_events
from .state import keep_in_memory_only, use_state_dir
from .webhooks import install_webhook_delivery

WEBHOOK_ID = "local_stripe_cli"
PUBLIC_PATH_PREFIXES = ("/checkout/pay/",)  # the payer's browser has no API key
API_PATH_PREFIX = "/v1/"

log = logging.getLogger(__name__)

_configured = False


@web.middleware
async def auth_except_pay_page(request: web.Request, handler) -> web.StreamResponse:
    """localstripe's API-key check, except on the hosted pay page."""
    if request.path.startswith(PUBLIC_PATH_PREFIXES):
        return await handler(request)
    return await localstripe.server.auth_middleware(request, handler)


def api_delay_middleware(delay_ms: int):
    """Every API request waits ``delay_ms`` before it is handled, as real Stripe keeps a caller
    waiting; asleep, so a waiting request costs no CPU and the others go on meanwhile."""

    @web.middleware
    async def delay_api_requests(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith(API_PATH_PREFIX):
            await asyncio.sleep(delay_ms / 1000)
        return await handler(request)

    return delay_api_requests


def fit_middlewares(app: web.Application) -> None:
    # localstripe's order is error → auth → save store; keys are kept after auth, before save.
    middlewares = app.middlewares
    auth_position = middlewares.index(localstripe.server.auth_middleware)
    middlewares[auth_position] = auth_except_pay_page
    middlewares.insert(auth_position + 1, idempotency_middleware)


def configure_app(
    *,
    state_dir: Path,
    public_url: str,
    webhook_url: str | None,
    webhook_secret: str,
    from_scratch: bool,
    memory_only: bool = False,
    api_delay_ms: int = 0,
) -> web.Application:
    """Fit the add-on to ``localstripe.server.app`` (once per process) and return it.

    ``memory_only`` keeps the state in memory alone (nothing read or written, whatever
    ``from_scratch`` says); ``api_delay_ms`` makes every ``/v1/`` request wait that long.
    """
    global _configured
    if _configured:
        raise RuntimeError("the local Stripe app is configured once per process")
    _configured = True
    if memory_only:
        keep_in_memory_only()
        log.info("state kept in memory only")
    else:
        state_file = use_state_dir(state_dir)
        if not from_scratch:
            store.try_load_from_disk()
        store.dump_to_disk()  # the file now says what this server starts from
        log.info("state kept in %s", state_file)
    install_webhook_delivery()
    install_refund_events()
    install_payment_intent_fields()
    install_off_session_payments()
    if webhook_url:
        register_webhook(WEBHOOK_ID, webhook_url, webhook_secret, None)
        log.info("webhook events go to %s", webhook_url)
    session_module.pay_page_base_url = public_url.rstrip("/")
    app = localstripe.server.app
    fit_middlewares(app)
    if api_delay_ms:
        # Outermost: refusals and errors keep the caller waiting too, as Stripe's do.
        app.middlewares.insert(0, api_delay_middleware(api_delay_ms))
        log.info("API requests answered %d ms late", api_delay_ms)
    add_checkout_routes(app)
    add_pay_page_routes(app)
    return app
