"""The organizer's gift vouchers: the list (what is left after voucher payments and refunds, the
state, never the whole code, the same statements however many), voiding one with a reason
(audited, its pending email dropped, refused beside the field or as a whole with nothing
written), and `flask vouchers void` for the platform's site-wide vouchers."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.models import BookingStatus
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.gift_vouchers import balance, voiding
from retreats.gift_vouchers.balance import check_voucher_applies, voucher_left_minor
from retreats.gift_vouchers.cli import vouchers_cli
from retreats.gift_vouchers.models import GiftVoucher, GiftVoucherStatus
from retreats.gift_vouchers.voiding import void_voucher
from retreats.organizer.accounts.models import CoHost
from retreats.organizer.gift_vouchers.services import voucher_rows
from retreats.payments.models import Payment, PaymentStatus
from tests.conftest import csrf_token_from, on_both_databases
from tests.factories import create_gift_voucher, stored_booking
from tests.organizer.helpers import (
    audit_entries_with_action,
    field_error,
    give_back,
    spend,
    voucher_email,
)
from tests.races import first_call_waits_for, run_as_another_request

LIST_URL = "/organizer/gift-vouchers"


def void_url(voucher: GiftVoucher) -> str:
    return f"{LIST_URL}/{voucher.id}/void"


def list_page(client) -> str:
    response = client.get(LIST_URL)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row_of(page: str, voucher: GiftVoucher) -> list[str]:
    """The cells of a voucher's row in the list, as text."""
    match = re.search(rf'<tr id="voucher-{voucher.id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {voucher.reference}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]


def session_csrf_token(client) -> str:
    """The session's one CSRF token, from the discount-code form (always shown)."""
    return csrf_token_from(client.get("/organizer/discount-codes/new").get_data(as_text=True))


def void(client, voucher, reason: str):
    token = session_csrf_token(client)
    return client.post(void_url(voucher), data={"csrf_token": token, "reason": reason})


def written(db) -> tuple:
    """Every voucher's state, the audit entries and the outbox: equal, nothing was written."""
    db.session.expire_all()
    vouchers = db.session.execute(
        select(GiftVoucher.id, GiftVoucher.status, GiftVoucher.voided_at, GiftVoucher.void_reason)
    ).all()
    emails = db.session.execute(select(OutboxEmail.id, OutboxEmail.status)).all()
    return sorted(vouchers), db.session.scalar(select(func.count(AuditEntry.id))), sorted(emails)


# The list ---------------------------------------------------------------------------------------


def test_the_list_says_so_when_there_are_none(organizer_client):
    assert "No gift vouchers have been bought for your retreats yet" in list_page(organizer_client)


def test_the_list_shows_what_is_left_after_voucher_payments_and_refunds(
    db, organizer, other_organizer, organizer_client, make_retreat
):
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer, 30_000, buyer_name="Cleo", recipient_name="Dora")
    kept = spend(db, voucher, stored_booking(retreat), 12_000)
    give_back(db, kept, 5_000)
    held = stored_booking(retreat, status=BookingStatus.PENDING)
    spend(db, voucher, held, 3_000, status=PaymentStatus.OPEN)  # held by a pending booking
    lapsed = stored_booking(retreat, status=BookingStatus.EXPIRED)
    spend(db, voucher, lapsed, 4_000, status=PaymentStatus.EXPIRED)  # given back by expiry
    not_mine = create_gift_voucher(other_organizer, recipient_name="Stranger's friend")
    site_wide = create_gift_voucher(None, recipient_name="Everyone's friend")
    never_paid = create_gift_voucher(organizer, status=GiftVoucherStatus.UNPAID)

    page = list_page(organizer_client)

    cells = row_of(page, voucher)
    assert cells[:8] == [
        voucher.reference,
        "…" + voucher.code[-4:],
        "€300.00",
        "€200.00",  # 300 − 120 − 30 (held) + 50 (refunded); the expired payment holds nothing
        "Active",
        "Cleo",
        "Dora",
        cells[7],
    ]
    assert voucher_left_minor(voucher) == 20_000
    for stranger in (not_mine, site_wide, never_paid):
        assert f'id="voucher-{stranger.id}"' not in page
    assert "Stranger's friend" not in page and "Everyone's friend" not in page


def test_the_list_never_shows_a_whole_code(db, organizer, organizer_client):
    vouchers = [create_gift_voucher(organizer) for _ in range(3)]

    page = list_page(organizer_client)

    for voucher in vouchers:
        assert voucher.code_ending in page
        for shown in (voucher.code, voucher.shown_code, voucher.code[:12], voucher.code[4:]):
            assert shown not in page


def test_each_state_is_listed_and_only_a_live_voucher_can_be_voided(
    db, organizer, organizer_client, make_retreat
):
    now = utcnow()
    retreat = make_retreat()
    awaiting = create_gift_voucher(organizer, status=GiftVoucherStatus.AWAITING_PAYMENT)
    active = create_gift_voucher(organizer)
    used_up = create_gift_voucher(organizer, 10_000)
    spend(db, used_up, stored_booking(retreat), 10_000)
    expired = create_gift_voucher(organizer, expires_at=now - timedelta(minutes=1))
    void = create_gift_voucher(
        organizer, status=GiftVoucherStatus.VOID, voided_at=now, void_reason="Bought in error"
    )

    page = list_page(organizer_client)

    expected = {
        awaiting: ("—", "Awaiting payment"),
        active: ("€300.00", "Active"),
        used_up: ("€0.00", "Used up"),
        expired: ("€300.00", "Expired"),
        void: ("—", "Void Bought in error"),
    }
    for voucher, (left, status) in expected.items():
        cells = row_of(page, voucher)
        assert (cells[3], cells[4]) == (left, status), voucher
        assert (void_url(voucher) in page) == (voucher in (active, used_up)), voucher
    # Newest first.
    order = [int(i) for i in re.findall(r'<tr id="voucher-(\d+)">', page)]
    assert order == [void.id, expired.id, used_up.id, active.id, awaiting.id]
    # Every row's "left" is what the booking form would find (0 unless active).
    for row in voucher_rows(organizer.id, now=now):
        assert row.left_minor == voucher_left_minor(row.voucher), row.voucher


def test_the_list_takes_the_same_statements_for_1_voucher_as_for_20(
    db, organizer, organizer_client, make_retreat, count_statements
):
    retreat = make_retreat()
    booking = stored_booking(retreat)

    def add_voucher() -> None:
        voucher = create_gift_voucher(organizer)
        give_back(db, spend(db, voucher, booking, 10_000), 2_500)
        voucher_email(db, voucher, status=OutboxStatus.SENT)

    add_voucher()
    list_page(organizer_client)  # templates compiled, caches warm
    db.session.expire_all()
    with count_statements() as one_voucher:
        list_page(organizer_client)
    for _ in range(19):
        add_voucher()
    db.session.expire_all()
    with count_statements() as twenty_vouchers:
        page = list_page(organizer_client)
    assert page.count("€225.00") == 20 and page.count("Email sent") == 20
    assert len(twenty_vouchers) == len(one_voucher) <= 3, twenty_vouchers


def test_co_hosts_do_not_see_the_owner_s_vouchers(
    db, organizer, other_organizer, sign_in, make_retreat
):
    """As with discount codes: a voucher is the account's own, not its co-hosts'."""
    make_retreat()
    db.session.add(CoHost(owner_id=organizer.id, member_id=other_organizer.id))
    voucher = create_gift_voucher(organizer, recipient_name="Only the owner's to see")
    co_host_client = sign_in(other_organizer)

    assert "Only the owner's to see" not in list_page(co_host_client)
    assert co_host_client.get(void_url(voucher)).status_code == 404
    assert void(co_host_client, voucher, "A co-host's try").status_code == 404


# Voiding ----------------------------------------------------------------------------------------


@on_both_databases
def test_voiding_stops_the_voucher_keeps_what_it_paid_and_is_audited(
    db, organizer, organizer_client, make_retreat
):
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer, 30_000)
    paid = spend(db, voucher, stored_booking(retreat), 12_000)
    pending_email = voucher_email(db, voucher)
    receipt = voucher_email(db, voucher, status=OutboxStatus.SENT, kind="gift_voucher_receipt")
    assert organizer_client.get(void_url(voucher)).status_code == 200

    response = void(organizer_client, voucher, "  Bought with a stolen card  ")

    assert response.status_code == 303 and response.headers["Location"].endswith(LIST_URL)
    db.session.expire_all()
    assert voucher.status == GiftVoucherStatus.VOID and voucher.voided_at is not None
    assert voucher.void_reason == "Bought with a stolen card"
    assert db.session.get(Payment, paid.id).status == PaymentStatus.SUCCEEDED
    assert db.session.get(OutboxEmail, pending_email.id).status == OutboxStatus.DROPPED
    assert db.session.get(OutboxEmail, receipt.id).status == OutboxStatus.SENT
    assert voucher_left_minor(voucher) == 0
    with pytest.raises(DomainError, match="cancelled by its organizer"):
        check_voucher_applies(voucher, retreat=retreat, now=utcnow())
    (entry,) = audit_entries_with_action(db, "gift_voucher.voided")
    assert entry.actor_id == organizer.id
    assert entry.detail == f"{voucher.reference} ({voucher.code_ending}): Bought with a stolen card"
    assert voucher.code not in entry.detail
    page = organizer_client.get(LIST_URL).get_data(as_text=True)
    assert f"Gift voucher {voucher.reference} is void" in page
    assert "Email not delivered" in row_of(page, voucher)[7]


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Please say why you void this voucher."),
        ("   \n ", "Please say why you void this voucher."),
        ("x" * 501, "Please keep the reason to 500 characters (it has 501)."),
    ],
)
def test_a_missing_or_too_long_reason_is_refused_beside_the_field(
    db, organizer, organizer_client, reason, message
):
    voucher = voucher_email(db, create_gift_voucher(organizer)).gift_voucher_id
    voucher = db.session.get(GiftVoucher, voucher)
    before = written(db)

    response = void(organizer_client, voucher, reason)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "reason") == message
    assert written(db) == before


def test_a_reason_of_500_characters_is_kept_whole(db, organizer, organizer_client):
    voucher = create_gift_voucher(organizer)

    assert void(organizer_client, voucher, "y" * 500).status_code == 303
    db.session.expire_all()
    assert voucher.void_reason == "y" * 500


def test_a_void_voucher_cannot_be_voided_again(db, organizer, organizer_client):
    voucher = create_gift_voucher(organizer)
    assert void(organizer_client, voucher, "A duplicate purchase").status_code == 303
    before = written(db)

    again = void(organizer_client, voucher, "Once more")

    assert again.status_code == 303
    assert "This gift voucher is already void." in list_page(organizer_client)
    assert written(db) == before
    assert "already void" in organizer_client.get(void_url(voucher)).get_data(as_text=True)
    assert len(audit_entries_with_action(db, "gift_voucher.voided")) == 1


@on_both_databases
def test_of_two_voids_at_the_same_moment_the_second_is_refused(
    app, db, monkeypatch, organizer, organizer_client
):
    """The other void commits while this one waits for the voucher's lock: this one reads the
    voucher afresh under the lock and says it is already void; one audit entry."""
    voucher = create_gift_voucher(organizer)
    voucher_id = voucher.id

    def other_void():
        run_as_another_request(
            app,
            lambda: void_voucher(
                voucher_id=voucher_id, reason="First", actor_id=organizer.id, now=utcnow()
            ),
        )

    first_call_waits_for(monkeypatch, voiding, "lock_row", other_void)
    response = void(organizer_client, voucher, "Second")

    assert response.status_code == 303
    assert "This gift voucher is already void." in list_page(organizer_client)
    db.session.expire_all()
    assert db.session.get(GiftVoucher, voucher_id).void_reason == "First"
    assert [e.detail[-7:] for e in audit_entries_with_action(db, "gift_voucher.voided")] == [
        ": First"
    ]


@on_both_databases
def test_a_booking_taking_from_a_voucher_voided_meanwhile_sees_it_void(
    app, db, monkeypatch, organizer, make_retreat
):
    """The void commits while the booking's hold waits for the voucher's lock: the hold reads
    the voucher afresh under the lock, so nothing is spent from a void voucher."""
    retreat = make_retreat()
    voucher = create_gift_voucher(organizer)
    voucher_id, typed = voucher.id, voucher.shown_code

    def other_void():
        run_as_another_request(
            app,
            lambda: void_voucher(voucher_id=voucher_id, reason="Void", actor_id=None, now=utcnow()),
        )

    first_call_waits_for(monkeypatch, balance, "lock_row", other_void)
    with pytest.raises(DomainError, match="cancelled by its organizer"):
        balance.take_from_voucher(
            typed, retreat=retreat, total_minor=10_000, now=utcnow(), lock_timeout_ms=5_000
        )
    db.session.rollback()


@pytest.mark.parametrize(
    ("columns", "refusal"),
    [
        ({"status": GiftVoucherStatus.AWAITING_PAYMENT}, "not paid yet"),
        ({"expires_at": utcnow() - timedelta(days=1)}, "has expired"),
    ],
)
def test_a_voucher_not_paid_or_expired_cannot_be_voided(
    db, organizer, organizer_client, columns, refusal
):
    voucher = create_gift_voucher(organizer, **columns)
    assert refusal in organizer_client.get(void_url(voucher)).get_data(as_text=True)
    before = written(db)

    response = void(organizer_client, voucher, "Just because")

    assert response.status_code == 303
    assert refusal in list_page(organizer_client)
    assert written(db) == before


def test_another_organizer_s_or_a_site_wide_voucher_is_not_found(
    db, other_organizer, organizer_client
):
    theirs = create_gift_voucher(other_organizer)
    site_wide = create_gift_voucher(None)
    before = written(db)

    for voucher in (theirs, site_wide):
        assert organizer_client.get(void_url(voucher)).status_code == 404
        assert void(organizer_client, voucher, "Not mine to void").status_code == 404
    assert organizer_client.get(f"{LIST_URL}/999999/void").status_code == 404
    assert written(db) == before


# The platform's command -------------------------------------------------------------------------


def test_the_cli_voids_a_site_wide_voucher(app, db):
    voucher = create_gift_voucher(None)
    email = voucher_email(db, voucher)
    runner = app.test_cli_runner()

    result = runner.invoke(
        vouchers_cli, ["void", voucher.reference.lower(), "--reason", "Chargeback"]
    )

    assert result.exit_code == 0, result.output
    assert f"Voided {voucher.reference} (site-wide)" in result.output
    db.session.expire_all()
    assert (voucher.status, voucher.void_reason) == (GiftVoucherStatus.VOID, "Chargeback")
    assert db.session.get(OutboxEmail, email.id).status == OutboxStatus.DROPPED
    (entry,) = audit_entries_with_action(db, "gift_voucher.voided")
    assert entry.actor_id is None and entry.detail.endswith(": Chargeback")


def test_the_cli_says_why_it_voids_nothing(app, db):
    voucher = create_gift_voucher(None)
    runner = app.test_cli_runner()
    before = written(db)

    unknown = runner.invoke(vouchers_cli, ["void", "GV-NOSUCH", "--reason", "Chargeback"])
    no_reason = runner.invoke(vouchers_cli, ["void", voucher.reference, "--reason", " "])
    missing = runner.invoke(vouchers_cli, ["void", voucher.reference])

    assert (
        unknown.exit_code == 1 and "No gift voucher has the reference GV-NOSUCH" in unknown.output
    )
    assert no_reason.exit_code == 1 and "Please say why" in no_reason.output
    assert missing.exit_code == 2 and "--reason" in missing.output
    assert written(db) == before
    assert runner.invoke(vouchers_cli, ["void", voucher.reference, "--reason", "x"]).exit_code == 0
    again = runner.invoke(vouchers_cli, ["void", voucher.reference, "--reason", "x"])
    assert again.exit_code == 1 and "already void" in again.output
