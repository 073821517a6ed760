"""Every answer carries the security headers; the templates need nothing the policy forbids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retreats.booking.tokens import booking_token
from tests.factories import CY, paid_booking

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.mark.parametrize(
    "path", ["/", "/find", "/organizer/login", "/retreats/no-such-retreat", "/healthz"]
)
def test_every_answer_has_a_strict_content_security_policy(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'"  # no clickjacking through a frame
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'self'"
    assert "unsafe" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_retreat_page_has_the_policy_too(client, make_retreat):
    response = client.get(f"/retreats/{make_retreat().slug}")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_no_page_template_has_inline_script_style_or_event_handlers():
    """The policy refuses them; the browser journeys also fail on any console CSP report. A script
    file of our own (`<script src=…>`, served from 'self') is allowed, a script body is not,
    but for a JSON-LD data block (schema.org data, never run, so the policy has no say in it)."""
    inline = re.compile(
        r"<script(?![^>]*\ssrc=)(?! type=\"application/ld\+json\">)|<style|\sstyle=|\son[a-z]+=|"
        r"javascript:",
        re.IGNORECASE,
    )
    offenders = [
        f"{template.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for template in TEMPLATES.rglob("*.html")
        if "email" not in template.relative_to(TEMPLATES).parts  # mail clients, not browsers
        for match in inline.finditer(template.read_text())
    ]
    assert offenders == []


def test_pages_behind_a_secret_link_are_never_cached(app, client, make_retreat):

    booking = paid_booking(make_retreat(), CY)
    response = client.get(
        f"/bookings/{booking.reference}", query_string={"t": booking_token(booking.reference)}
    )

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
