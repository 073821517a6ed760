"""The gift voucher field of the booking form: a voucher that cannot pay is told beside it,
with the rest of the form kept and nothing written; the form's total shows what it would pay
and what the card pays now, without locking or writing anything."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from retreats.booking.models import Booking
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.gift_vouchers.balance import voucher_left_minor
from retreats.gift_vouchers.models import GiftVoucherStatus
from retreats.payments.models import Payment as LedgerPayment
from tests.booking.test_gift_voucher_redemption import ending, post_form
from tests.booking.test_stay_form import form_url, open_form, quote, summary_of
from tests.conftest import csrf_token_from
from tests.factories import ADA, create_gift_voucher, held_booking
from tests.visitor_stay import sintra_weekend

# Refusals: beside the field, the rest of the form kept, nothing written ----------------------


def _error_beside_voucher(page_html: str) -> str:
    match = re.search(r'<p class="error" id="gift_voucher_code-error">([^<]*)</p>', page_html)
    assert match, "no message beside the gift voucher field"
    return html.unescape(match.group(1))


@pytest.fixture
def refused_vouchers(organizer, other_organizer):
    now = utcnow()
    spent = create_gift_voucher(organizer, 5_000)
    return {
        "GV-0000-0000-0000-0000": "This gift voucher code is not valid.",
        create_gift_voucher(organizer, status=GiftVoucherStatus.VOID).code: (
            "This gift voucher was cancelled by its organizer."
        ),
        create_gift_voucher(organizer, expires_at=now - timedelta(minutes=1)).code: (
            "This gift voucher has expired."
        ),
        create_gift_voucher(other_organizer).code: (
            "This gift voucher is for another organizer's retreats."
        ),
        create_gift_voucher(organizer, currency="CHF").code: "This gift voucher is in CHF",
        create_gift_voucher(organizer, status=GiftVoucherStatus.UNPAID).code: (
            "This gift voucher code is not valid."
        ),
        spent.code: "This gift voucher has nothing left on it.",
    }


def test_a_voucher_that_cannot_pay_is_told_beside_its_field_and_nothing_is_written(
    client, db, make_retreat, organizer, refused_vouchers
):
    retreat = make_retreat()
    spent = next(code for code, why in refused_vouchers.items() if "nothing left" in why)
    held_booking(make_retreat(), gift_voucher_code=spent)
    bookings_before = db.session.scalar(select(func.count(Booking.id)))

    for code, message in refused_vouchers.items():
        response = post_form(client, retreat, code)
        page = response.get_data(as_text=True)
        assert response.status_code in (400, 409), code
        assert _error_beside_voucher(page).startswith(message), code
        assert 'value="Ada Lovelace"' in page  # the rest of the form is kept

    assert db.session.scalar(select(func.count(Booking.id))) == bookings_before
    assert db.session.scalar(select(func.count(LedgerPayment.id))) == 1  # the spending one


def test_the_hold_refuses_a_voucher_with_its_field(db, make_retreat, organizer):
    retreat = make_retreat()
    with pytest.raises(DomainError) as refused:
        held_booking(retreat, ADA, gift_voucher_code="not a code")
    assert refused.value.field == "gift_voucher_code"
    assert db.session.scalar(select(func.count(Booking.id))) == 0


# The form's total ----------------------------------------------------------------------------


def test_the_forms_total_shows_what_the_voucher_pays_and_the_card_pays_now(
    client, db, make_retreat, organizer
):
    sintra = sintra_weekend(make_retreat)
    voucher = create_gift_voucher(organizer, 50_000)
    page = open_form(client, sintra.retreat)
    choice = {"ticket_type": str(sintra.individual.id), "room_type": str(sintra.twin.id)}

    applies = quote(client, sintra.retreat, page, **choice, gift_voucher_code=voucher.code)
    wrong = quote(client, sintra.retreat, page, **choice, gift_voucher_code="GV-NOPE")

    text = " ".join(re.sub(r"<[^>]+>", " ", applies.get_data(as_text=True)).split())
    assert applies.status_code == 200
    assert text.endswith(
        f"Total €400.00 Gift voucher {ending(voucher)}: −€400.00 "
        "To pay now by card: €0.00 Left on the voucher afterwards: €100.00"
    )
    assert wrong.status_code == 400
    assert "This gift voucher code is not valid." in wrong.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    assert voucher_left_minor(voucher) == 50_000


def test_update_total_without_scripts_shows_the_voucher_or_its_message_beside_it(
    client, db, make_retreat, organizer
):
    sintra = sintra_weekend(make_retreat)
    voucher = create_gift_voucher(organizer, 10_000)
    page = open_form(client, sintra.retreat)
    choices = {
        "csrf_token": csrf_token_from(page),
        "ticket_type": str(sintra.individual.id),
        "room_type": str(sintra.twin.id),
        "update_total": "1",
    }

    url = form_url(sintra.retreat)
    shown = client.post(url, data=choices | {"gift_voucher_code": voucher.code})
    refused = client.post(url, data=choices | {"gift_voucher_code": "GV-1"})

    assert summary_of(shown.get_data(as_text=True)).endswith(
        f"Gift voucher {ending(voucher)}: −€100.00 To pay now by card: €300.00 "
        "Left on the voucher afterwards: €0.00"
    )
    assert _error_beside_voucher(refused.get_data(as_text=True)).startswith(
        "This gift voucher code is not valid."
    )
    assert db.session.scalar(select(func.count(Booking.id))) == 0
