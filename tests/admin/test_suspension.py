"""The "shown to the public" rule: a suspended organizer's retreats leave the catalog, their pages,
booking, the waitlist and gift vouchers at once (kept pages too), within the public pages'
statement budget; their attendees' bookings stay honoured; reinstating brings it all back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from retreats.admin.services import reinstate_organizer, suspend_organizer
from retreats.base.outbox import OutboxEmail
from retreats.booking.availability import published_listing, published_retreat
from retreats.booking.models import BookingStatus
from retreats.booking.tokens import booking_token
from retreats.booking.waitlist import join_waitlist
from retreats.catalog.queries import CatalogFilters, upcoming_listings
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.gift_vouchers.purchase import voucher_currencies
from retreats.listings.models import Retreat, RetreatStatus
from retreats.organizer.listings.services import ListingError, publish_retreat
from tests.catalog.test_statement_counts import MOST_FOR_A_PUBLIC_PAGE, statements_for
from tests.factories import ADA, BEA, create_retreat, held_booking, paid_booking, pay

REASON = "Complaints from attendees are being looked into."


@pytest.fixture
def retreat(organizer):
    return create_retreat(organizer=organizer, title="Ocean Hearts")


@pytest.fixture
def other_retreat(other_organizer):
    return create_retreat(organizer=other_organizer, title="Forest Hearts")


def public_pages(client, retreat) -> dict[str, int]:
    paths = {
        "page": f"/retreats/{retreat.slug}",
        "gift voucher": f"/retreats/{retreat.slug}/gift",
        "waitlist": f"/retreats/{retreat.slug}/waitlist",
    }
    return {name: client.get(path).status_code for name, path in paths.items()}


def test_a_suspended_organizers_retreats_leave_every_public_page(
    app, db, client, admin, organizer, retreat, other_retreat
):
    assert "Ocean Hearts" in client.get("/").get_data(as_text=True)  # kept for visitors
    assert public_pages(client, retreat)["page"] == 200

    suspend_organizer(organizer_id=organizer.id, admin_id=admin.id, reason=REASON)

    catalog = client.get("/").get_data(as_text=True)
    assert "Ocean Hearts" not in catalog and "Forest Hearts" in catalog
    assert public_pages(client, retreat) == {"page": 404, "gift voucher": 404, "waitlist": 404}
    assert client.post(f"/retreats/{retreat.slug}/book", data={}).status_code in (400, 404)
    listings, _ = upcoming_listings(CatalogFilters())
    assert [listing.retreat.title for listing in listings] == ["Forest Hearts"]
    assert published_listing(retreat.slug) is None and published_retreat(retreat.slug) is None
    assert not db.session.get(Retreat, retreat.id).is_open_for_booking(utcnow())
    assert voucher_currencies(organizer.id) == []

    reinstate_organizer(organizer_id=organizer.id, admin_id=admin.id)

    assert "Ocean Hearts" in client.get("/").get_data(as_text=True)
    assert public_pages(client, retreat)["page"] == 200
    assert voucher_currencies(organizer.id) == ["EUR"]


def test_no_new_booking_or_waitlist_place_while_suspended(db, admin, organizer, retreat):
    suspend_organizer(organizer_id=organizer.id, admin_id=admin.id, reason=REASON)

    with pytest.raises(DomainError):
        held_booking(retreat, ADA)
    with pytest.raises(DomainError):
        join_waitlist(retreat_id=retreat.id, name="Wren", email="wren@example.org", seats=1)


def test_their_attendees_bookings_stay_honoured(app, db, client, admin, organizer, retreat):
    confirmed = paid_booking(retreat, ADA)
    paying = held_booking(retreat, BEA)  # was at Stripe when the suspension came

    suspend_organizer(organizer_id=organizer.id, admin_id=admin.id, reason=REASON)

    reference = confirmed.reference
    manage = client.get(f"/bookings/{reference}", query_string={"t": booking_token(reference)})
    assert manage.status_code == 200
    assert "Ocean Hearts" in manage.get_data(as_text=True)
    pay(paying)  # the payment that arrives is confirmed and told, as always
    db.session.expire_all()
    assert paying.status == BookingStatus.CONFIRMED
    kinds = db.session.scalars(
        select(OutboxEmail.kind).where(OutboxEmail.booking_id == paying.id)
    ).all()
    assert "confirmation" in kinds


def test_every_retreat_of_theirs_is_hidden_and_new_ones_too(db, admin, organizer, retreat):
    draft = create_retreat(organizer=organizer, status=RetreatStatus.DRAFT)

    hidden = suspend_organizer(organizer_id=organizer.id, admin_id=admin.id, reason=REASON)

    assert hidden == 2
    assert all(db.session.get(Retreat, one.id).organizer_suspended for one in (retreat, draft))
    with pytest.raises(ListingError, match="suspended"):
        publish_retreat(retreat_id=draft.id, actor_id=organizer.id)


def test_the_catalog_keeps_its_statement_budget(app, db, count_statements, admin, organizer):
    for _ in range(3):
        create_retreat(organizer=organizer)
    suspend_organizer(organizer_id=organizer.id, admin_id=admin.id, reason=REASON)

    assert len(statements_for(app, count_statements, "/")) <= MOST_FOR_A_PUBLIC_PAGE
