"""Cover images and guide PDFs: checked by content, re-encoded, stored by hash, served right."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.exc import OperationalError

from retreats.base.stored_files import prepare_cover_image
from retreats.listings.models import Retreat
from retreats.organizer.listings import services as listings
from retreats.organizer.listings.services import Uploads
from tests.html_forms import form_values
from tests.organizer.helpers import field_error, new_retreat_data, post_page_form, row_counts

GPS_IFD = 0x8825


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return app_config


@pytest.fixture
def uploads_dir(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


def stored_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def png_with_gps(width: int = 2400, height: int = 1200, mode: str = "RGB") -> bytes:
    """A real PNG whose EXIF says where it was taken, as a phone's picture would."""
    image = Image.new(mode, (width, height), (200, 120, 90, 128)[: len(mode)])
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (38.0, 47.0, 53.0), 3: "W", 4: (9.0, 23.0, 25.0)})
    output = io.BytesIO()
    image.save(output, format="PNG", exif=exif.tobytes())
    return output.getvalue()


def edit_with_files(client, retreat, **files_and_fields):
    url = f"/organizer/retreats/{retreat.id}/edit"
    values = form_values(client.get(url).get_data(as_text=True), url)
    return client.post(
        url,
        data=values | {"save": "Save"} | files_and_fields,
        content_type="multipart/form-data",
    )


def test_cover_is_re_encoded_without_metadata_stored_by_hash_and_served_for_a_year(
    db, client, organizer_client, make_retreat, uploads_dir
):
    original = png_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test's premise
    retreat = make_retreat(title="Sea Retreat")
    response = edit_with_files(
        organizer_client, retreat, cover_image=(io.BytesIO(original), "../../etc/passwd.png")
    )
    assert response.status_code == 303

    db.session.expire_all()
    name = retreat.cover_image
    assert re.fullmatch(r"[0-9a-f]{32}-1600x800\.jpg", name)
    [path] = stored_files(uploads_dir)
    assert path == uploads_dir / "covers" / name
    stored = Image.open(path)
    assert (stored.format, stored.size) == ("JPEG", (1600, 800))
    assert not stored.getexif()  # no GPS, no camera
    assert b"PhoneMaker" not in path.read_bytes()

    served = client.get(f"/media/covers/{name}")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.data == path.read_bytes()
    cache = served.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache

    card = client.get("/").get_data(as_text=True)
    assert f'src="/media/covers/{name}" alt="" width="1600" height="800"' in card
    page = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert 'alt="Sea Retreat" width="1600" height="800"' in page
    assert client.get("/media/covers/../uploads.txt").status_code == 404
    assert client.get("/media/covers/" + "0" * 32 + "-1x1.jpg").status_code == 404


def test_a_transparent_cover_is_kept_as_webp(app, make_retreat):
    picture = prepare_cover_image(io.BytesIO(png_with_gps(400, 300, mode="RGBA")))
    assert re.fullmatch(r"[0-9a-f]{32}-400x300\.webp", picture.name)
    assert Image.open(io.BytesIO(picture.content)).format == "WEBP"


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"just some words, not a picture\n" * 20, "holiday.png"),
        (b"GIF89a" + b"\x00" * 100, "moving.gif"),
        (png_with_gps(40, 20)[:60], "cut-short.png"),  # a PNG whose data stops early
        (b"", "empty.jpg"),
    ],
)
def test_a_file_that_is_not_a_usable_picture_is_refused(
    db, organizer_client, make_retreat, uploads_dir, content, filename
):
    retreat = make_retreat()
    before = row_counts(db)
    response = edit_with_files(
        organizer_client, retreat, title="Changed", cover_image=(io.BytesIO(content), filename)
    )
    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), "cover_image")
    assert "not a picture" in error or "empty" in error, error
    db.session.expire_all()
    assert retreat.cover_image is None and retreat.title != "Changed"
    assert row_counts(db) == before
    assert stored_files(uploads_dir) == []


def test_a_too_large_image_or_pdf_is_refused(db, app, organizer_client, make_retreat, uploads_dir):
    app.config["MAX_COVER_IMAGE_BYTES"] = 2_000
    app.config["MAX_GUIDE_PDF_BYTES"] = 1_000
    retreat = make_retreat()
    noisy = Image.effect_noise((200, 200), 80)  # noise does not compress
    big_picture = io.BytesIO()
    noisy.save(big_picture, format="PNG")
    assert len(big_picture.getvalue()) > 2_000
    response = edit_with_files(
        organizer_client,
        retreat,
        cover_image=(io.BytesIO(big_picture.getvalue()), "big.png"),
        guide_pdf=(io.BytesIO(b"%PDF-1.7\n" + b"0" * 2_000), "guide.pdf"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "too large" in field_error(page, "cover_image")
    assert "too large" in field_error(page, "guide_pdf")
    db.session.expire_all()
    assert (retreat.cover_image, retreat.preparation_guide_pdf) == (None, None)
    assert stored_files(uploads_dir) == []


def test_a_guide_pdf_is_stored_and_downloaded_by_its_organizers_only(
    db, organizer_client, sign_in, other_organizer, make_retreat, uploads_dir
):
    retreat = make_retreat(slug="quiet-days")
    assert organizer_client.get(f"/organizer/retreats/{retreat.id}/guide.pdf").status_code == 404
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    response = edit_with_files(organizer_client, retreat, guide_pdf=(io.BytesIO(pdf), "my.pdf"))
    assert response.status_code == 303
    db.session.expire_all()
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", retreat.preparation_guide_pdf)
    assert stored_files(uploads_dir) == [uploads_dir / "guides" / retreat.preparation_guide_pdf]

    download = organizer_client.get(f"/organizer/retreats/{retreat.id}/guide.pdf")
    assert download.status_code == 200
    assert download.data == pdf
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "quiet-days-preparation-guide.pdf" in download.headers["Content-Disposition"]
    stranger = sign_in(other_organizer)
    assert stranger.get(f"/organizer/retreats/{retreat.id}/guide.pdf").status_code == 404

    removed = edit_with_files(organizer_client, retreat, remove_guide_pdf="y")
    assert removed.status_code == 303
    db.session.expire_all()
    assert retreat.preparation_guide_pdf is None
    assert organizer_client.get(f"/organizer/retreats/{retreat.id}/guide.pdf").status_code == 404


def test_a_file_that_is_not_a_pdf_is_refused(db, organizer_client, make_retreat, uploads_dir):
    retreat = make_retreat()
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    response = edit_with_files(organizer_client, retreat, guide_pdf=(fake, "guide.pdf"))
    assert response.status_code == 422
    assert "not a PDF" in field_error(response.get_data(as_text=True), "guide_pdf")
    db.session.expire_all()
    assert retreat.preparation_guide_pdf is None
    assert stored_files(uploads_dir) == []


def test_files_are_not_stored_when_another_field_is_wrong(db, organizer_client, uploads_dir):
    before = row_counts(db)
    data = new_retreat_data(capacity="0") | {
        "cover_image": (io.BytesIO(png_with_gps(300, 200)), "cover.png"),
        "guide_pdf": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "guide.pdf"),
    }
    response = post_page_form(organizer_client, "/organizer/retreats/new", data)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "capacity")
    db.session.expire_all()
    assert row_counts(db) == before
    assert stored_files(uploads_dir) == []


def test_a_new_file_is_removed_again_when_the_commit_fails(
    db, app, organizer, make_retreat, uploads_dir, monkeypatch
):
    retreat = make_retreat()
    cover = prepare_cover_image(io.BytesIO(png_with_gps(300, 200)))
    form_details = listings_details_of(retreat)

    def failing_commit():
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(db.session, "commit", failing_commit)
    with pytest.raises(OperationalError):
        listings.update_retreat(
            retreat_id=retreat.id,
            actor_id=organizer.id,
            details=form_details,
            uploads=Uploads(cover=cover),
        )
    monkeypatch.undo()
    assert stored_files(uploads_dir) == []
    db.session.expire_all()
    assert db.session.get(Retreat, retreat.id).cover_image is None


def listings_details_of(retreat: Retreat) -> listings.ListingDetails:
    """The retreat's own values as the form would hand them to the service."""
    values = {name: getattr(retreat, name) for name in listings.ListingDetails.__dataclass_fields__}
    values["starts_at"] = retreat.local_starts_at.replace(tzinfo=None)
    values["ends_at"] = retreat.local_ends_at.replace(tzinfo=None)
    return listings.ListingDetails(**values)
