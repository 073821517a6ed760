"""Cover images on the catalog's cards and pages, and how a cancelled retreat is shown."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from retreats.base.stored_files import prepare_cover_image, store
from retreats.listings.models import RetreatStatus
from tests.factories import attendee, held_booking


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return app_config


def stored_cover(width: int, height: int) -> str:
    picture = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 200)).save(picture, format="PNG")
    prepared = prepare_cover_image(io.BytesIO(picture.getvalue()))
    store(prepared)
    return prepared.name


def test_cards_and_pages_show_the_cover_with_its_size(db, app, client, make_retreat):
    name = stored_cover(800, 600)
    with_cover = make_retreat(title="Pictured Retreat", cover_image=name)
    make_retreat(title="Plain Retreat")

    catalog = client.get("/").get_data(as_text=True)
    images = re.findall(r"<img [^>]*>", catalog)
    assert len(images) == 1  # only the retreat that has a cover
    assert f'src="/media/covers/{name}"' in images[0]
    assert 'alt=""' in images[0]  # the card's title says it all
    assert 'width="800" height="600"' in images[0]

    page = client.get(f"/retreats/{with_cover.slug}").get_data(as_text=True)
    assert f'src="/media/covers/{name}" alt="Pictured Retreat" width="800" height="600"' in page

    served = client.get(f"/media/covers/{name}")
    assert served.status_code == 200
    assert served.data == (Path(app.config["UPLOAD_FOLDER"]) / "covers" / name).read_bytes()
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "name",
    ["missing", "../test.sqlite", "0" * 32 + "-10x10.jpg", "0" * 32 + "-10x10.png", "..%2F.env"],
)
def test_unknown_or_odd_cover_names_are_404(client, name):
    assert client.get(f"/media/covers/{name}").status_code == 404


def test_a_cancelled_retreat_keeps_its_page_with_a_banner_and_leaves_the_catalog(
    db, client, make_retreat
):
    retreat = make_retreat(title="Called Off", capacity=1)
    # Sold out too: the page must still say cancelled, not offer the waitlist.
    held_booking(retreat, attendee("a@example.org", "Ada"))
    retreat.status = RetreatStatus.CANCELLED
    db.session.commit()

    page = client.get(f"/retreats/{retreat.slug}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(
        r'class="cancelled-banner" role="status">\s*<p><strong>This retreat has '
        r"been cancelled\.</strong>",
        text,
    )
    assert "Book your place" not in text
    assert "Join the waitlist" not in text
    assert "Called Off" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/retreats/{retreat.slug}/book").status_code == 404


def test_a_draft_stays_hidden(client, make_retreat):
    draft = make_retreat(status=RetreatStatus.DRAFT)
    assert client.get(f"/retreats/{draft.slug}").status_code == 404
