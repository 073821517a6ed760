"""A card says "Early bird" while an early-bird price is on sale, in the retreat's own calendar."""

from __future__ import annotations

from datetime import timedelta

from retreats.database import utcnow
from tests.factories import add_ticket_type


def test_the_card_shows_the_early_bird_until_its_sale_ends(client, db, make_retreat):
    with_early_bird = make_retreat(title="Early Retreat", timezone="Pacific/Auckland")
    ends = (utcnow() + timedelta(days=5)).replace(hour=11, minute=30)  # the next day in Auckland
    add_ticket_type(with_early_bird, name="Early bird", sale_ends_at=ends)
    make_retreat(title="Plain Retreat")

    page = client.get("/").get_data(as_text=True)

    local_end = ends.astimezone(with_early_bird.zone).strftime("%-d %b")
    assert page.count("Early bird until") == 1  # on the one card that has an early bird
    assert f"Early bird until {local_end}" in page


def test_an_ended_early_bird_is_not_announced(client, db, make_retreat):
    retreat = make_retreat(title="Late Retreat")
    add_ticket_type(retreat, name="Early bird", sale_ends_at=utcnow() - timedelta(days=1))

    assert "Early bird until" not in client.get("/").get_data(as_text=True)
