"""A gift voucher in a real browser, from the buyer's click to the couple's second booking: Cleo
buys a €600 voucher for Dora from a retreat's page (a mistyped amount first, told beside the
field with the rest kept), delivered discreetly in ten days; the worker sends Cleo's receipt at
once and Dora's voucher on its day, once; Dora and her partner book a couple's weekend the
voucher covers (confirmed without Checkout, €150 stays on it), the organizer sees the €150
left, and a second couple booking spends the rest, the card paying the difference on Checkout."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from playwright.sync_api import Page, expect

from retreats.booking.models import Booking, BookingStatus
from retreats.database import utcnow
from retreats.formatting import format_date
from retreats.gift_vouchers.balance import voucher_left_minor
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.payments.models import PaymentKind, PaymentStatus
from tests.e2e.organizer import sign_in
from tests.e2e.visitor import fill_person, pay_on_hosted_page
from tests.factories import add_add_on
from tests.journey import PAYING_CARD

SHOWN_CODE = re.compile(r"GV-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")
MESSAGE = "Happy anniversary, my loves. Go and rest."


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def work_outbox(app, *moment: str) -> str:
    """Run `flask outbox work --once` (at `--now moment` when given); what it printed."""
    now = ["--now", *moment] if moment else []
    worked = app.test_cli_runner().invoke(args=["outbox", "work", "--once", *now])
    assert worked.exit_code == 0, worked.output
    return worked.output


def buy_voucher_for_dora(page: Page, audit, *, deliver_on: str) -> None:
    """On the voucher form: a mistyped amount first, told beside the field with the rest kept;
    then right, and on to Checkout."""
    expect(page.get_by_role("heading", level=1, name="Give a retreat as a gift")).to_be_visible()
    audit.check("gift-voucher-form")
    amount = page.get_by_label("Amount")
    amount.fill("6OO")  # the letter O for zeros
    page.get_by_label("Your name").fill("Cleo Buyer")
    page.get_by_label("Your email").fill("cleo@example.org")
    page.get_by_label("Their name").fill("Dora Given")
    page.get_by_label("Their email").fill("dora@example.org")
    page.get_by_label("Your message").fill(MESSAGE)
    page.get_by_label("Day we email it to them").fill(deliver_on)
    page.get_by_role("checkbox", name=re.compile("Keep it discreet")).check()
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.get_by_role("alert")).to_have_text("Please check the fields marked below.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#amount-error")).to_have_text(
        "Please enter the amount as a number, like 150 or 150.50."
    )
    expect(page.get_by_label("Their name")).to_have_value("Dora Given")
    expect(page.get_by_label("Your message")).to_have_value(MESSAGE)
    expect(page.get_by_label("Day we email it to them")).to_have_value(deliver_on)
    expect(page.get_by_role("checkbox", name=re.compile("Keep it discreet"))).to_be_checked()
    audit.check("gift-voucher-form-with-a-wrong-amount")

    amount.fill("600")
    page.get_by_role("button", name="Continue to payment").click()


def start_couple_booking(page: Page, code: str) -> None:
    """On a retreat's booking form: the couple ticket, Dora and her partner, the voucher's code
    typed the way a person copies it, lower case, and the code of conduct."""
    page.get_by_role("radio", name=re.compile("Couple")).check()
    fill_person(page, "About you", name="Dora Given", email="dora@example.org")
    fill_person(
        page,
        "About your partner (couple tickets only)",
        name="Eli Given",
        email="eli@example.org",
    )
    page.get_by_label("Gift voucher code").fill(code.lower())
    page.get_by_label("Gift voucher code").blur()
    page.get_by_role("checkbox", name=re.compile("code of conduct")).check()


def expect_form_total(page: Page, *, voucher: str, card: str, left: str) -> None:
    total = page.locator("#price-summary")
    expect(total.locator(".voucher-pays")).to_have_text(re.compile(rf"Gift voucher .*: −{voucher}"))
    expect(total.locator(".card-pays")).to_have_text(f"To pay now by card: {card}")
    expect(total.locator(".voucher-left")).to_have_text(f"Left on the voucher afterwards: {left}")


def only_voucher(db) -> GiftVoucher:
    db.session.expire_all()
    return db.session.execute(db.select(GiftVoucher)).scalar_one()


def voucher_payments_of(db, retreat) -> list[tuple[PaymentKind, PaymentStatus, int]]:
    """Each payment of the retreat's one booking, after checking that it is confirmed."""
    db.session.expire_all()
    booking = db.session.query(Booking).filter_by(retreat_id=retreat.id).one()
    assert booking.status == BookingStatus.CONFIRMED
    return sorted((p.kind, p.status, p.amount_minor) for p in booking.payments)


def test_a_gift_voucher_is_bought_delivered_on_its_day_and_spent_on_two_couple_bookings(
    page, audit, live_site, make_retreat, organizer, app, db, smtp_inbox
):
    sintra = make_retreat(title="Sintra Couples Weekend")
    porto = make_retreat(title="Porto Couples Retreat")
    for retreat in (sintra, porto):  # an add-on on offer: the form shows a total
        add_add_on(retreat, name="Airport transfer", price_minor=4_000, quantity_limit=12)
    deliver_on = (utcnow() + timedelta(days=10)).date()

    # Cleo buys the voucher from the Sintra weekend's page and pays on Stripe's page.
    page.goto(f"/retreats/{sintra.slug}")
    audit.check("retreat-page")
    page.get_by_role("link", name="Give it as a gift").click()
    buy_voucher_for_dora(page, audit, deliver_on=deliver_on.isoformat())
    page.wait_for_url(f"{live_site.stripe_url}/checkout/pay/cs_*")
    expect(page.get_by_text(re.compile("600.00")).first).to_be_visible()
    pay_on_hosted_page(page, live_site.stripe_url, PAYING_CARD)

    expect(page.get_by_role("heading", name="Paid: thank you, Cleo Buyer")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        f"We email the voucher to Dora Given (dora@example.org) on {format_date(deliver_on)}"
    )
    audit.check("gift-voucher-paid")
    voucher = only_voucher(db)
    assert (voucher.status, voucher.amount_minor, voucher.discreet) == (
        GiftVoucherStatus.ACTIVE,
        60_000,
        True,
    )

    # The worker now sends Cleo's receipt, discreet too, and keeps Dora's voucher for its day.
    assert "Sent 1 email(s)" in work_outbox(app)
    [receipt] = smtp_inbox.wait_for(1)
    assert receipt["To"] == "cleo@example.org"
    assert receipt["Subject"] == f"Your receipt {voucher.reference}"
    audit.check_email(receipt, "gift-voucher-receipt")
    assert "Sent 0 email(s)" in work_outbox(app, f"{deliver_on.isoformat()}T07:59")

    # On the day, at 08:00, the voucher goes to Dora, discreetly, once.
    assert "Sent 1 email(s)" in work_outbox(app, f"{deliver_on.isoformat()}T08:00")
    [_, gift] = smtp_inbox.wait_for(2)
    assert gift["To"] == "dora@example.org"
    assert gift["Subject"] == "A message for you"
    assert "retreat" not in gift["Subject"].lower()
    assert parseaddr(gift["From"])[0] == app.config["DISCREET_SENDER_NAME"]
    assert "Sent 0 email(s)" in work_outbox(app, f"{deliver_on.isoformat()}T09:00")
    assert len(smtp_inbox.messages) == 2
    audit.check_email(gift, "gift-voucher")
    code = SHOWN_CODE.search(text_of(gift)).group(0)
    assert MESSAGE in text_of(gift)

    # Dora and Eli book the Porto retreat (€450 for a couple): the voucher covers it, so it is
    # confirmed without Checkout, and €150 stays on the voucher.
    page.goto(f"/retreats/{porto.slug}/book")
    audit.check("booking-form")
    start_couple_booking(page, code)
    expect_form_total(page, voucher="€450.00", card="€0.00", left="€150.00")
    audit.check("booking-form-covered-by-the-voucher")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    ending = f"GV-…{code[-4:]}"
    expect(page.locator(".voucher-payment")).to_have_text(
        f"Paid with gift voucher {ending}: €450.00"
    )
    expect(page.locator(".voucher-left")).to_have_text(
        f"€150.00 stays on gift voucher {ending}, for another booking."
    )
    audit.check("confirmed-by-the-voucher")
    assert voucher_payments_of(db, porto) == [
        (PaymentKind.VOUCHER, PaymentStatus.SUCCEEDED, 45_000)
    ]
    assert voucher_left_minor(only_voucher(db)) == 15_000

    # The organizer sees the voucher with €150 left on it.
    page.context.clear_cookies()
    sign_in(page, audit)
    page.get_by_role("link", name="Gift vouchers").click()
    expect(page.get_by_role("heading", level=1, name="Gift vouchers")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(voucher.reference))
    expect(row).to_contain_text(code[-4:])
    expect(row.get_by_role("cell").nth(2)).to_have_text("€150.00")  # Left, after Amount
    expect(row).to_contain_text("€600.00")
    audit.check("organizer-gift-vouchers")

    # Then they book the Sintra weekend too: the voucher pays its last €150, the card €300.
    page.context.clear_cookies()
    page.goto(f"/retreats/{sintra.slug}/book")
    audit.check("booking-form-again", screenshot=False)
    start_couple_booking(page, code)
    expect_form_total(page, voucher="€150.00", card="€300.00", left="€0.00")
    audit.check("booking-form-part-by-the-voucher")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(f"{live_site.stripe_url}/checkout/pay/cs_*")
    expect(page.get_by_text(re.compile("300.00")).first).to_be_visible()
    pay_on_hosted_page(page, live_site.stripe_url, PAYING_CARD)
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    expect(page.locator(".voucher-payment")).to_have_text(
        f"Paid with gift voucher {ending}: €150.00"
    )
    expect(page.locator(".voucher-left")).to_have_text(f"Gift voucher {ending} is now used up.")
    audit.check("confirmed-part-by-the-voucher")
    assert voucher_payments_of(db, sintra) == [
        (PaymentKind.FULL, PaymentStatus.SUCCEEDED, 30_000),
        (PaymentKind.VOUCHER, PaymentStatus.SUCCEEDED, 15_000),
    ]
    assert voucher_left_minor(only_voucher(db)) == 0
