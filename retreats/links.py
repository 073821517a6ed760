"""Absolute links for emails and Stripe, built from PUBLIC_BASE_URL (no request needed)."""

from __future__ import annotations

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    adapter = current_app.url_map.bind("public")
    return current_app.config["PUBLIC_BASE_URL"] + adapter.build(endpoint, values)


def manage_url(booking, token: str) -> str:
    return public_url("booking.manage", reference=booking.reference, t=token)
