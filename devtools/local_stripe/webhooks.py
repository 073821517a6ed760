# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""Webhook delivery signed as Stripe signs, retried as Stripe retries.

localstripe's ``_send_webhook`` posts each event once; ``install_webhook_delivery`` puts
``deliver_event`` in its place (``schedule_webhook`` looks it up when it runs).
"""

import asyncio
import hashlib
import hmac
import json
import logging
import time

import aiohttp
import localstripe.webhooks
from localstripe.resources import Event

FIRST_DELIVERY_DELAY = 0.5  # let the API response that caused the event go out first
RETRY_DELAYS = (1.0, 2.0, 4.0)  # back-off between attempts after a failure
ATTEMPT_TIMEOUT = aiohttp.ClientTimeout(total=10)

log = logging.getLogger(__name__)

# Deliveries still running, held so that the event loop does not drop them half-way.
_in_flight: set[asyncio.Task] = set()


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header: ``t=<unix time>,v1=<HMAC-SHA256 of "t.payload">``."""
    signed = b"%d.%s" % (timestamp, payload)
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


async def deliver_to_endpoint(
    http: aiohttp.ClientSession, url: str, secret: str, event_type: str, payload: bytes
) -> bool:
    """Post one event to one endpoint until it answers 2xx or the attempts run out."""
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS), start=1):
        if delay:
            await asyncio.sleep(delay)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            # Signed at each attempt, like Stripe, so a late retry is still within tolerance.
            "Stripe-Signature": signature_header(payload, secret, int(time.time())),
        }
        try:
            async with http.post(url, data=payload, headers=headers) as response:
                if 200 <= response.status < 300:
                    log.info("webhook %s delivered to %s", event_type, url)
                    return True
                reason = f"HTTP {response.status}"
        except (TimeoutError, aiohttp.ClientError) as error:
            reason = str(error) or type(error).__name__
        log.warning("webhook %s to %s, attempt %d failed: %s", event_type, url, attempt, reason)
    log.error("webhook %s to %s given up after %d attempts", event_type, url, attempt)
    return False


async def deliver_event(event: Event) -> None:
    """Send one event to every registered endpoint that wants it."""
    _in_flight.add(asyncio.current_task())
    try:
        payload = json.dumps(event._export(), indent=2, sort_keys=True).encode("utf-8")
        await asyncio.sleep(FIRST_DELIVERY_DELAY)
        endpoints = [
            webhook
            for webhook in localstripe.webhooks._webhooks.values()
            if webhook.events is None or event.type in webhook.events
        ]
        if not endpoints:
            return
        async with aiohttp.ClientSession(timeout=ATTEMPT_TIMEOUT) as http:
            await asyncio.gather(
                *(
                    deliver_to_endpoint(http, webhook.url, webhook.secret, event.type, payload)
                    for webhook in endpoints
                )
            )
    finally:
        _in_flight.discard(asyncio.current_task())


def install_webhook_delivery() -> None:
    localstripe.webhooks._send_webhook = deliver_event
