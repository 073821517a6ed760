"""How money, dates and Markdown are shown: Jinja filters and the functions behind them."""

from __future__ import annotations

import html
import re
from datetime import datetime

import markdown
import nh3
from flask import Flask
from markupsafe import Markup

# ISO 4217 currencies without minor units (Stripe's "zero-decimal" list, the ones we may meet).
ZERO_DECIMAL_CURRENCIES = {"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX", "XAF", "XOF"}
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "AUD": "A$", "CAD": "C$", "JPY": "¥"}

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "h2", "h3", "h4",
    "a", "hr", "code", "pre",
}  # fmt: skip


def format_money(amount_minor: int, currency: str) -> str:
    """450000, "EUR" → "€4,500.00"; 5000, "CHF" → "CHF 50.00"; -2500, "EUR" → "−€25.00"."""
    code = currency.upper()
    sign = "−" if amount_minor < 0 else ""
    amount_minor = abs(amount_minor)
    if code in ZERO_DECIMAL_CURRENCIES:
        number = f"{amount_minor:,}"
    else:
        number = f"{amount_minor / 100:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{code} {number}"


def format_date(moment: datetime) -> str:
    """A local datetime → "Fri 15 Jan 2027"."""
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def format_date_range(starts_at: datetime, ends_at: datetime) -> str:
    """Two local datetimes → "Fri 13 – Sun 15 Mar 2027" or "Thu 4 Feb 2027, 18:30–21:00"."""
    if starts_at.date() == ends_at.date():
        return f"{starts_at:%a} {starts_at.day} {starts_at:%b %Y, %H:%M}–{ends_at:%H:%M}"
    if starts_at.year != ends_at.year:
        return (
            f"{starts_at:%a} {starts_at.day} {starts_at:%b %Y} – "
            f"{ends_at:%a} {ends_at.day} {ends_at:%b %Y}"
        )
    start_month = f" {starts_at:%b}" if starts_at.month != ends_at.month else ""
    return (
        f"{starts_at:%a} {starts_at.day}{start_month} – {ends_at:%a} {ends_at.day} {ends_at:%b %Y}"
    )


def format_time_range(starts_at: datetime, ends_at: datetime) -> str:
    """Two local datetimes → "18:30 to 21:00" or "Friday 17:00 to Sunday 14:00"."""
    if starts_at.date() == ends_at.date():
        return f"{starts_at:%H:%M} to {ends_at:%H:%M}"
    return f"{starts_at:%A %H:%M} to {ends_at:%A %H:%M}"


def zone_label(timezone: str) -> str:
    """ "America/New_York" → "New York time"."""
    return timezone.rsplit("/", 1)[-1].replace("_", " ") + " time"


LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s")


def _blank_line_before_lists(text: str) -> str:
    """Let a list follow its paragraph directly, as people write it (and GitHub renders it)."""
    lines: list[str] = []
    for line in text.splitlines():
        previous = lines[-1] if lines else ""
        if LIST_ITEM.match(line) and previous.strip() and not LIST_ITEM.match(previous):
            lines.append("")
        lines.append(line)
    return "\n".join(lines)


def render_markdown(text: str | None) -> Markup:
    """Markdown written by organizers → HTML with only harmless tags and safe links."""
    html = markdown.markdown(_blank_line_before_lists(text or ""), extensions=["sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # Sanitised by nh3 just above, so neither ruff S704 nor bandit B704 applies.
    return Markup(clean)  # noqa: S704  # nosec B704


def markdown_as_text(text: str | None) -> str:
    """Markdown for a plain-text email: as written, less any HTML in it (tags, and whatever a
    script or style element holds), so no markup reaches a client that might render it."""
    return html.unescape(nh3.clean(text or "", tags=set()))


def register_filters(app: Flask) -> None:
    app.add_template_filter(format_money, "money")
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(markdown_as_text, "markdown_as_text")
    app.add_template_filter(zone_label, "zone_label")
    app.add_template_filter(format_date, "date")
    app.add_template_global(format_date_range, "date_range")
    app.add_template_global(format_time_range, "time_range")


def major_units(amount_minor: int, currency: str) -> str:
    """45000, "EUR" → "450.00"; 5000, "JPY" → "5000": a plain number a spreadsheet can sum."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return str(amount_minor)
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"
