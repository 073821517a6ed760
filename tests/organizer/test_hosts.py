"""Facilitators and venues in the organizer area: add, edit, delete, only one's own (someone
else's: 404, nothing changed), a file that is not a picture refused with nothing written, and
what a retreat names shown on its page."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from retreats.base.audit import AuditEntry
from retreats.listings.hosts import Facilitator, Venue, VenuePhoto
from tests.conftest import csrf_token_from
from tests.factories import create_facilitator, create_venue
from tests.html_forms import form_values

NOT_A_PICTURE = "That file is not a picture we can use"


def png(width: int = 400, height: int = 300) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 90)).save(output, format="PNG")
    return output.getvalue()


@pytest.fixture
def uploads_dir(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


def stored_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def post_form(client, url: str, **fields):
    """GET the form page at `url`, then POST its form with `fields` changed (files included)."""
    values = form_values(client.get(url).get_data(as_text=True), url)
    return client.post(url, data=values | fields, content_type="multipart/form-data")


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_an_organizer_adds_edits_and_deletes_a_facilitator(db, organizer_client, uploads_dir):
    response = post_form(
        organizer_client,
        "/organizer/facilitators/new",
        name="Mira Okafor",
        bio="Couples therapist.",
        photo=(io.BytesIO(png()), "mira.png"),
    )
    assert response.status_code == 303
    mira = db.session.execute(select(Facilitator)).scalar_one()
    assert (mira.name, mira.bio) == ("Mira Okafor", "Couples therapist.")
    assert [path.name for path in stored_files(uploads_dir)] == [mira.photo]

    url = f"/organizer/facilitators/{mira.id}"
    assert post_form(organizer_client, url, name="Mira O.", remove_photo="y").status_code == 303
    db.session.expire_all()
    assert (mira.name, mira.photo) == ("Mira O.", None)
    listed = organizer_client.get("/organizer/facilitators").get_data(as_text=True)
    assert "Mira O." in listed

    delete = f"/organizer/facilitators/{mira.id}/delete"
    token = form_values(listed, delete)["csrf_token"]
    assert organizer_client.post(delete, data={"csrf_token": token}).status_code == 303
    assert count(db, Facilitator) == 0
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("facilitator.saved") == 2 and "facilitator.deleted" in actions


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_written(
    db, organizer, organizer_client, uploads_dir
):
    response = post_form(
        organizer_client,
        "/organizer/facilitators/new",
        name="Mira Okafor",
        photo=(io.BytesIO(b"%PDF-1.7 not a picture"), "mira.png"),
    )
    assert response.status_code == 422
    assert NOT_A_PICTURE in response.get_data(as_text=True)
    assert count(db, Facilitator) == 0 and stored_files(uploads_dir) == []

    response = post_form(
        organizer_client,
        "/organizer/venues/new",
        name="Quinta",
        new_photos=[(io.BytesIO(png()), "a.png"), (io.BytesIO(b"GIF89a..."), "b.png")],
    )
    assert response.status_code == 422 and NOT_A_PICTURE in response.get_data(as_text=True)
    assert count(db, Venue) == 0 and stored_files(uploads_dir) == []

    response = post_form(
        organizer_client, "/organizer/profile", photo=(io.BytesIO(b"<svg/>"), "me.png")
    )
    assert response.status_code == 422 and NOT_A_PICTURE in response.get_data(as_text=True)
    db.session.expire_all()
    assert organizer.photo is None and stored_files(uploads_dir) == []


def test_an_organizer_adds_a_venue_with_photos_and_removes_one(db, organizer_client, uploads_dir):
    response = post_form(
        organizer_client,
        "/organizer/venues/new",
        name="Quinta das Oliveiras",
        address="Estrada do Vale 12, Sintra",
        description_md="Olive trees and a **sea view**.",
        new_photos=[(io.BytesIO(png(400, 300)), "a.png"), (io.BytesIO(png(300, 400)), "b.png")],
    )
    assert response.status_code == 303
    venue = db.session.execute(select(Venue)).scalar_one()
    assert venue.address == "Estrada do Vale 12, Sintra"
    first, second = venue.photos
    assert len(stored_files(uploads_dir)) == 2

    url = f"/organizer/venues/{venue.id}"
    assert post_form(organizer_client, url, remove_photos=str(first.id)).status_code == 303
    db.session.expire_all()
    assert [photo.id for photo in venue.photos] == [second.id]
    assert count(db, VenuePhoto) == 1


def test_someone_elses_facilitator_and_venue_are_not_found_and_stay_as_they_were(
    db, sign_in, other_organizer, organizer
):
    theirs = create_facilitator(organizer, name="Mira Okafor")
    venue = create_venue(organizer, name="Quinta")
    stranger = sign_in(other_organizer)
    token = csrf_token_from(stranger.get("/organizer/facilitators/new").get_data(as_text=True))

    for path in (
        f"/organizer/facilitators/{theirs.id}",
        f"/organizer/venues/{venue.id}",
    ):
        assert stranger.get(path).status_code == 404
        taking_over = {"csrf_token": token, "name": "Taken over"}
        assert stranger.post(path, data=taking_over).status_code == 404
    for path in (
        f"/organizer/facilitators/{theirs.id}/delete",
        f"/organizer/venues/{venue.id}/delete",
    ):
        assert stranger.post(path, data={"csrf_token": token}).status_code == 404
    assert "Mira Okafor" not in stranger.get("/organizer/facilitators").get_data(as_text=True)
    db.session.expire_all()
    assert (theirs.name, venue.name) == ("Mira Okafor", "Quinta")


def test_a_retreat_names_its_facilitators_and_venue_shown_on_its_page(
    db, client, organizer, other_organizer, organizer_client, make_retreat
):
    retreat = make_retreat(title="Sea Retreat")
    mira = create_facilitator(organizer, name="Mira Okafor", bio="Couples therapist.")
    create_facilitator(organizer, name="Not Chosen")
    venue = create_venue(organizer, name="Quinta das Oliveiras", photos=["a" * 32 + "-40x30.jpg"])
    url = f"/organizer/retreats/{retreat.id}/hosts"

    response = post_form(organizer_client, url, facilitators=str(mira.id), venue=str(venue.id))
    assert response.status_code == 303

    page = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert "Mira Okafor" in page and "Couples therapist." in page and "Not Chosen" not in page
    assert "Quinta das Oliveiras" in page and "<strong>sea view</strong>" in page
    assert f'src="/media/covers/{"a" * 32}-40x30.jpg"' in page
    assert "Quinta do Vale, Sintra, Portugal" in page  # the free-text place stays

    # Another organizer's facilitator or venue cannot be chosen.
    strangers = create_facilitator(other_organizer, name="Stranger")
    response = post_form(organizer_client, url, facilitators=str(strangers.id))
    assert response.status_code == 422
    assert "Please choose among your facilitators." in response.get_data(as_text=True)
    db.session.expire_all()
    assert [person.name for person in retreat.facilitators] == ["Mira Okafor"]


def test_deleting_a_venue_leaves_its_retreats_their_free_text_place(
    db, client, organizer, organizer_client, make_retreat
):
    retreat = make_retreat()
    venue = create_venue(organizer, name="Quinta das Oliveiras", retreats=[retreat])
    assert "Quinta das Oliveiras" in client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    listed = organizer_client.get("/organizer/venues").get_data(as_text=True)
    delete = f"/organizer/venues/{venue.id}/delete"
    token = form_values(listed, delete)["csrf_token"]
    assert organizer_client.post(delete, data={"csrf_token": token}).status_code == 303

    page = client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert "Quinta das Oliveiras" not in page and "Quinta do Vale, Sintra, Portugal" in page
    db.session.expire_all()
    assert retreat.venue_id is None


def test_the_profile_page_saves_the_about_text_and_photo_and_shows_the_widget_snippet(
    app, db, client, organizer, organizer_client, uploads_dir
):
    response = post_form(
        organizer_client,
        "/organizer/profile",
        about_md="We hold **weekends**.",
        photo=(io.BytesIO(png()), "me.png"),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert organizer.about_md == "We hold **weekends**." and organizer.photo

    page = organizer_client.get("/organizer/profile").get_data(as_text=True)
    base = app.config["PUBLIC_BASE_URL"]
    widget = f"{base}/o/{organizer.slug}/widget"
    [iframe] = re.findall(r'<textarea id="widget-iframe"[^>]*>([^<]*)</textarea>', page)
    assert html.unescape(iframe).startswith(f'<iframe src="{widget}" title="Upcoming retreats')
    [script] = re.findall(r'<textarea id="widget-script"[^>]*>([^<]*)</textarea>', page)
    assert html.unescape(script).startswith(f'<script src="{base}/static/js/widget.js" ')
    public = client.get(f"/o/{organizer.slug}").get_data(as_text=True)
    assert "<strong>weekends</strong>" in public and organizer.photo in public


def test_a_duplicated_retreat_keeps_its_facilitators_and_venue(db, organizer, make_retreat):
    from retreats.organizer.listings.services import duplicate_retreat

    retreat = make_retreat()
    mira = create_facilitator(organizer, name="Mira Okafor", retreats=[retreat])
    venue = create_venue(organizer, retreats=[retreat])

    copy = duplicate_retreat(retreat_id=retreat.id, actor_id=organizer.id)

    assert copy.facilitators == [mira] and copy.venue_id == venue.id
    assert count(db, Facilitator) == 1  # the same person, named on both
