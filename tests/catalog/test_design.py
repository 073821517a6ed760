"""The design's promises: demo covers shipped small, covers that do not shift the layout, a
placeholder without one, the page's landmarks and navigation, and colours that keep contrast."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from retreats.base.stored_files import COVER_NAME, cover_size
from retreats.demo.seed import DEMO_LISTINGS, seed_demo_data
from retreats.listings.models import Focus, Retreat
from tests.factories import attendee, held_booking

ROOT = Path(__file__).resolve().parents[2]
DEMO_COVERS = ROOT / "static" / "demo-covers"
SITE_CSS = ROOT / "static" / "css" / "site.css"


def sold_out_retreat(make_retreat) -> Retreat:
    retreat = make_retreat(capacity=1, title="Full Circle")
    held_booking(retreat, attendee("a@example.org", "A"))
    return retreat


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return app_config


@pytest.mark.parametrize("slug", [listing.slug for listing in DEMO_LISTINGS])
def test_every_demo_listing_ships_a_small_cover(slug):
    path = DEMO_COVERS / f"{slug}.webp"

    assert path.is_file(), "run devtools/make_demo_covers.py"
    assert path.stat().st_size <= 40_000
    with Image.open(path) as picture:
        assert picture.format == "WEBP"
        assert picture.size == (1200, 675)


def test_the_seed_gives_each_demo_retreat_its_cover_served_like_an_upload(app, db, client):
    seed_demo_data()
    retreats = db.session.scalars(select(Retreat)).all()

    assert len(retreats) == len(DEMO_LISTINGS)
    for retreat in retreats:
        assert COVER_NAME.match(retreat.cover_image or ""), retreat.slug
        assert cover_size(retreat.cover_image) == (1200, 675)
        stored = Path(app.config["UPLOAD_FOLDER"]) / "covers" / retreat.cover_image
        assert stored.read_bytes() == (DEMO_COVERS / f"{retreat.slug}.webp").read_bytes()
    served = client.get(f"/media/covers/{retreats[0].cover_image}")
    assert served.status_code == 200
    assert served.mimetype == "image/webp"
    # A few listings share nothing: every listing has a picture of its own.
    assert len({retreat.cover_image for retreat in retreats}) == len(retreats)


def test_cover_images_have_size_and_only_later_cards_load_lazily(app, db, client):
    seed_demo_data()

    html = client.get("/").get_data(as_text=True)
    images = re.findall(r"<img [^>]*>", html)

    assert len(images) >= 6
    for image in images:
        assert 'alt=""' in image and 'width="1200" height="675"' in image
    assert not any('loading="lazy"' in image for image in images[:3])
    assert all('loading="lazy"' in image for image in images[3:])


def test_a_listing_without_a_cover_gets_a_placeholder_by_focus(client, make_retreat):
    retreat = make_retreat(title="Plain Spirit", focus=Focus.SPIRITUAL)

    catalog = client.get("/").get_data(as_text=True)
    page = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)

    assert "<img " not in catalog
    assert 'class="cover-placeholder cover-spiritual"' in catalog
    assert 'class="cover-placeholder cover-spiritual"' in page
    css = SITE_CSS.read_text()
    for focus in Focus:
        assert f".cover-{focus.value} {{" in css


def page_structure_problems(html: str) -> list[str]:
    """What breaks the page's outline: landmarks, headings, duplicate ids, the skip link."""
    problems = []
    for tag in ("header", "nav", "main", "footer"):
        if f"<{tag}" not in html:
            problems.append(f"no <{tag}>")
    if html.count("<main") != 1:
        problems.append("more than one <main>")
    if len(re.findall(r"<h1[ >]", html)) != 1:
        problems.append("not exactly one h1")
    duplicates = [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
    if duplicates:
        problems.append(f"duplicate ids {duplicates}")
    if '<a class="skip-link" href="#main">' not in html or 'id="main"' not in html:
        problems.append("no skip link to #main")
    for image in re.findall(r"<img [^>]*>", html):
        if " alt=" not in image:
            problems.append(f"image without alt: {image}")
    return problems


def test_public_pages_keep_their_landmarks_and_one_h1(app, db, client, make_retreat):
    seed_demo_data()
    sold_out = sold_out_retreat(make_retreat)
    paths = ["/", "/?focus=physical", "/retreats/couples-intimacy-weekend"]
    paths += [f"/retreats/{sold_out.slug}", "/no-such-page", "/organizer/login"]

    for path in paths:
        html = client.get(path).get_data(as_text=True)
        assert page_structure_problems(html) == [], path


def test_the_organizer_dashboard_keeps_its_landmarks(app, organizer, make_retreat):
    make_retreat(title="Dense Retreat")
    signed_in = app.test_client()
    with signed_in.session_transaction() as session:
        session["_user_id"] = organizer.get_id()
        session["_fresh"] = True

    html = signed_in.get("/organizer/").get_data(as_text=True)

    assert page_structure_problems(html) == []
    assert 'aria-label="Organizer"' in html
    assert "Sign out" in html


def test_the_header_links_browse_the_finder_when_it_exists_and_organizers(app, client):
    html = client.get("/").get_data(as_text=True)
    header = html[html.index("<header") : html.index("</header>")]

    assert 'href="/" aria-current="page">Browse retreats</a>' in header
    assert 'href="/organizer/login">For organizers</a>' in header
    if "finder.find" in app.view_functions:
        assert ">Find your retreat</a>" in header
    else:
        assert "Find your retreat" not in html


def test_the_sold_out_badge_and_the_waitlist_on_the_card(client, make_retreat):
    sold_out_retreat(make_retreat)

    html = client.get("/").get_data(as_text=True)
    card = html[html.index('<article class="card') : html.index("</article>")]

    assert '<span class="badge badge-soldout">Sold out</span>' in card
    assert "Waitlist open" in card


# Text colour, background colour: the pairs the stylesheet sets for text. WCAG AA: 4.5:1.
def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_colours_keep_contrast():
    css = SITE_CSS.read_text()
    palette = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css.split("}", 1)[0]))
    for text in ("ink", "muted", "accent", "accent-dark", "warn"):
        for background in ("paper", "card", "sand", "accent-soft"):
            ratio = contrast(palette[text], palette[background])
            assert ratio >= 4.5, (text, background, round(ratio, 2))
    assert contrast("#ffffff", palette["accent"]) >= 4.5  # primary buttons
    badges = re.findall(
        r"\.(badge-[a-z-]+) \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6});", css
    )
    assert {name for name, _, _ in badges} >= {"badge-soldout", "badge-early", "badge-emotional"}
    for name, background, text in badges:
        assert contrast(text, background) >= 4.5, name
