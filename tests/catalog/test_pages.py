"""The public catalog and retreat pages."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from retreats.database import utcnow
from retreats.listings.models import Focus, RetreatKind, RetreatStatus
from tests.factories import attendee, held_booking


def test_catalog_lists_upcoming_published_soonest_first(client, make_retreat):
    later = make_retreat(starts_in=timedelta(days=60), title="Later Retreat")
    sooner = make_retreat(starts_in=timedelta(days=10), title="Sooner Retreat")
    make_retreat(status=RetreatStatus.DRAFT, title="Draft Retreat")
    make_retreat(status=RetreatStatus.CANCELLED, title="Cancelled Retreat")
    make_retreat(starts_in=timedelta(days=-3), title="Past Retreat")
    html = client.get("/").get_data(as_text=True)
    assert html.index(sooner.title) < html.index(later.title)
    for hidden in ("Draft Retreat", "Cancelled Retreat", "Past Retreat"):
        assert hidden not in html


def test_catalog_card_shows_local_dates_place_lowest_price_and_seats(client, make_retreat):
    # 20:00 UTC is the next morning in Sydney: the card must show Sydney's day and hours.
    starts_at = (utcnow() + timedelta(days=30)).replace(hour=20, minute=0, second=0, microsecond=0)
    make_retreat(
        title="Sydney Weekend",
        timezone="Australia/Sydney",
        currency="AUD",
        capacity=7,
        tickets=[("Couple", 90_000, 2), ("Individual", 50_000, 1)],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
    )
    local_start = starts_at.astimezone(ZoneInfo("Australia/Sydney"))
    local_end = local_start + timedelta(hours=3)
    html = client.get("/").get_data(as_text=True)
    assert local_start.date() != starts_at.date()
    assert (
        f"{local_start:%a} {local_start.day} {local_start:%b %Y, %H:%M}–{local_end:%H:%M}" in html
    )
    assert "20:00–23:00" not in html
    assert "from A$500.00" in html
    assert "7 places left" in html
    assert "Quinta do Vale, Sintra, Portugal" in html


def test_sold_out_is_shown_on_the_card_and_the_page(client, make_retreat):
    retreat = make_retreat(capacity=1, title="Tiny Circle")
    held_booking(retreat, attendee("a@example.org", "A"))
    assert "Sold out" in client.get("/").get_data(as_text=True)
    page = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert "Sold out" in page
    assert "Book your place" not in page


def test_filters_by_kind_focus_audience_and_month(client, make_retreat):
    workshop = make_retreat(
        title="Spirit Workshop", kind=RetreatKind.WORKSHOP, focus=Focus.SPIRITUAL
    )
    retreat = make_retreat(title="Emotion Retreat", starts_in=timedelta(days=90))
    html = client.get("/?kind=workshop").get_data(as_text=True)
    assert workshop.title in html and retreat.title not in html
    html = client.get("/?focus=emotional").get_data(as_text=True)
    assert retreat.title in html and workshop.title not in html
    month = retreat.local_starts_at.strftime("%Y-%m")
    html = client.get(f"/?month={month}").get_data(as_text=True)
    assert retreat.title in html and workshop.title not in html
    # Nonsense filters are ignored, not an error.
    response = client.get("/?kind=<script>&month=2027-13&page=abc")
    assert response.status_code == 200
    assert workshop.title in response.get_data(as_text=True)


def test_detail_page_shows_description_tiers_policy_and_book_button(client, make_retreat):
    retreat = make_retreat(description_md="We **listen**.\n\n<script>alert(1)</script>")
    html = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert "<strong>listen</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "Individual" in html and "€250.00" in html
    assert "Couple (2 people)" in html and "€450.00" in html
    assert "Full refund until 30 days before." in html
    assert f'href="/retreats/{retreat.slug}/book"' in html


def test_unknown_and_draft_retreats_are_404_with_a_page(client, make_retreat):
    draft = make_retreat(status=RetreatStatus.DRAFT)
    for path in (f"/retreats/{draft.slug}", "/retreats/nothing-here"):
        response = client.get(path)
        assert response.status_code == 404
        assert "We could not find that page" in response.get_data(as_text=True)


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
