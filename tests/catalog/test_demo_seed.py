"""`flask demo seed`: a realistic, upcoming, idempotent set of demo listings."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from retreats.base.outbox import OutboxEmail
from retreats.booking.inventory import rooms_left
from retreats.booking.models import Attendee, Booking, BookingStatus
from retreats.booking.pricing import booking_quote
from retreats.database import utcnow
from retreats.demo.gift_voucher import DEMO_GIFT_VOUCHER_TYPED
from retreats.demo.seed import (
    DEMO_DISCOUNT_CODE,
    DEMO_ORGANIZER_EMAIL,
    demo_cli,
    seed_demo_data,
)
from retreats.gift_vouchers.balance import voucher_covers, voucher_left_minor
from retreats.gift_vouchers.codes import normalized_voucher_code
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.listings.models import (
    Audience,
    DepositRule,
    Focus,
    Retreat,
    RetreatKind,
    RetreatStatus,
    RoomType,
)
from retreats.organizer.accounts.models import Organizer
from tests.factories import ADA, BEA, held_booking

# A fixed moment whose next five months cross both European and US daylight-saving changes.
FIXED_NOW = datetime(2030, 2, 20, 22, 45, tzinfo=UTC)


@pytest.fixture(params=["fixed", "today"])
def now(request) -> datetime:
    return FIXED_NOW if request.param == "fixed" else utcnow()


@pytest.fixture
def retreats(db, now) -> list[Retreat]:
    created = seed_demo_data(now=now)
    listings = db.session.scalars(select(Retreat).order_by(Retreat.starts_at)).all()
    assert created == len(listings)
    return listings


def confirmed_seats(db, retreat: Retreat) -> int:
    query = select(func.coalesce(func.sum(Booking.seats), 0)).where(
        Booking.retreat_id == retreat.id, Booking.status == BookingStatus.CONFIRMED
    )
    return db.session.scalar(query)


def test_seed_creates_ten_published_upcoming_listings_with_tickets_and_a_guide(retreats, now):
    published = [r for r in retreats if r.status == RetreatStatus.PUBLISHED and r.starts_at > now]

    assert len(published) >= 10
    for retreat in published:
        guide = retreat.preparation_guide_md.lower()
        assert retreat.ticket_types, retreat.slug
        assert "bring" in guide, retreat.slug
        assert "reflection exercise" in guide, retreat.slug
        assert "arrival" in guide, retreat.slug
        assert retreat.description_md.strip()
        assert retreat.refund_full_days_before is not None, "every listing says when it refunds"
        assert 0 < len(retreat.summary) <= 500


def test_every_date_is_aware_in_the_future_and_ordered(retreats, now):
    for retreat in retreats:
        assert retreat.starts_at.tzinfo is not None and retreat.ends_at.tzinfo is not None
        assert now < retreat.starts_at < retreat.ends_at, retreat.slug
        for ticket in retreat.ticket_types:
            assert ticket.sale_starts_at is None
            if ticket.sale_ends_at is not None:
                assert now < ticket.sale_ends_at < retreat.starts_at, ticket.name


def test_listings_start_within_about_five_months(retreats, now):
    for retreat in retreats:
        assert 25 <= (retreat.starts_at - now).days <= 165, retreat.slug


def test_couples_weekend_is_friday_evening_to_sunday_afternoon_in_lisbon(retreats):
    weekend = next(r for r in retreats if r.slug == "couples-intimacy-weekend")

    assert weekend.kind == RetreatKind.RETREAT
    assert weekend.audience == Audience.COUPLES
    assert weekend.capacity == 24
    assert [t.seats_per_ticket for t in weekend.ticket_types] == [2]
    assert weekend.timezone == "Europe/Lisbon"
    starts, ends = weekend.local_starts_at, weekend.local_ends_at
    assert (starts.strftime("%A"), starts.hour, starts.minute) == ("Friday", 17, 0)
    assert (ends.strftime("%A"), ends.hour, ends.minute) == ("Sunday", 14, 0)
    assert (ends.date() - starts.date()).days == 2
    # A deposit of 30 % now, the balance 30 days before: shown to a visitor booking today.
    assert (weekend.deposit_rule, weekend.deposit_value, weekend.balance_due_days) == (
        DepositRule.PERCENT,
        30,
        30,
    )


def test_the_required_kinds_of_listing_are_there(retreats):
    slugs = {r.slug for r in retreats if r.status == RetreatStatus.PUBLISHED}

    assert {
        "couples-intimacy-weekend",
        "emotional-intimacy-workshop-berlin",
        "love-mapping-evening-london",
        "spiritual-intimacy-retreat-ubud",
        "eye-gazing-breath-syncing-brooklyn",
        "closer-conversations-online",
    } <= slugs


def test_exactly_one_online_listing_with_a_join_link_and_no_place(retreats):
    online = [r for r in retreats if r.is_online]

    assert len(online) == 1
    (listing,) = online
    assert listing.status == RetreatStatus.PUBLISHED
    assert listing.online_join_url and listing.online_join_url.startswith("https://")
    assert (listing.venue, listing.city, listing.country) == (None, None, None)
    assert all(r.online_join_url is None for r in retreats if not r.is_online)


def test_residential_retreats_sell_rooms_and_one_room_type_is_sold_out(db, retreats, now):
    residential = [r for r in retreats if r.room_types]
    assert {"couples-intimacy-weekend", "coming-home-to-yourself-brecon"} <= {
        r.slug for r in residential
    }
    assert all(r.add_ons for r in residential)
    sold_out = [
        left.room_type.name
        for retreat in residential
        for left in rooms_left(retreat, now=now)
        if left.sold_out
    ]
    assert sold_out == ["Tower room"]
    booking = db.session.scalars(
        select(Booking).join(RoomType).where(RoomType.name == "Tower room")
    ).one()
    assert booking.amount_minor == booking_quote(booking).total_minor == 59_000 + 42_000


def test_exactly_one_listing_is_sold_out_by_confirmed_bookings(db, retreats, now):
    sold_out = [r for r in retreats if confirmed_seats(db, r) >= r.capacity]

    assert len(sold_out) == 1
    (listing,) = sold_out
    assert listing.status == RetreatStatus.PUBLISHED
    assert confirmed_seats(db, listing) == listing.capacity
    bookings = db.session.scalars(select(Booking).where(Booking.retreat_id == listing.id)).all()
    assert {b.status for b in bookings} == {BookingStatus.CONFIRMED}
    assert {b.seats for b in bookings} == {1, 2}
    references = sorted(b.reference for b in bookings)
    assert all(reference.startswith("RB-DEMO") for reference in references)
    assert len(set(references)) == len(references)
    for booking in bookings:
        assert booking.ticket_type.retreat_id == listing.id
        assert booking.seats == booking.ticket_type.seats_per_ticket
        assert booking.amount_minor == booking.ticket_type.price_minor
        assert booking.currency == listing.currency
        # Paid in full, on the ledger: the dashboard's revenue counts it.
        assert (booking.paid_minor, booking.kept_minor) == (booking.amount_minor,) * 2
        assert len(booking.token_hash) == 64
        assert booking.hold_expires_at < now
        assert booking.confirmed_at is not None and booking.confirmed_at < now
        assert booking.contact_email.endswith("@example.org")
        assert len(booking.attendees) == booking.seats
        for attendee in booking.attendees:
            assert attendee.code_of_conduct_accepted_at < now
            assert attendee.email and attendee.email.endswith("@example.org")
    attendees = (
        select(func.count(Attendee.id)).join(Booking).where(Booking.retreat_id == listing.id)
    )
    assert db.session.scalar(attendees) == listing.capacity


def test_an_early_bird_tier_is_cheaper_and_still_on_sale(retreats, now):
    early_birds = [
        (retreat, ticket)
        for retreat in retreats
        for ticket in retreat.ticket_types
        if ticket.sale_ends_at is not None
    ]

    assert early_birds
    for retreat, early in early_birds:
        assert retreat.status == RetreatStatus.PUBLISHED
        assert early.on_sale_at(now)
        regular = [
            t
            for t in retreat.ticket_types
            if t.sale_ends_at is None and t.seats_per_ticket == early.seats_per_ticket
        ]
        assert regular and all(early.price_minor < t.price_minor for t in regular)
        assert 14 <= (early.sale_ends_at - now).days <= 21


def test_couple_and_individual_tickets_across_listings(retreats):
    seats = Counter(t.seats_per_ticket for r in retreats for t in r.ticket_types)

    assert seats[1] >= 3 and seats[2] >= 3
    assert set(seats) == {1, 2}


def test_one_draft_and_one_cancelled_besides_the_published(retreats):
    statuses = Counter(r.status for r in retreats)

    assert statuses[RetreatStatus.DRAFT] == 1
    assert statuses[RetreatStatus.CANCELLED] == 1
    assert statuses[RetreatStatus.PUBLISHED] == len(retreats) - 2


def test_listings_vary_in_kind_focus_audience_zone_and_currency(retreats):
    published = [r for r in retreats if r.status == RetreatStatus.PUBLISHED]

    assert {r.kind for r in published} == set(RetreatKind)
    assert {r.focus for r in published} == set(Focus)
    assert {r.audience for r in published} == set(Audience)
    assert len({r.timezone for r in published}) >= 4
    assert len({r.currency for r in published}) >= 3


def test_prices_are_realistic_integer_minor_units(retreats):
    for retreat in retreats:
        assert len(retreat.currency) == 3 and retreat.currency.isupper()
        for ticket in retreat.ticket_types:
            assert isinstance(ticket.price_minor, int)
            assert 2000 <= ticket.price_minor <= 300000, ticket.name


def test_seeding_twice_creates_nothing_the_second_time(db, retreats, now):
    counts = [db.session.scalar(select(func.count(m.id))) for m in (Retreat, Booking, Organizer)]

    assert seed_demo_data(now=now) == 0
    assert [db.session.scalar(select(func.count(m.id))) for m in (Retreat, Booking, Organizer)] == (
        counts
    )
    organizer = db.session.scalar(select(Organizer).where(Organizer.email == DEMO_ORGANIZER_EMAIL))
    assert organizer.password_hash is None
    assert {r.organizer_id for r in retreats} == {organizer.id}


def test_a_naive_now_is_refused(db):
    with pytest.raises(ValueError, match="timezone-aware"):
        seed_demo_data(now=datetime(2030, 1, 1, 12, 0))
    assert db.session.scalar(select(func.count(Organizer.id))) == 0


def test_the_cli_seeds_once_and_then_says_so(app, db):
    runner = app.test_cli_runner()

    first = runner.invoke(demo_cli, ["seed"])
    second = runner.invoke(demo_cli, ["seed"])

    assert first.exit_code == 0, first.output
    assert "Created 12 demo listings" in first.output
    assert second.exit_code == 0, second.output
    assert "nothing created" in second.output
    assert db.session.scalar(select(func.count(Retreat.id))) == 12


def test_the_demo_code_of_the_readme_takes_15_percent_off_a_demo_booking(db, retreats):
    """The README's "Try it" code, on the Sintra weekend's couple ticket."""
    sintra = next(r for r in retreats if "Sintra" in r.title)
    couple = next(t for t in sintra.ticket_types if t.seats_per_ticket == 2)
    booking = held_booking(
        sintra,
        ADA,
        BEA,
        ticket=couple,
        room_type_id=sintra.room_types[0].id,
        discount_code=DEMO_DISCOUNT_CODE.lower(),
    )
    discount = booking_quote(booking).lines[-1]
    assert discount.name == "Code WELCOME-15 (15% off)"
    before = booking.amount_minor - discount.amount_minor
    assert discount.amount_minor == -((before * 15 + 50) // 100)


def test_the_demo_voucher_of_the_readme_pays_for_a_demo_booking_as_typed(db, retreats, now):
    """The README's "Try it" voucher: EUR 300 for the demo organizer, delivered, nothing spent;
    typed as printed (or in small letters) it pays for the Sintra weekend in EUR."""
    voucher = db.session.scalar(select(GiftVoucher))
    organizer = db.session.scalar(select(Organizer).where(Organizer.email == DEMO_ORGANIZER_EMAIL))
    assert voucher.code == "2026DEM0G1FTCARD" == normalized_voucher_code(DEMO_GIFT_VOUCHER_TYPED)
    assert (voucher.status, voucher.amount_minor, voucher.currency, voucher.organizer_id) == (
        GiftVoucherStatus.ACTIVE,
        30_000,
        "EUR",
        organizer.id,
    )
    assert voucher.send_at < now < voucher.expires_at
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0  # delivered already
    assert voucher_left_minor(voucher) == 30_000
    sintra = next(r for r in retreats if "Sintra" in r.title)
    for typed in (DEMO_GIFT_VOUCHER_TYPED, DEMO_GIFT_VOUCHER_TYPED.lower()):
        assert voucher_covers(typed, retreat=sintra, total_minor=45_000, now=now) == 30_000
        assert voucher_covers(typed, retreat=sintra, total_minor=12_000, now=now) == 12_000


def test_seeding_twice_keeps_one_demo_voucher(db, retreats, now):
    assert seed_demo_data(now=now) == 0
    assert db.session.scalar(select(func.count(GiftVoucher.id))) == 1


def test_the_demo_organizer_has_a_public_page_with_facilitators_and_a_venue(
    client, db, retreats, now
):
    """`make run` shows issue 19's pages: the organizer's page with its about text and
    facilitators, and the Sintra retreat's page with them and its venue's address."""
    organizer = db.session.scalar(select(Organizer).where(Organizer.email == DEMO_ORGANIZER_EMAIL))
    page = client.get(f"/o/{organizer.slug}").get_data(as_text=True)
    assert "slow days, clear agreements" in page
    assert "Inês Carvalho" in page and "Tomás Reyes" in page
    sintra = next(r for r in retreats if "Sintra" in r.title)
    assert sintra.venue_details is not None
    retreat_page = client.get(f"/retreats/{sintra.slug}").get_data(as_text=True)
    assert "Estrada da Peninha 4" in retreat_page
    assert "Inês Carvalho" in retreat_page
