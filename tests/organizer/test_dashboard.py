"""The dashboard lists the organizer's own retreats, upcoming first, with their figures."""

from __future__ import annotations

from datetime import timedelta

from retreats.booking.capacity import seats_left
from retreats.booking.models import BookingStatus
from tests.factories import stored_booking, waitlist_offer


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/organizer/")
    assert response.status_code == 302
    assert "/organizer/login" in response.headers["Location"]


def test_dashboard_shows_own_retreats_upcoming_first_with_figures(
    db, organizer_client, make_retreat, other_organizer
):
    later = make_retreat(title="Later Retreat", starts_in=timedelta(days=60), capacity=8)
    sooner = make_retreat(title="Sooner Retreat", starts_in=timedelta(days=10))
    past = make_retreat(title="Past Retreat", starts_in=timedelta(days=-20))
    stranger = make_retreat(title="Stranger Retreat", organizer=other_organizer)
    stored_booking(later, status=BookingStatus.CONFIRMED, seats=2, amount=45_000)
    stored_booking(later, status=BookingStatus.PENDING, seats=1, amount=25_000)
    lapsed = {"hold_minutes": -5}
    stored_booking(later, status=BookingStatus.PENDING, seats=1, amount=25_000, **lapsed)
    stored_booking(later, status=BookingStatus.CANCELLED, amount=25_000, refunded=12_500)

    response = organizer_client.get("/organizer/")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert page.index("Sooner Retreat") < page.index("Later Retreat") < page.index("Past Retreat")
    assert stranger.title not in page
    later_block = page[page.index("Later Retreat") : page.index("Past Retreat")]
    assert "2 confirmed, 1 held, 5 free of 8 places" in later_block
    # 450.00 paid and kept, plus 125.00 kept of a cancelled 250.00 booking.
    assert "€575.00" in later_block
    assert sooner.title in page and past.title in page


def test_free_places_leave_out_seats_offered_to_the_waitlist_as_the_catalog_does(
    db, organizer_client, make_retreat
):
    retreat = make_retreat(title="Offered Retreat", capacity=8)
    stored_booking(retreat, status=BookingStatus.CONFIRMED, seats=2, amount=45_000)
    waitlist_offer(retreat, name="Wes", email="wes@example.org", seats=2, hours=5)

    page = organizer_client.get("/organizer/").get_data(as_text=True)

    assert seats_left(retreat) == 4
    assert "2 confirmed, 0 held, 4 free of 8 places" in page
    assert "<div><dt>Free</dt><dd>4</dd></div>" in page
