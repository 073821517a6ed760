"""How money, dates and organizer Markdown are shown."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from retreats.formatting import (
    format_date_range,
    format_money,
    format_time_range,
    render_markdown,
    zone_label,
)

LISBON = ZoneInfo("Europe/Lisbon")


def test_money_in_minor_units():
    assert format_money(89_000, "EUR") == "€890.00"
    assert format_money(123_456, "usd") == "$1,234.56"
    assert format_money(5_000, "CHF") == "CHF 50.00"
    assert format_money(5_000, "JPY") == "¥5,000"


def test_date_ranges_read_naturally():
    friday = datetime(2027, 1, 22, 17, 0, tzinfo=LISBON)
    sunday = datetime(2027, 1, 24, 14, 0, tzinfo=LISBON)
    assert format_date_range(friday, sunday) == "Fri 22 – Sun 24 Jan 2027"
    assert format_time_range(friday, sunday) == "Friday 17:00 to Sunday 14:00"
    evening_end = datetime(2027, 1, 22, 21, 30, tzinfo=LISBON)
    assert format_date_range(friday, evening_end) == "Fri 22 Jan 2027, 17:00–21:30"
    month_end = datetime(2027, 2, 2, 12, 0, tzinfo=LISBON)
    assert format_date_range(friday, month_end) == "Fri 22 Jan – Tue 2 Feb 2027"
    new_year = datetime(2027, 1, 2, 12, 0, tzinfo=LISBON)
    december = datetime(2026, 12, 30, 12, 0, tzinfo=LISBON)
    assert format_date_range(december, new_year) == "Wed 30 Dec 2026 – Sat 2 Jan 2027"
    assert zone_label("America/New_York") == "New York time"


def test_markdown_is_rendered_and_sanitised():
    html = str(
        render_markdown(
            "**Bring** socks\n- a journal\n- water\n\n"
            '<script>alert(1)</script><iframe src="x"></iframe>'
            '[click](javascript:alert(1)) <a href="https://example.org" onclick="x()">ok</a>'
        )
    )
    assert "<strong>Bring</strong>" in html
    assert "<li>a journal</li>" in html
    assert "<script" not in html and "<iframe" not in html
    assert "javascript:" not in html and "onclick" not in html
    assert 'href="https://example.org"' in html
