"""The organizer's discount codes: create a percent or a fixed one, each refusal beside its
field with nothing written, disable one, and the list's uses, revenue and statement count."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from retreats.base.audit import AuditEntry
from retreats.booking.models import BookingStatus
from retreats.database import utcnow
from retreats.discounts.models import DiscountCode
from retreats.discounts.rules import CODE_PATTERN
from retreats.extensions import db as _db
from retreats.organizer.discounts import services as discounts
from retreats.organizer.discounts.forms import SUGGESTION_ALPHABET
from retreats.organizer.discounts.services import CodeDetails, DiscountError
from tests.conftest import csrf_token_from, on_both_databases
from tests.factories import add_room_type, held_booking, stored_booking, ticket_for
from tests.organizer.helpers import audit_entries_with_action, field_error, post_page_form

LIST_URL = "/organizer/discount-codes"
NEW_URL = "/organizer/discount-codes/new"

PERCENT_CODE = {
    "code": "spring-ten",
    "kind": "percent",
    "percent": "10",
    "amount": "",
    "currency": "EUR",
    "valid_from": "",
    "valid_until": "",
    "max_uses": "",
    "max_uses_per_email": "",
}


def a_code(organizer, code: str = "SPRING-TEN", **columns) -> DiscountCode:
    """One of `organizer`'s codes written straight to the database (10% off unless told)."""
    if "amount_off_minor" in columns:
        columns.setdefault("currency", "EUR")
    else:
        columns.setdefault("percent_off", 10)
    discount = DiscountCode(organizer_id=organizer.id, code=code, **columns)
    _db.session.add(discount)
    _db.session.commit()
    return discount


def create(client, **data):
    return post_page_form(client, NEW_URL, PERCENT_CODE | data)


def counts(db) -> tuple[int, int]:
    db.session.expire_all()
    return db.session.query(DiscountCode).count(), db.session.query(AuditEntry).count()


def list_page(client) -> str:
    response = client.get(LIST_URL)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row_of(page: str, code: DiscountCode) -> list[str]:
    """The cells of a code's row in the list, as text."""
    match = re.search(rf'<tr id="code-{code.id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {code.code}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]


def disable(client, code_id: int):
    token = csrf_token_from(client.get(NEW_URL).get_data(as_text=True))
    return client.post(f"{LIST_URL}/{code_id}/disable", data={"csrf_token": token})


# Creating ---------------------------------------------------------------------------------------


def test_the_form_suggests_a_random_code_and_says_dates_are_in_utc(organizer_client, make_retreat):
    make_retreat()
    page = organizer_client.get(NEW_URL).get_data(as_text=True)
    suggestion = re.search(r'id="code" name="code"[^>]* value="([^"]+)"', page).group(1)
    assert CODE_PATTERN.fullmatch(suggestion) and set(suggestion) <= set(SUGGESTION_ALPHABET)
    assert "Dates in UTC" in page
    again = organizer_client.get(NEW_URL).get_data(as_text=True)
    assert suggestion not in again


@on_both_databases
def test_a_percent_code_and_a_fixed_one_are_created_and_listed(db, organizer_client, make_retreat):
    retreat = make_retreat()
    couple = ticket_for(retreat, 2)

    made = create(organizer_client, code=" spring-ten ", max_uses="5")
    assert made.status_code == 303 and made.headers["Location"].endswith(LIST_URL)
    fixed = create(
        organizer_client,
        code="FIFTY-OFF",
        kind="amount",
        percent="",
        amount="50",
        retreats=str(retreat.id),
        ticket_types=str(couple.id),
        valid_from="2030-03-01",
        valid_until="2030-03-31",
        max_uses_per_email="1",
    )
    assert fixed.status_code == 303

    spring = db.session.query(DiscountCode).filter_by(code="SPRING-TEN").one()
    assert (spring.percent_off, spring.amount_off_minor, spring.currency) == (10, None, None)
    assert (spring.retreats, spring.max_uses) == ([], 5)
    fifty = db.session.query(DiscountCode).filter_by(code="FIFTY-OFF").one()
    assert (fifty.percent_off, fifty.amount_off_minor, fifty.currency) == (None, 5000, "EUR")
    assert [r.id for r in fifty.retreats] == [retreat.id]
    assert [t.id for t in fifty.ticket_types] == [couple.id]
    assert fifty.valid_from == datetime(2030, 3, 1, tzinfo=UTC)
    assert fifty.valid_until == datetime(2030, 4, 1, tzinfo=UTC)  # the last day included
    assert fifty.max_uses_per_email == 1

    page = list_page(organizer_client)
    assert row_of(page, spring)[:5] == [
        "SPRING-TEN",
        "10% off",
        "All your retreats",
        "Always",
        "0 of 5",
    ]
    code, takes_off, where, valid, uses, revenue, status, action = row_of(page, fifty)
    assert (code, takes_off) == ("FIFTY-OFF", "€50.00 off")
    assert where == f"{retreat.title} Tickets: {couple.name}"
    assert valid == "Fri 1 Mar 2030 to Sun 31 Mar 2030"
    assert (uses, revenue, status) == ("0 1 per email", "—", "Not yet valid")
    assert [entry.detail for entry in audit_entries_with_action(db, "discount_code.created")] == [
        "Code SPRING-TEN (10% off), for all retreats",
        f"Code FIFTY-OFF (€50.00 off), for {retreat.title}",
    ]


def test_the_list_says_so_when_there_are_no_codes(organizer_client):
    page = list_page(organizer_client)
    assert "You have no discount codes yet" in page
    assert 'aria-current="page">Discount codes</a>' in page


@pytest.fixture
def world(db, make_retreat, organizer, other_organizer) -> dict:
    """A's retreat in EUR with a room type, A's retreat in USD, B's retreat with a room type,
    and A's code SPRING-TEN."""
    euros = make_retreat()
    dollars = make_retreat(currency="USD")
    strangers = make_retreat(organizer=other_organizer)
    return {
        "euros": euros,
        "euro_room": add_room_type(euros),
        "dollars": dollars,
        "strangers_room": add_room_type(strangers, name="B's suite"),
        "taken": a_code(organizer, "SPRING-TEN"),
    }


REFUSALS = {
    "taken, in another case": (lambda w: {"code": "Spring-Ten"}, "code", "already have a code"),
    "too short": (lambda w: {"code": "AB12"}, "code", "6 to 40 letters"),
    "not letters or digits": (lambda w: {"code": "HALF OFF!"}, "code", "6 to 40 letters"),
    "empty": (lambda w: {"code": ""}, "code", "Please enter the code."),
    "percent 0": (lambda w: {"percent": "0"}, "percent", "from 1 to 100"),
    "percent 101": (lambda w: {"percent": "101"}, "percent", "from 1 to 100"),
    "percent empty": (lambda w: {"percent": ""}, "percent", "from 1 to 100"),
    "amount 0": (lambda w: {"kind": "amount", "amount": "0"}, "amount", "more than nothing"),
    "amount negative": (lambda w: {"kind": "amount", "amount": "-5"}, "amount", "negative"),
    "until before from": (
        lambda w: {"valid_from": "2030-03-02", "valid_until": "2030-03-01"},
        "valid_until",
        "cannot be before the first",
    ),
    "ticket of an unticked retreat": (
        lambda w: {
            "retreats": str(w["dollars"].id),
            "ticket_types": str(ticket_for(w["euros"], 1).id),
        },
        "ticket_types",
        "which is not ticked",
    ),
    "room of an unticked retreat": (
        lambda w: {"retreats": str(w["dollars"].id), "room_types": str(w["euro_room"].id)},
        "room_types",
        "which is not ticked",
    ),
    "room of another organizer": (
        lambda w: {"room_types": str(w["strangers_room"].id)},
        "room_types",
        "your own room types",
    ),
    "a retreat of another organizer": (
        lambda w: {"retreats": "99999"},
        "retreats",
        "your own retreats",
    ),
    "an amount in a currency the retreats do not use": (
        lambda w: {
            "kind": "amount",
            "amount": "20",
            "currency": "USD",
            "retreats": str(w["euros"].id),
        },
        "currency",
        "None of the chosen retreats is priced in USD",
    ),
    "max uses negative": (lambda w: {"max_uses": "-1"}, "max_uses", "0 or more"),
    "max uses per email 0": (
        lambda w: {"max_uses_per_email": "0"},
        "max_uses_per_email",
        "1 or more",
    ),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_each_refusal_is_shown_beside_its_field_and_writes_nothing(
    db, organizer_client, world, case
):
    overrides, field, message = case
    before = counts(db)
    response = create(organizer_client, **{"code": "NEW-CODE-1"} | overrides(world))
    assert response.status_code == 422, response.status_code
    shown = field_error(response.get_data(as_text=True), field)
    assert shown is not None and message in shown, shown
    assert counts(db) == before


GARBAGE = {
    "kind": {"kind": "everything"},
    "percent": {"percent": "²"},
    "ticket type id": {"ticket_types": "one"},
    "date": {"valid_from": "31/02/2030"},
    "max uses": {"max_uses": "many"},
    "long amount": {"kind": "amount", "amount": "9" * 30},
}


@pytest.mark.parametrize("data", GARBAGE.values(), ids=GARBAGE.keys())
def test_nonsense_in_any_field_is_refused_not_a_server_error(db, organizer_client, world, data):
    before = counts(db)
    response = create(organizer_client, **{"code": "NEW-CODE-1"} | data)
    assert response.status_code == 422
    assert counts(db) == before


def test_a_fixed_amount_applies_where_a_chosen_retreat_uses_its_currency(
    db, organizer_client, world
):
    response = create(
        organizer_client, code="TWENTY-USD", kind="amount", amount="20", currency="USD"
    )
    assert response.status_code == 303  # none ticked: all, and the USD retreat is one
    made = db.session.query(DiscountCode).filter_by(code="TWENTY-USD").one()
    assert (made.amount_off_minor, made.currency, made.retreats) == (2000, "USD", [])


@on_both_databases
def test_a_code_saved_by_another_request_just_before_is_refused_beside_the_field(
    db, organizer, world, monkeypatch
):
    """Both requests passed the look-up; the unique constraint has the last word."""
    monkeypatch.setattr(discounts, "code_of_organizer", lambda organizer_id, text: None)
    before = counts(db)
    with pytest.raises(DiscountError) as refused:
        discounts.create_discount_code(
            organizer_id=organizer.id,
            actor_id=organizer.id,
            details=CodeDetails(
                code="SPRING-TEN", percent_off=20, amount_off_minor=None, currency=None
            ),
        )
    assert (refused.value.field, refused.value.message) == ("code", discounts.TAKEN_CODE)
    assert counts(db) == before


# Another organizer, disabling ---------------------------------------------------------------------


@on_both_databases
def test_another_organizer_can_neither_see_nor_disable_your_code(
    db, organizer, other_organizer, sign_in
):
    mine = a_code(organizer, "ONLY-FOR-A")
    client_b = sign_in(other_organizer)
    assert "ONLY-FOR-A" not in list_page(client_b)
    before = counts(db)
    assert disable(client_b, mine.id).status_code == 404
    assert counts(db) == before
    db.session.expire_all()
    assert db.session.get(DiscountCode, mine.id).disabled_at is None


def test_disabling_a_code_stops_it_and_is_audited(db, organizer, organizer_client):
    code = a_code(organizer, "SPRING-TEN")
    assert row_of(list_page(organizer_client), code)[-2:] == ["Active", "Disable SPRING-TEN"]

    response = disable(organizer_client, code.id)
    assert response.status_code == 303 and response.headers["Location"].endswith(LIST_URL)
    page = organizer_client.get(LIST_URL).get_data(as_text=True)
    assert "Code SPRING-TEN disabled." in page
    assert row_of(page, code)[-2:] == ["Disabled", ""]
    db.session.expire_all()
    assert db.session.get(DiscountCode, code.id).disabled_at is not None
    (entry,) = audit_entries_with_action(db, "discount_code.disabled")
    assert (entry.actor_id, entry.detail) == (organizer.id, "SPRING-TEN")

    assert disable(organizer_client, code.id).status_code == 303  # again: nothing more
    assert len(audit_entries_with_action(db, "discount_code.disabled")) == 1


def test_disabling_without_the_form_s_token_changes_nothing(db, organizer, organizer_client):
    code = a_code(organizer)
    response = organizer_client.post(f"{LIST_URL}/{code.id}/disable")
    assert response.status_code in (303, 400)
    db.session.expire_all()
    assert db.session.get(DiscountCode, code.id).disabled_at is None


def test_a_code_s_status_follows_its_dates(organizer, organizer_client):
    now = utcnow()
    expired = a_code(organizer, "LAST-YEAR", valid_until=now - timedelta(days=1))
    early = a_code(organizer, "NEXT-YEAR", valid_from=now + timedelta(days=1))
    page = list_page(organizer_client)
    assert row_of(page, expired)[-2:] == ["Expired", ""]
    assert row_of(page, early)[-2:] == ["Not yet valid", ""]


# Uses and revenue ------------------------------------------------------------------------------


def used_with(db, code, retreat, *, status: BookingStatus, amount: int, hold_minutes: int = 30):
    booking = stored_booking(retreat, status=status, amount=amount, hold_minutes=hold_minutes)
    booking.discount_code_id = code.id
    db.session.commit()
    return booking


@on_both_databases
def test_the_list_counts_uses_and_sums_the_revenue_of_confirmed_bookings(
    db, organizer, organizer_client, make_retreat
):
    euros, dollars = make_retreat(), make_retreat(currency="USD")
    limited = a_code(organizer, "FIVE-USES", max_uses=5)
    unlimited = a_code(organizer, "NO-LIMIT")
    unused = a_code(organizer, "NOBODY-YET")
    used_with(db, limited, euros, status=BookingStatus.CONFIRMED, amount=22_500)
    used_with(db, limited, euros, status=BookingStatus.CONFIRMED, amount=20_000)
    used_with(db, limited, dollars, status=BookingStatus.CONFIRMED, amount=9_000)
    used_with(db, limited, euros, status=BookingStatus.PENDING, amount=1_000)  # held: a use
    used_with(db, limited, euros, status=BookingStatus.PENDING, amount=1, hold_minutes=-5)
    used_with(db, limited, euros, status=BookingStatus.CANCELLED, amount=7_000)
    used_with(db, unlimited, euros, status=BookingStatus.CONFIRMED, amount=100)
    held_booking(euros, discount_code="no-limit")  # through the hold, as a guest books

    page = list_page(organizer_client)
    assert row_of(page, limited)[4:6] == ["4 of 5", "€425.00, $90.00"]
    assert row_of(page, unlimited)[4:6] == ["2", "€1.00"]
    assert row_of(page, unused)[4:6] == ["0", "—"]


def test_the_list_takes_the_same_statements_however_many_codes(
    db, organizer, organizer_client, make_retreat, count_statements
):
    retreat = make_retreat()
    room = add_room_type(retreat)

    def add_code(number: int) -> None:
        code = a_code(
            organizer,
            f"CODE-{number:04d}",
            max_uses=3,
            retreats=[retreat],
            ticket_types=[ticket_for(retreat, 1)],
            room_types=[room],
        )
        used_with(db, code, retreat, status=BookingStatus.CONFIRMED, amount=1_000)

    add_code(1)
    list_page(organizer_client)  # templates compiled, caches warm
    db.session.expire_all()  # the same start each time: nothing already loaded
    with count_statements() as one_code:
        list_page(organizer_client)
    for number in range(2, 8):
        add_code(number)
    db.session.expire_all()
    with count_statements() as seven_codes:
        page = list_page(organizer_client)
    assert page.count("1 of 3") == 7
    assert len(seven_codes) == len(one_code) <= 8, seven_codes
