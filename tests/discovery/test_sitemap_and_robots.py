"""sitemap.xml lists the public upcoming pages only; robots.txt keeps crawlers out of the rest."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

from retreats.database import utcnow
from retreats.listings.models import RetreatStatus

NAMESPACE = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_of(client) -> dict[str, str | None]:
    """{location: lastmod} of a well-formed sitemaps.org urlset."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)  # noqa: S314  # our own, trusted output
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return {
        url.findtext("sm:loc", namespaces=NAMESPACE): url.findtext(
            "sm:lastmod", namespaces=NAMESPACE
        )
        for url in root.findall("sm:url", NAMESPACE)
    }


def test_the_sitemap_lists_the_catalog_and_only_public_upcoming_retreats(app, client, make_retreat):
    base = app.config["PUBLIC_BASE_URL"]
    public = [make_retreat(), make_retreat(starts_in=timedelta(days=90))]
    draft = make_retreat(status=RetreatStatus.DRAFT)
    past = make_retreat(starts_in=timedelta(days=-3))
    cancelled = make_retreat(status=RetreatStatus.CANCELLED, cancelled_at=utcnow())

    entries = sitemap_of(client)

    organizer_page = f"{base}/o/{public[0].organizer.slug}"
    assert set(entries) == {f"{base}/", organizer_page} | {
        f"{base}/retreats/{r.slug}" for r in public
    }
    for hidden in (draft, past, cancelled):
        assert f"{base}/retreats/{hidden.slug}" not in entries
    lastmod = entries[f"{base}/retreats/{public[0].slug}"]
    assert lastmod == public[0].updated_at.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert not any("/organizer" in url or "/bookings" in url for url in entries)


def test_each_organizer_with_upcoming_retreats_has_their_page_in_the_sitemap(
    app, client, make_retreat, other_organizer
):
    """Their public page, last changed with their latest retreat; an organizer with nothing
    upcoming (a draft only) is left out."""
    base = app.config["PUBLIC_BASE_URL"]
    first = make_retreat()
    latest = make_retreat(starts_in=timedelta(days=60))
    make_retreat(organizer=other_organizer, status=RetreatStatus.DRAFT)

    entries = sitemap_of(client)

    organizer_pages = {url: moment for url, moment in entries.items() if "/o/" in url}
    newest = max(first.updated_at, latest.updated_at)
    assert organizer_pages == {
        f"{base}/o/{first.organizer.slug}": newest.replace(microsecond=0).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    }


def test_an_empty_catalog_gives_a_sitemap_with_the_catalog_alone(app, client):
    assert sitemap_of(client) == {f"{app.config['PUBLIC_BASE_URL']}/": None}


def test_a_listing_leaves_the_kept_sitemap_when_it_is_unpublished(app, db, client, make_retreat):
    retreat = make_retreat()
    url = f"{app.config['PUBLIC_BASE_URL']}/retreats/{retreat.slug}"
    assert url in sitemap_of(client)
    assert url in sitemap_of(client)  # now served from memory

    retreat.status = RetreatStatus.DRAFT
    db.session.commit()
    assert url not in sitemap_of(client)

    retreat.status = RetreatStatus.PUBLISHED
    db.session.commit()
    assert url in sitemap_of(client)


def count_for(app, count_statements, path: str) -> int:
    client = app.test_client()
    with app.app_context(), count_statements() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_the_sitemap_and_feed_take_two_statements_whatever_the_number_of_retreats(
    app, db, make_retreat, count_statements
):
    """The state, then the retreats with their organizers; a kept answer needs the state only."""
    make_retreat()
    few = [count_for(app, count_statements, path) for path in ("/sitemap.xml", "/calendar.ics")]
    for _ in range(6):
        make_retreat()
    many = [count_for(app, count_statements, path) for path in ("/sitemap.xml", "/calendar.ics")]
    assert few == many == [2, 2]
    assert count_for(app, count_statements, "/sitemap.xml") == 1  # kept


def test_robots_txt_keeps_crawlers_to_the_public_pages(app, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    disallowed = {line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow")}
    for private in ("/organizer/", "/bookings/", "/admin/", "/gift-vouchers/"):
        assert private in disallowed
    assert "/retreats/*/book" in disallowed  # the booking form, not the retreat page
    assert not any(path in ("/", "/retreats/", "/media/") for path in disallowed)
    assert f"Sitemap: {app.config['PUBLIC_BASE_URL']}/sitemap.xml" in lines


def test_a_forged_host_reaches_neither_the_sitemap_nor_robots_txt(app, client, make_retreat):
    make_retreat()
    for path in ("/sitemap.xml", "/robots.txt", "/sitemap.xml"):
        text = client.get(path, headers={"Host": "attacker.example"}).text
        assert "attacker.example" not in text
        assert app.config["PUBLIC_BASE_URL"] in text
