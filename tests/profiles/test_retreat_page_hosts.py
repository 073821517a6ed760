"""A retreat page shows its organizer, facilitators and venue for one statement more, however
many facilitators and venue photos it has; a change to any of them shows at once."""

from __future__ import annotations

from tests.catalog.statements import statements_to_render
from tests.factories import create_facilitator, create_venue

PHOTO = "0123456789abcdef0123456789abcdef-40x30.jpg"


def statements_for(app, count_statements, path: str) -> tuple[str, list[str]]:
    client = app.test_client()
    with app.app_context(), count_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def test_hosts_cost_one_statement_whatever_their_number(
    app, db, organizer, make_retreat, count_statements
):
    bare = make_retreat()
    hosted = make_retreat()
    for number in range(4):
        create_facilitator(organizer, name=f"Facilitator {number}", retreats=[hosted])
    create_venue(organizer, name="Quinta", photos=[PHOTO] * 3, retreats=[hosted])

    _, for_bare = statements_for(app, count_statements, f"/retreats/{bare.slug}")
    page, for_hosted = statements_for(app, count_statements, f"/retreats/{hosted.slug}")

    assert "Facilitator 3" in page and page.count(PHOTO) == 3
    assert len(for_bare) == len(for_hosted) == statements_to_render("/retreats/x"), for_hosted


def test_a_changed_facilitator_shows_on_the_kept_retreat_page(db, client, organizer, make_retreat):
    retreat = make_retreat()
    mira = create_facilitator(organizer, name="Mira Okafor", retreats=[retreat])
    assert "Mira Okafor" in client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)

    mira.name = "Mira O. Okafor"
    db.session.commit()

    assert "Mira O. Okafor" in client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
