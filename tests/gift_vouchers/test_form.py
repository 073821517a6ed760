"""The voucher form: where it is offered, and bad input told beside its field with nothing
written (no voucher, no mail, nothing sent to Stripe)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retreats.base.outbox import OutboxEmail
from retreats.database import utcnow
from retreats.gift_vouchers.models import GiftVoucher
from retreats.listings.models import RetreatStatus
from tests.factories import create_gift_voucher
from tests.gift_vouchers.helpers import filled_voucher_form

TOMORROW = (utcnow() + timedelta(days=1)).date()


@pytest.fixture
def retreat(make_retreat):
    return make_retreat(title="Couples Weekend in Sintra", slug="sintra")


def test_the_retreat_page_offers_a_voucher_and_the_form_opens(client, retreat):
    page = client.get("/retreats/sintra")
    assert 'href="/retreats/sintra/gift"' in page.get_data(as_text=True)
    form = client.get("/retreats/sintra/gift")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "every retreat and workshop of" in html
    assert retreat.organizer.name in html
    # One currency on offer: fixed, and said beside the amount.
    assert '<input type="hidden" name="currency" value="EUR">' in html
    assert "<select" not in html


def test_every_currency_of_the_organizers_published_retreats_is_offered(
    client, make_retreat, retreat
):
    make_retreat(currency="GBP")
    make_retreat(currency="USD", status=RetreatStatus.DRAFT)
    html = client.get("/retreats/sintra/gift").get_data(as_text=True)
    assert '<option value="EUR">' in html and '<option value="GBP">' in html
    assert "USD" not in html


@pytest.mark.parametrize("status", [RetreatStatus.DRAFT, RetreatStatus.CANCELLED])
def test_a_retreat_not_published_offers_no_voucher(client, make_retreat, status):
    make_retreat(slug="hidden", status=status)
    assert client.get("/retreats/hidden/gift").status_code == 404
    assert client.get("/retreats/nowhere/gift").status_code == 404


def test_the_site_wide_voucher_is_offered_only_when_the_setting_is_on(app, client, retreat):
    assert client.get("/gift").status_code == 200
    app.config["GIFT_VOUCHERS_SITE_WIDE"] = False
    assert client.get("/gift").status_code == 404


def post_form(client, url: str, **changes):
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data=filled_voucher_form(page, day=TOMORROW, **changes))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "abc", "Please enter the amount as a number, like 150 or 150.50."),
        ("amount", "1e3", "Please enter the amount as a number, like 150 or 150.50."),
        ("amount", "-150", "Please enter the amount as a number, like 150 or 150.50."),
        ("amount", "150.505", "Please enter the amount as a number, like 150 or 150.50."),
        ("amount", "19.99", "A gift voucher can be worth from €20.00 to €5,000.00."),
        ("amount", "5000.01", "A gift voucher can be worth from €20.00 to €5,000.00."),
        ("amount", "", "Please enter the amount."),
        ("deliver_on", (utcnow() - timedelta(days=1)).date().isoformat(), "from today up to"),
        ("deliver_on", (utcnow() + timedelta(days=400)).date().isoformat(), "from today up to"),
        ("deliver_on", "next tuesday", "Please enter the day as a date"),
        ("buyer_email", "cleo-at-example", "Please enter a valid email address."),
        ("recipient_email", "", "We need their email to send them the voucher."),
        ("recipient_name", "", "Please enter the name of the person it is for."),
        ("message", "x" * 1001, "Please keep the message within 1000 characters."),
        ("currency", "USD", "Please choose one of the currencies offered."),
    ],
)
def test_bad_input_is_told_beside_its_field_and_nothing_is_written(
    client, db, retreat, field, value, message
):
    response = post_form(client, "/retreats/sintra/gift", **{field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please check the fields marked below." in html
    assert f'<p class="error" id="{field}-error">' in html
    assert message in html
    # What was typed is kept.
    assert "Happy anniversary, love." in html or field == "message"
    assert db.session.query(GiftVoucher).count() == 0
    assert db.session.query(OutboxEmail).count() == 0


def test_a_currency_of_another_organizers_retreat_is_refused(
    client, db, make_retreat, other_organizer, retreat
):
    make_retreat(organizer=other_organizer, currency="GBP")
    response = post_form(client, "/retreats/sintra/gift", currency="GBP")
    assert response.status_code == 422
    assert "Please choose one of the currencies offered." in response.get_data(as_text=True)
    assert db.session.query(GiftVoucher).count() == 0
    # The site-wide voucher offers it.
    assert '<option value="GBP">' in client.get("/gift").get_data(as_text=True)


def test_stripe_out_of_reach_is_told_on_the_form_and_leaves_nothing(client, db, retreat):
    # No Stripe server listens at this app's STRIPE_API_BASE.
    response = post_form(client, "/retreats/sintra/gift")
    assert response.status_code == 502
    html = response.get_data(as_text=True)
    assert "We could not start the payment just now, so nothing was charged." in html
    assert "Happy anniversary, love." in html
    assert db.session.query(GiftVoucher).count() == 0


@pytest.mark.parametrize("token", [None, "wrong", "x" * 300])
def test_a_purchase_page_needs_its_own_token(client, db, organizer, token):
    voucher = create_gift_voucher(organizer)
    query = {} if token is None else {"t": token}
    assert client.get(f"/gift-vouchers/{voucher.reference}", query_string=query).status_code == 404
    assert client.get("/gift-vouchers/GV-NOSUCH", query_string=query).status_code == 404
    assert client.get(f"/gift-vouchers/{voucher.reference}/abandon").status_code == 404
