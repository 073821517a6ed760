"""The preparation guide's page and PDF, behind the booking's secret link."""

from __future__ import annotations

import io

import pytest

from retreats.base.stored_files import prepare_guide_pdf, store
from retreats.booking.models import BookingStatus
from retreats.booking.tokens import booking_token
from retreats.listings.models import RetreatStatus
from tests.factories import attendee, held_booking, paid_booking

GUIDE = "**What to bring**\n- Warm socks\n\n<script>alert('x')</script>"
PDF = b"%PDF-1.4\n% guide\n%%EOF\n"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return app_config


def booking_of(retreat, *, confirmed: bool = True):
    if confirmed:
        return paid_booking(retreat, attendee("ada@example.org"), payment_intent=False)
    return held_booking(retreat, attendee("ada@example.org"))


def guide_page(client, booking, *, token: str | None = "right", pdf: bool = False):
    if token == "right":
        token = booking_token(booking.reference)
    path = f"/bookings/{booking.reference}/guide" + (".pdf" if pdf else "")
    return client.get(path, query_string={"t": token} if token is not None else None)


def with_pdf(db, retreat):
    upload = prepare_guide_pdf(io.BytesIO(PDF))
    store(upload)
    retreat.preparation_guide_pdf = upload.name
    db.session.commit()


def test_the_right_link_shows_the_guide_sanitised_and_not_cached(client, make_retreat):
    booking = booking_of(make_retreat(title="Quiet Weekend", preparation_guide_md=GUIDE))

    response = guide_page(client, booking)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Preparing for Quiet Weekend" in page
    assert "<strong>What to bring</strong>" in page and "<li>Warm socks</li>" in page
    assert "<script>alert" not in page
    assert f"/bookings/{booking.reference}/guide.pdf" not in page  # no PDF, no link


@pytest.mark.parametrize("token", [None, "", "wrong-token", "x" * 300])
def test_a_wrong_or_missing_token_is_404(client, make_retreat, token):
    booking = booking_of(make_retreat())
    assert guide_page(client, booking, token=token).status_code == 404
    assert guide_page(client, booking, token=token, pdf=True).status_code == 404


def test_another_bookings_token_does_not_open_it(client, make_retreat):
    retreat = make_retreat()
    mine, theirs = booking_of(retreat), booking_of(retreat)
    response = guide_page(client, mine, token=booking_token(theirs.reference))
    assert response.status_code == 404


def test_an_unknown_reference_is_404(client):
    response = client.get("/bookings/RB-NOPE00/guide", query_string={"t": "anything"})
    assert response.status_code == 404


def test_a_booking_that_is_not_confirmed_has_no_guide_page(db, client, make_retreat):
    retreat = make_retreat()
    pending = booking_of(retreat, confirmed=False)
    cancelled = booking_of(retreat)
    cancelled.status = BookingStatus.CANCELLED
    db.session.commit()

    assert guide_page(client, pending).status_code == 404
    assert guide_page(client, cancelled).status_code == 404


def test_a_cancelled_retreat_has_no_guide_page(db, client, make_retreat):
    retreat = make_retreat()
    booking = booking_of(retreat)
    with_pdf(db, retreat)
    retreat.status = RetreatStatus.CANCELLED
    db.session.commit()

    assert guide_page(client, booking).status_code == 404
    assert guide_page(client, booking, pdf=True).status_code == 404


def test_the_pdf_is_linked_and_served_with_the_right_token_only(db, client, make_retreat):
    retreat = make_retreat()
    booking = booking_of(retreat)
    with_pdf(db, retreat)

    page = guide_page(client, booking).get_data(as_text=True)
    assert f"/bookings/{booking.reference}/guide.pdf?t=" in page
    response = guide_page(client, booking, pdf=True)
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert guide_page(client, booking, token="wrong", pdf=True).status_code == 404


def test_no_pdf_is_404(client, make_retreat):
    booking = booking_of(make_retreat())
    assert guide_page(client, booking, pdf=True).status_code == 404


def test_a_guide_with_only_a_pdf_still_has_its_page(db, client, make_retreat):
    retreat = make_retreat(preparation_guide_md="")
    booking = booking_of(retreat)
    with_pdf(db, retreat)

    response = guide_page(client, booking)

    assert response.status_code == 200
    assert "Download the guide (PDF)" in response.get_data(as_text=True)
