"""A discount code in a real browser: the organizer makes a code with two uses for one retreat;
a couple types it in lower case and pays the discounted total; a wrong code is told beside the
field with everything else kept; the organizer sees the use and the revenue, then disables it,
and the next visitor is told so."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from retreats.booking.models import Booking, BookingStatus, LineKind
from tests.e2e.organizer import sign_in
from tests.e2e.visitor import fill_in_ada_and_bea, pay_on_hosted_page
from tests.factories import create_discount_code
from tests.journey import PAYING_CARD
from tests.visitor_stay import sintra_weekend


def fill_couple(page) -> None:
    page.get_by_role("radio", name=re.compile("Couple")).check()
    fill_in_ada_and_bea(page)


def test_a_couple_books_with_the_organizers_code_until_the_organizer_disables_it(
    page, audit, live_site, make_retreat, organizer, db
):
    retreat = make_retreat(title="Sintra Couples Weekend")
    make_retreat(title="Porto Silent Day")  # the code is not for this one

    # The organizer makes a code: 20% off the Sintra weekend, twice at most.
    sign_in(page, audit)
    page.get_by_role("link", name="Discount codes").click()
    expect(page.get_by_role("heading", level=1, name="Discount codes")).to_be_visible()
    audit.check("no-discount-codes-yet")
    page.get_by_role("link", name="Create your first code").click()
    audit.check("new-discount-code")
    page.get_by_role("textbox", name=re.compile(r"^Code")).fill("sintra-love")
    page.get_by_label("Percentage off").fill("20")
    page.get_by_role("checkbox", name="Sintra Couples Weekend").check()
    page.get_by_label("At most this many uses in all").fill("2")
    page.get_by_role("button", name="Create code").click()
    expect(page.get_by_text("Code SINTRA-LOVE created.")).to_be_visible()
    audit.check("discount-code-created")
    page.get_by_role("button", name=re.compile("Sign out")).click()
    audit.check("signed-out", screenshot=False)

    # A couple types it wrong first: told beside the field, the rest of the form kept.
    page.goto(f"/retreats/{retreat.slug}/book")
    audit.check("booking-form-with-a-code-field")
    fill_couple(page)
    page.get_by_label("Discount code").fill("SINTRA-LOVER")
    page.get_by_role("button", name="Continue to payment").click()
    code_field = page.get_by_label("Discount code")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#discount_code-error")).to_contain_text("This code is not valid")
    about_you = page.get_by_role("group", name="About you", exact=True)
    expect(about_you.get_by_label("Full name")).to_have_value("Ada Lovelace")
    audit.check("booking-form-with-a-wrong-code")

    # Then right, in lower case: Checkout asks for the discounted total, the booking shows it.
    code_field.fill("sintra-love")
    page.get_by_role("checkbox", name=re.compile("code of conduct")).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(f"{live_site.stripe_url}/checkout/pay/cs_*")
    expect(page.get_by_text(re.compile("360.00")).first).to_be_visible()  # €450.00 less 20%
    pay_on_hosted_page(page, live_site.stripe_url, PAYING_CARD)
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    expect(page.locator(".price-lines")).to_contain_text("Code SINTRA-LOVE (20% off)")
    expect(page.locator(".price-lines")).to_contain_text("−€90.00")
    audit.check("confirmed-with-a-discount")
    db.session.expire_all()
    booking = db.session.query(Booking).one()
    assert (booking.status, booking.amount_minor, booking.paid_minor) == (
        BookingStatus.CONFIRMED,
        36_000,
        36_000,
    )
    assert [line.kind for line in booking.lines] == [LineKind.TICKET, LineKind.DISCOUNT]

    # The organizer sees the use and its revenue, and disables the code.
    page.context.clear_cookies()
    sign_in(page, audit, dashboard_step="dashboard-again")
    page.get_by_role("link", name="Discount codes").click()
    row = page.get_by_role("row", name=re.compile("SINTRA-LOVE"))
    expect(row).to_contain_text("1 of 2")
    expect(row).to_contain_text("€360.00")
    audit.check("discount-code-used-once")
    row.get_by_role("button", name=re.compile("Disable")).click()
    expect(page.get_by_text("Code SINTRA-LOVE disabled.")).to_be_visible()
    audit.check("discount-code-disabled")

    # The next visitor is told the code no longer works.
    page.context.clear_cookies()
    page.goto(f"/retreats/{retreat.slug}/book")
    audit.check("booking-form-once-more", screenshot=False)
    fill_couple(page)
    page.get_by_label("Discount code").fill("SINTRA-LOVE")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#discount_code-error")).to_have_text("This code is no longer valid.")
    audit.check("booking-form-with-a-disabled-code")


def test_the_forms_total_takes_a_typed_code_off_as_the_visitor_leaves_the_field(
    page, audit, live_site, make_retreat, organizer
):
    sintra = sintra_weekend(make_retreat)
    create_discount_code(organizer, "SPRING-TEN", percent_off=10)
    page.goto(f"/retreats/{sintra.retreat.slug}/book")
    total = page.locator("#price-summary")
    page.get_by_role("radio", name=re.compile("Couple")).check()
    page.get_by_role("radio", name=re.compile("Sea-view suite")).check()
    expect(total).to_contain_text(re.compile(r"Total\s*€1,050\.00"))

    page.get_by_label("Discount code").fill("spring-ten")
    page.get_by_label("Discount code").blur()
    expect(total).to_contain_text(re.compile(r"Code SPRING-TEN \(10% off\)\s*−€105\.00"))
    expect(total).to_contain_text(re.compile(r"Total\s*€945\.00"))
    audit.check("booking-form-total-with-a-code")

    page.get_by_label("Discount code").fill("NOT-A-CODE")
    page.get_by_label("Discount code").blur()
    expect(total).to_contain_text("This code is not valid")
