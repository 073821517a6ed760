"""Listing cards kept for what they show (retreats/catalog/cards.py): a catalog rendered anew
after a booking renders only the card that changed, and any change a card shows renders it anew.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

import retreats.catalog.cards as cards
from retreats.listings.models import Retreat
from tests.factories import CY, held_booking


@pytest.fixture(autouse=True)
def read_the_state_on_every_request(app):
    app.config["PUBLIC_PAGE_RECHECK_MS"] = 0


@pytest.fixture
def card_renders(monkeypatch) -> list[str]:
    """The titles of the cards rendered, in order."""
    rendered: list[str] = []
    render = cards.render_piece

    def counting(template_name: str, **values):
        rendered.append(values["listing"].retreat.title)
        return render(template_name, **values)

    monkeypatch.setattr(cards, "render_piece", counting)
    return rendered


def catalog(app) -> str:
    with app.app_context():
        response = app.test_client().get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_after_a_booking_only_its_card_is_rendered_anew(app, make_retreat, card_renders):
    first, second, third = (make_retreat(capacity=4) for _ in range(3))
    page = catalog(app)
    assert sorted(card_renders) == sorted(r.title for r in (first, second, third))
    assert page.count("4 places left") == 3

    card_renders.clear()
    held_booking(second, CY)
    page = catalog(app)

    assert card_renders == [second.title]
    assert page.count("4 places left") == 2 and page.count("3 places left") == 1


@pytest.mark.parametrize("how", ["through the ORM", "through a bulk UPDATE"])
def test_an_edit_a_card_shows_renders_it_anew(app, db, make_retreat, card_renders, how):
    retreat = make_retreat()
    assert retreat.title in catalog(app)

    if how == "through the ORM":
        retreat.title = "Slow mornings by the sea"
    else:
        db.session.execute(
            update(Retreat).where(Retreat.id == retreat.id).values(title="Slow mornings by the sea")
        )
    db.session.commit()
    page = catalog(app)

    assert "Slow mornings by the sea" in page
    assert card_renders[-1] == "Slow mornings by the sea"
