"""Organizer Markdown with script, frames, event handlers and script links is neutralised
wherever it is shown: the public page, the organizer's preview, the guide page and the guide
email (its HTML part sanitised like the pages; its text part carries no markup at all)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from retreats.base.outbox import OutboxEmail
from retreats.booking.tokens import booking_token
from retreats.formatting import markdown_as_text
from retreats.notifications.messages import preparation_guide_message
from tests.html_forms import post_as_shown

HOSTILE_MD = "\n\n".join(
    [
        "We **listen**.",
        "<script>alert('script')</script>",
        '<iframe src="https://evil.example/frame"></iframe>',
        '<a href="https://example.org" onclick="alert(1)">click</a>',
        "<img src=x onerror=alert(1)>",
        '<p onmouseover="alert(1)">hover</p>',
        "[plain](javascript:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
        "[entity](&#106;avascript:alert(1))",
        '<a href="&#x6A;avascript&#58;alert(1)">hex entity</a>',
        '<a href=" \tjavascript:alert(1)">spaced</a>',
        "<svg onload=alert(1)></svg><object data=x></object><embed src=x>",
        "<style>body{display:none}</style>",
    ]
)
SAFE_SCHEMES = ("http:", "https:", "mailto:", "/", "#", "?")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("iframe", "object", "embed", "style"):  # the site draws its own <svg>
            self.problems.append(f"<{tag}>")
        attributes = dict(attrs)
        # A JSON-LD data block is never run (tests/discovery: nothing can break out of it).
        data_block = attributes.get("type") == "application/ld+json" and "src" not in attributes
        from_static = (attributes.get("src") or "").startswith("/static/")
        if tag == "script" and not data_block and not from_static:
            self.problems.append("<script> not from /static/")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in ("href", "src", "action", "formaction") and value is not None:
                url = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
                if ":" in url.split("/")[0] and not url.startswith(SAFE_SCHEMES):
                    self.problems.append(f"{tag} {name}={value!r}")


def active_content(page: str) -> list[str]:
    """Script, frames, event handlers and non-web links in an HTML document."""
    parser = _Tags()
    parser.feed(page)
    return parser.problems


def test_the_checker_sees_each_attack():
    assert len(active_content(HOSTILE_MD)) >= 12


@pytest.fixture
def hostile_retreat(make_retreat):
    return make_retreat(
        title="Hostile Markdown", description_md=HOSTILE_MD, preparation_guide_md=HOSTILE_MD
    )


def test_the_public_page_neutralises_it(client, hostile_retreat):
    page = client.get(f"/retreats/{hostile_retreat.slug}").get_data(as_text=True)
    assert "<strong>listen</strong>" in page
    assert active_content(page) == []


def test_the_organizer_preview_neutralises_it(organizer_client, make_retreat):
    retreat = make_retreat()
    response = post_as_shown(
        organizer_client,
        f"/organizer/retreats/{retreat.id}/edit",
        description_md=HOSTILE_MD,
        preparation_guide_md=HOSTILE_MD,
        save="",
        preview="Preview",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>listen</strong>" in page
    assert active_content(page) == []


def test_the_guide_page_neutralises_it(db, client, a_world):
    retreat, booking = a_world["retreat"], a_world["booking"]
    retreat.preparation_guide_md = HOSTILE_MD
    db.session.commit()
    response = client.get(
        f"/bookings/{booking.reference}/guide", query_string={"t": booking_token(booking.reference)}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>listen</strong>" in page
    assert active_content(page) == []


def test_the_guide_email_neutralises_it_in_both_parts(db, a_world):
    retreat, booking = a_world["retreat"], a_world["booking"]
    retreat.preparation_guide_md = HOSTILE_MD
    email = OutboxEmail(
        key=f"preparation_guide:{booking.id}",
        kind="preparation_guide",
        booking=booking,
        to_address=booking.contact_email,
    )
    db.session.add(email)
    db.session.commit()

    message = preparation_guide_message(email)

    assert "<strong>listen</strong>" in message.html
    assert active_content(message.html) == []
    assert "We **listen**." in message.text  # the text part shows the Markdown as written…
    assert active_content(message.text) == []  # …less any HTML in it
    assert not re.search(r"<\s*(script|iframe|img|svg|object|embed|style|a)\b", message.text)
    assert "alert('script')" not in message.text


def test_the_text_part_keeps_plain_characters():
    assert markdown_as_text("Tea & <b>cake</b> for < 5 € <script>x()</script>") == (
        "Tea & cake for < 5 € "
    )
