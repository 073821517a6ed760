"""A visitor in a real browser: browses and filters the catalog, books a couple ticket and pays on
the hosted page; a declined card confirms nothing."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from retreats.booking.models import Booking, BookingStatus
from retreats.listings.models import Audience, Focus
from tests.e2e.visitor import book_couple_ticket, open_retreat_from_catalog, pay_on_hosted_page
from tests.factories import starting_questions
from tests.journey import DECLINED_CARD, PAYING_CARD


def test_a_couple_browses_filters_books_and_pays(page, audit, live_site, make_retreat, db):
    make_retreat(title="Listening Hearts Weekend", focus=Focus.EMOTIONAL)
    touch = make_retreat(
        title="Touch and Trust Retreat", focus=Focus.PHYSICAL, audience=Audience.COUPLES
    )
    starting_questions(touch)  # asked as every retreat made in the editor asks them

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming retreats and workshops")
    expect(page.get_by_role("link", name="Listening Hearts Weekend")).to_be_visible()
    audit.check("catalog")

    page.get_by_label("Focus").select_option(label="Physical intimacy")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"focus=physical"))
    expect(page.get_by_role("link", name="Touch and Trust Retreat")).to_be_visible()
    expect(page.get_by_role("link", name="Listening Hearts Weekend")).to_have_count(0)
    audit.check("catalog-filtered")

    open_retreat_from_catalog(page, audit, "Touch and Trust Retreat")
    book_couple_ticket(page, audit, forget_consent_first=True)
    pay_on_hosted_page(page, live_site.stripe_url, PAYING_CARD)

    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    expect(page.get_by_text("Ada Lovelace, Bea Lovelace")).to_be_visible()
    audit.check("confirmed")

    booking = db.session.query(Booking).one()
    assert booking.status == BookingStatus.CONFIRMED and booking.seats == 2


def test_a_declined_card_confirms_nothing(page, audit, live_site, make_retreat, db):
    retreat = make_retreat(title="Quiet Minds Workshop")
    starting_questions(retreat)

    page.goto(f"/retreats/{retreat.slug}")
    audit.check("retreat-page")
    book_couple_ticket(page, audit)
    pay_on_hosted_page(page, live_site.stripe_url, DECLINED_CARD)

    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(page).to_have_url(re.compile(re.escape(live_site.stripe_url) + "/checkout/pay/cs_"))
    db.session.expire_all()
    assert [booking.status for booking in db.session.query(Booking)] == [BookingStatus.PENDING]

    # Going back to the retreat shows no confirmation anywhere: the places are only held.
    page.get_by_role("link", name="Cancel and go back").click()
    audit.check("back-from-checkout")
    expect(page.get_by_text("Your booking is confirmed")).to_have_count(0)
    db.session.expire_all()
    assert BookingStatus.CONFIRMED not in {b.status for b in db.session.query(Booking)}


def test_a_stale_link_finds_a_kind_not_found_page_and_the_way_back(page, audit, make_retreat):
    make_retreat(title="Listening Hearts Weekend")

    page.goto("/retreats/a-retreat-that-was-renamed")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Error 404")).to_be_visible()
    audit.check("not-found")

    page.get_by_role("link", name="See upcoming retreats").click()
    expect(page.get_by_role("link", name="Listening Hearts Weekend")).to_be_visible()
    audit.check("catalog", screenshot=False)
