"""OpenGraph and Twitter card tags and canonical links: absolute URLs from PUBLIC_BASE_URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.discovery.head import head_of

COVER = "0123456789abcdef0123456789abcdef-1200x800.jpg"


def test_a_retreat_page_has_its_preview_tags_and_canonical_url(app, client, make_retreat):
    retreat = make_retreat(cover_image=COVER)
    base = app.config["PUBLIC_BASE_URL"]
    page_url = f"{base}/retreats/{retreat.slug}"

    head = head_of(client.get(f"/retreats/{retreat.slug}?utm_source=chat&x=1").text)

    assert head.links["canonical"] == page_url  # no query string
    assert head.meta["og:url"] == page_url
    assert head.meta["og:title"] == retreat.title
    assert head.meta["og:description"] == retreat.summary
    assert head.meta["og:type"] == "website"
    assert head.meta["og:site_name"] == "Open Hearts"
    assert head.meta["og:image"] == f"{base}/media/covers/{COVER}"
    assert (head.meta["og:image:width"], head.meta["og:image:height"]) == ("1200", "800")
    assert head.meta["twitter:card"] == "summary_large_image"
    assert head.meta["twitter:image"] == f"{base}/media/covers/{COVER}"
    assert head.meta["twitter:title"] == retreat.title


def test_without_a_cover_the_card_is_a_plain_summary(client, make_retreat):
    retreat = make_retreat()
    head = head_of(client.get(f"/retreats/{retreat.slug}").text)
    assert head.meta["twitter:card"] == "summary"
    assert "og:image" not in head.meta and "twitter:image" not in head.meta


def test_the_catalogs_canonical_url_keeps_its_filters_and_page_and_drops_the_rest(
    app, client, make_retreat
):
    make_retreat()
    base = app.config["PUBLIC_BASE_URL"]

    plain = head_of(client.get("/?utm_campaign=spring&fbclid=abc").text)
    assert plain.links["canonical"] == f"{base}/"
    assert plain.meta["og:url"] == f"{base}/"
    assert plain.meta["og:type"] == "website"
    assert plain.meta["twitter:card"] == "summary"

    filtered = head_of(client.get("/?focus=spiritual&page=2&kind=nonsense&ref=x").text)
    canonical = urlsplit(filtered.links["canonical"])
    assert f"{canonical.scheme}://{canonical.netloc}" == base
    assert parse_qs(canonical.query) == {"focus": ["spiritual"], "page": ["2"]}

    assert head_of(client.get("/?page=1").text).links["canonical"] == f"{base}/"


def test_the_catalog_links_its_calendar_feed(app, client):
    html = client.get("/").text
    assert head_of(html).links["alternate"] == f"{app.config['PUBLIC_BASE_URL']}/calendar.ics"
    assert '<a href="/calendar.ics">Subscribe to the calendar</a>' in html


def test_absolute_urls_ignore_the_host_the_request_names(app, client, make_retreat):
    """The pages are kept for everyone: a forged Host header must not reach what they link."""
    retreat = make_retreat(cover_image=COVER)
    for path in ("/", f"/retreats/{retreat.slug}"):
        html = client.get(path, headers={"Host": "attacker.example"}).text
        assert "attacker.example" not in html
        assert head_of(html).links["canonical"].startswith(app.config["PUBLIC_BASE_URL"])


def test_the_finder_names_its_canonical_url_whatever_was_answered(app, client):
    head = head_of(client.get("/find?focus=emotional&audience=couples").text)
    assert head.links["canonical"] == f"{app.config['PUBLIC_BASE_URL']}/find"
