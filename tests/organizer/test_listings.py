"""The listing editor: create, edit, preview, publish, duplicate retreats and their ticket types."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.booking.email_schedule import schedule_balance_reminders
from retreats.database import utcnow
from retreats.listings.models import DepositRule, Retreat, RetreatStatus, TicketType
from retreats.organizer.accounts.models import CoHost
from retreats.organizer.listings.forms import price_as_text, price_in_minor_units
from tests.factories import attendee, held_booking
from tests.html_forms import form_values, post_as_shown
from tests.organizer.helpers import (
    NEXT_YEAR,
    audit_actions_for_retreat,
    audit_entries_with_action,
    field_error,
    new_retreat_data,
    owing_booking,
    post_page_form,
    row_counts,
)

# The second Sunday of March, when New York's clocks skip from 02:00 to 03:00.
SPRING_FORWARD = datetime(NEXT_YEAR, 3, 8) + timedelta(
    days=(6 - datetime(NEXT_YEAR, 3, 8).weekday())
)


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return app_config


def create_draft(client, **overrides) -> Retreat:
    response = post_page_form(client, "/organizer/retreats/new", new_retreat_data(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    retreat_id = int(re.search(r"/retreats/(\d+)/edit", response.headers["Location"]).group(1))
    from retreats.extensions import db

    return db.session.get(Retreat, retreat_id)


def add_ticket(client, retreat, **data):
    url = f"/organizer/retreats/{retreat.id}/tickets/new"
    fields = {"name": "Individual", "description": "", "price": "250", "seats_per_ticket": "1"}
    return post_page_form(client, url, fields | data)


def test_create_add_tickets_publish_and_it_is_public(db, client, organizer_client, organizer):
    retreat = create_draft(organizer_client)
    assert retreat.status == RetreatStatus.DRAFT
    assert retreat.organizer_id == organizer.id
    assert retreat.slug == "slow-love-weekend"
    # 18:00 on New York's summer clock (UTC-4) is 22:00 UTC.
    assert retreat.starts_at == datetime(NEXT_YEAR, 6, 14, 22, 0, tzinfo=UTC)
    assert retreat.ends_at == datetime(NEXT_YEAR, 6, 16, 18, 0, tzinfo=UTC)
    edit_page = organizer_client.get(f"/organizer/retreats/{retreat.id}/edit").get_data(True)
    assert f'value="{NEXT_YEAR}-06-14T18:00"' in edit_page  # shown on the retreat's own clock
    assert client.get("/retreats/slow-love-weekend").status_code == 404  # a draft

    assert add_ticket(organizer_client, retreat, name="Individual", price="250").status_code == 303
    couple = add_ticket(
        organizer_client,
        retreat,
        name="Couple",
        price="449.50",
        seats_per_ticket="2",
        sale_ends_at=f"{NEXT_YEAR}-05-01T00:00",
        quantity_limit="5",
    )
    assert couple.status_code == 303
    db.session.expire_all()
    tickets = {t.name: t for t in retreat.ticket_types}
    assert (tickets["Individual"].price_minor, tickets["Individual"].seats_per_ticket) == (
        25_000,
        1,
    )
    assert (tickets["Couple"].price_minor, tickets["Couple"].seats_per_ticket) == (44_950, 2)
    assert tickets["Couple"].quantity_limit == 5
    assert tickets["Couple"].sale_ends_at == datetime(NEXT_YEAR, 5, 1, 4, 0, tzinfo=UTC)

    edit_url = f"/organizer/retreats/{retreat.id}/edit"
    published = post_page_form(
        organizer_client, edit_url, {}, action=f"/organizer/retreats/{retreat.id}/publish"
    )
    assert published.status_code == 303
    db.session.expire_all()
    assert retreat.status == RetreatStatus.PUBLISHED

    catalog = client.get("/").get_data(as_text=True)
    assert "Slow Love Weekend" in catalog
    detail = client.get("/retreats/slow-love-weekend")
    assert detail.status_code == 200
    page = detail.get_data(as_text=True)
    assert "€250.00" in page and "€449.50" in page
    assert "Book your place" in page
    assert audit_actions_for_retreat(db, retreat.id) == [
        "retreat.created",
        "ticket_type.created",
        "ticket_type.created",
        "retreat.published",
    ]


def test_an_online_retreat_in_a_zero_decimal_currency(db, organizer_client):
    retreat = create_draft(
        organizer_client,
        title="Evening of Words",
        slug="evening-of-words",
        where="online",
        online_join_url="https://meet.example.org/words",
        venue="ignored",
        city="",
        country="",
        timezone="Asia/Tokyo",
        currency="JPY",
        starts_at=f"{NEXT_YEAR}-02-04T19:00",
        ends_at=f"{NEXT_YEAR}-02-04T21:00",
    )
    assert retreat.is_online and retreat.venue is None
    assert retreat.online_join_url == "https://meet.example.org/words"
    assert retreat.starts_at == datetime(NEXT_YEAR, 2, 4, 10, 0, tzinfo=UTC)
    assert add_ticket(organizer_client, retreat, price="3000").status_code == 303
    refused = add_ticket(organizer_client, retreat, price="3000.50")
    assert "like 3000" in field_error(refused.get_data(as_text=True), "price")
    db.session.expire_all()
    assert [t.price_minor for t in retreat.ticket_types] == [3000]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_at": f"{NEXT_YEAR}-06-13T18:00"}, "ends_at", "The end must be after the start."),
        ({"ends_at": f"{NEXT_YEAR}-06-14T18:00"}, "ends_at", "The end must be after the start."),
        ({"slug": "Not A Slug!"}, "slug", "lowercase letters"),
        ({"slug": "retreat-1"}, "slug", "already taken"),
        ({"capacity": "99999999999999999999999"}, "capacity", "between 1 and 100000"),
        ({"capacity": "-3"}, "capacity", "between 1 and 100000"),
        ({"capacity": "lots"}, "capacity", "integer"),
        ({"kind": "banana"}, "kind", "Not a valid choice"),
        ({"currency": "XXX"}, "currency", "Not a valid choice"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice"),
        ({"starts_at": "next tuesday"}, "starts_at", "Not a valid datetime"),
        ({"starts_at": "9999-12-31T23:59"}, "starts_at", "between the years"),
        ({"title": ""}, "title", "required"),
        ({"summary": "x" * 501}, "summary", "500"),
        ({"refund_partial_percent": "150"}, "refund_partial_percent", "between 0 and 100"),
        ({"city": ""}, "city", "Please enter the city"),
        ({"where": "moon"}, "where", "Not a valid choice"),
        ({"where": "online", "online_join_url": "javascript:alert(1)"}, "online_join_url", "https"),
        # 02:30 does not exist in New York on the morning the clocks go forward.
        ({"starts_at": f"{SPRING_FORWARD:%Y-%m-%d}T02:30"}, "starts_at", "does not exist"),
    ],
)
def test_a_wrong_field_gets_its_error_beside_it_and_nothing_is_written(
    db, organizer_client, make_retreat, overrides, field, message
):
    make_retreat()  # owns the slug retreat-1
    before = row_counts(db)
    response = post_page_form(
        organizer_client, "/organizer/retreats/new", new_retreat_data(**overrides)
    )
    assert response.status_code in (400, 422)
    error = field_error(response.get_data(as_text=True), field)
    assert error and message in error, error
    db.session.expire_all()
    assert row_counts(db) == before


def test_junk_posts_are_form_errors_not_crashes(db, organizer_client, make_retreat):
    retreat = make_retreat()
    before = row_counts(db)
    for url in (
        "/organizer/retreats/new",
        f"/organizer/retreats/{retreat.id}/edit",
        f"/organizer/retreats/{retreat.id}/tickets/new",
        f"/organizer/retreats/{retreat.id}/tickets/{retreat.ticket_types[0].id}/edit",
    ):
        token = form_values(organizer_client.get(url).get_data(as_text=True), url)["csrf_token"]
        for junk in (
            {},
            {
                "capacity": "1e400",
                "price": "NaN",
                "seats_per_ticket": "three",
                "starts_at": "\x00",
                "quantity_limit": "9" * 5000,
            },
        ):
            response = organizer_client.post(url, data={"csrf_token": token, **junk})
            assert response.status_code == 422, (url, junk)
        # Without its CSRF token a form is refused outright.
        assert organizer_client.post(url, data={"title": "no token"}).status_code == 400
    db.session.expire_all()
    assert row_counts(db) == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"price": "-5"}, "price", "cannot be negative"),
        ({"price": "12,50"}, "price", "like 250 or 249.50"),
        ({"price": "12.345"}, "price", "like 250 or 249.50"),
        ({"price": "1e5"}, "price", "like 250 or 249.50"),
        ({"price": ""}, "price", "required"),
        ({"price": "99999999999"}, "price", "higher than a card payment"),
        ({"seats_per_ticket": "3"}, "seats_per_ticket", "Not a valid choice"),
        ({"quantity_limit": "0"}, "quantity_limit", "between 1 and 100000"),
        ({"name": ""}, "name", "required"),
        (
            {
                "sale_starts_at": f"{NEXT_YEAR}-05-01T00:00",
                "sale_ends_at": f"{NEXT_YEAR}-04-01T00:00",
            },
            "sale_ends_at",
            "must end after it starts",
        ),
    ],
)
def test_a_wrong_ticket_field_gets_its_error_and_nothing_is_written(
    db, organizer_client, make_retreat, data, field, message
):
    retreat = make_retreat()
    before = row_counts(db)
    response = add_ticket(organizer_client, retreat, **data)
    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), field)
    assert error and message in error, error
    db.session.expire_all()
    assert row_counts(db) == before


def edit(client, retreat, **changes):
    """Submit the edit form as it is prefilled, with some fields changed."""
    return post_as_shown(
        client, f"/organizer/retreats/{retreat.id}/edit", **{"save": "Save"} | changes
    )


def test_editing_saves_the_changes_and_audits_their_names(db, organizer_client, make_retreat):
    retreat = make_retreat(capacity=10, timezone="Europe/Lisbon")
    unchanged = edit(organizer_client, retreat)
    assert unchanged.status_code == 303
    response = edit(organizer_client, retreat, title="Heart Retreat, Renewed", capacity="14")
    assert response.status_code == 303
    db.session.expire_all()
    assert (retreat.title, retreat.capacity) == ("Heart Retreat, Renewed", 14)
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "retreat.updated")
    ).one()  # the unchanged save wrote no entry
    assert entry.detail == "title, capacity"


def test_capacity_cannot_drop_below_the_seats_taken(db, organizer_client, make_retreat):
    retreat = make_retreat(capacity=10)
    single, couple = retreat.ticket_types
    for ticket, people in ((single, ["Ada"]), (couple, ["Bea", "Cy"])):
        held_booking(retreat, *(attendee("a@example.org", name) for name in people), ticket=ticket)
    before = row_counts(db)
    response = edit(organizer_client, retreat, capacity="2")
    assert response.status_code == 400
    assert "3 places are already taken" in field_error(response.get_data(as_text=True), "capacity")
    db.session.expire_all()
    assert retreat.capacity == 10
    assert row_counts(db) == before
    assert edit(organizer_client, retreat, capacity="3").status_code == 303
    db.session.expire_all()
    assert retreat.capacity == 3


def test_the_currency_stays_once_people_have_booked(db, organizer_client, make_retreat):
    retreat = make_retreat()
    held_booking(retreat, attendee("a@example.org", "Ada"))
    response = edit(organizer_client, retreat, currency="USD")
    assert "cannot change" in field_error(response.get_data(as_text=True), "currency")
    db.session.expire_all()
    assert retreat.currency == "EUR"


def preview_of(page_html: str) -> str:
    match = re.search(r'<section class="listing-preview".*?</section>', page_html, re.S)
    assert match, "no preview in the page"
    return match.group(0)


def test_preview_renders_sanitised_markdown_and_saves_nothing(db, organizer_client, make_retreat):
    retreat = make_retreat()
    before = row_counts(db)
    hostile = "We **listen**.\n\n<script>alert('x')</script> <img src=x onerror=alert(1)>"
    created = post_page_form(
        organizer_client,
        "/organizer/retreats/new",
        new_retreat_data(
            description_md=hostile,
            preparation_guide_md="- socks\n- tea",
            save="",
            preview="Preview",
        ),
    )
    page = created.get_data(as_text=True)
    assert created.status_code == 200
    preview = preview_of(page)
    assert "<strong>listen</strong>" in preview
    assert "<li>socks</li>" in preview
    assert "<script" not in page  # not in the preview, and only escaped in the textarea
    assert "<img" not in preview and "onerror" not in preview
    assert "nothing has been saved" in preview

    edited = edit(
        organizer_client, retreat, description_md="# New *words*", save="", preview="Preview"
    )
    assert edited.status_code == 200
    assert "<em>words</em>" in preview_of(edited.get_data(as_text=True))
    db.session.expire_all()
    assert retreat.description_md == "We **listen**."
    assert row_counts(db) == before


def test_duplicate_makes_a_draft_copy_with_the_tickets_for_the_same_owner(
    db, sign_in, organizer, other_organizer, make_retreat
):
    original = make_retreat(title="Heart Retreat", slug="heart-retreat", capacity=16)
    # A co-host duplicates it: the copy still belongs to the retreat's owner.
    db.session.add(CoHost(owner_id=organizer.id, member_id=other_organizer.id))
    db.session.commit()
    co_host = sign_in(other_organizer)
    url = f"/organizer/retreats/{original.id}/edit"
    response = post_page_form(
        co_host, url, {}, action=f"/organizer/retreats/{original.id}/duplicate"
    )
    assert response.status_code == 303
    copy = db.session.scalars(db.select(Retreat).where(Retreat.id != original.id)).one()
    assert response.headers["Location"].endswith(f"/organizer/retreats/{copy.id}/edit")
    assert (copy.title, copy.slug, copy.status) == (
        "Heart Retreat (copy)",
        "heart-retreat-copy",
        RetreatStatus.DRAFT,
    )
    assert copy.organizer_id == organizer.id
    assert (copy.capacity, copy.starts_at, copy.summary) == (
        original.capacity,
        original.starts_at,
        original.summary,
    )
    assert [(t.name, t.price_minor, t.seats_per_ticket) for t in copy.ticket_types] == [
        (t.name, t.price_minor, t.seats_per_ticket) for t in original.ticket_types
    ]
    assert {t.id for t in copy.ticket_types}.isdisjoint({t.id for t in original.ticket_types})
    assert audit_actions_for_retreat(db, copy.id) == ["retreat.duplicated"]
    # A second copy finds the next free slug.
    post_page_form(co_host, url, {}, action=f"/organizer/retreats/{original.id}/duplicate")
    assert db.session.scalars(db.select(Retreat.slug).order_by(Retreat.id)).all()[-1] == (
        "heart-retreat-copy-2"
    )


def test_unpublish_hides_it_and_publish_needs_tickets_and_a_future_start(
    db, client, organizer_client, make_retreat
):
    retreat = make_retreat(title="Shown Then Hidden")
    url = f"/organizer/retreats/{retreat.id}/edit"
    post_page_form(organizer_client, url, {}, action=f"/organizer/retreats/{retreat.id}/unpublish")
    db.session.expire_all()
    assert retreat.status == RetreatStatus.DRAFT
    assert "Shown Then Hidden" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/retreats/{retreat.slug}").status_code == 404

    no_tickets = make_retreat(status=RetreatStatus.DRAFT, tickets=[("x", 1, 1)])
    db.session.delete(no_tickets.ticket_types[0])
    db.session.commit()
    past = make_retreat(status=RetreatStatus.DRAFT, starts_in=timedelta(days=-1))
    for draft, message in ((no_tickets, "at least one ticket type"), (past, "already started")):
        edit_url = f"/organizer/retreats/{draft.id}/edit"
        response = post_page_form(
            organizer_client, edit_url, {}, action=f"/organizer/retreats/{draft.id}/publish"
        )
        page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
        assert message in page
        db.session.expire_all()
        assert draft.status == RetreatStatus.DRAFT
    assert audit_actions_for_retreat(db, retreat.id) == ["retreat.unpublished"]


def test_ticket_type_edit_and_the_rules_once_booked(db, organizer_client, make_retreat):
    retreat = make_retreat()
    single, couple = retreat.ticket_types
    base = f"/organizer/retreats/{retreat.id}/tickets"
    edit_url = f"{base}/{single.id}/edit"
    values = form_values(organizer_client.get(edit_url).get_data(as_text=True), edit_url)
    assert values["price"] == "250"
    saved = organizer_client.post(edit_url, data=values | {"price": "260", "name": "Solo"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert (single.name, single.price_minor) == ("Solo", 26_000)

    held_booking(retreat, attendee("a@example.org", "Ada"), ticket=single)
    changed_seats = organizer_client.post(edit_url, data=values | {"seats_per_ticket": "2"})
    error = field_error(changed_seats.get_data(as_text=True), "seats_per_ticket")
    assert "same number of people" in error
    delete = post_page_form(
        organizer_client,
        f"/organizer/retreats/{retreat.id}/edit",
        {},
        action=f"{base}/{single.id}/delete",
    )
    assert "End its sale instead" in organizer_client.get(delete.headers["Location"]).get_data(True)
    deleted = post_page_form(
        organizer_client,
        f"/organizer/retreats/{retreat.id}/edit",
        {},
        action=f"{base}/{couple.id}/delete",
    )
    assert deleted.status_code == 303
    db.session.expire_all()
    assert [t.name for t in retreat.ticket_types] == ["Solo"]
    assert db.session.get(TicketType, single.id).seats_per_ticket == 1
    assert audit_actions_for_retreat(db, retreat.id) == [
        "ticket_type.updated",
        "ticket_type.deleted",
    ]


def test_ticket_types_and_retreats_of_others_are_404(
    db, organizer_client, sign_in, other_organizer, make_retreat
):
    mine = make_retreat()
    theirs = make_retreat(organizer=other_organizer)
    their_ticket = theirs.ticket_types[0]
    # Someone else's ticket type through my retreat's address: not found.
    assert (
        organizer_client.get(
            f"/organizer/retreats/{mine.id}/tickets/{their_ticket.id}/edit"
        ).status_code
        == 404
    )
    token_page = organizer_client.get(f"/organizer/retreats/{mine.id}/edit").get_data(True)
    token = form_values(token_page, f"/organizer/retreats/{mine.id}/edit")["csrf_token"]
    for url in (
        f"/organizer/retreats/{mine.id}/tickets/{their_ticket.id}/delete",
        f"/organizer/retreats/{theirs.id}/publish",
        f"/organizer/retreats/{theirs.id}/unpublish",
        f"/organizer/retreats/{theirs.id}/duplicate",
        f"/organizer/retreats/{theirs.id}/cancel",
    ):
        assert organizer_client.post(url, data={"csrf_token": token}).status_code == 404, url
    for url in (
        f"/organizer/retreats/{theirs.id}/edit",
        f"/organizer/retreats/{theirs.id}/tickets/new",
        f"/organizer/retreats/{theirs.id}/guide.pdf",
        f"/organizer/retreats/{theirs.id}/cancel",
    ):
        assert organizer_client.get(url).status_code == 404, url
    db.session.expire_all()
    assert theirs.status == RetreatStatus.PUBLISHED
    assert len(theirs.ticket_types) == 2
    assert db.session.query(Retreat).count() == 2


def test_a_quantity_limit_cannot_drop_below_the_tickets_taken(db, organizer_client, make_retreat):
    retreat = make_retreat()
    single = retreat.ticket_types[0]
    for name in ("Ada", "Bea"):
        held_booking(retreat, attendee(f"{name.lower()}@example.org", name), ticket=single)
    edit_url = f"/organizer/retreats/{retreat.id}/tickets/{single.id}/edit"
    values = form_values(organizer_client.get(edit_url).get_data(as_text=True), edit_url)
    refused = organizer_client.post(edit_url, data=values | {"quantity_limit": "1"})
    assert "must be at least 2" in field_error(refused.get_data(as_text=True), "quantity_limit")
    db.session.expire_all()
    assert single.quantity_limit is None
    assert organizer_client.post(edit_url, data=values | {"quantity_limit": "2"}).status_code == 303
    db.session.expire_all()
    assert single.quantity_limit == 2


def test_sale_windows_and_audit_times_are_shown_in_the_retreats_own_zone(
    db, organizer_client, make_retreat
):
    retreat = make_retreat(timezone="Asia/Tokyo")
    ticket = retreat.ticket_types[0]
    ticket.sale_starts_at = datetime(NEXT_YEAR, 1, 5, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo
    ticket.sale_ends_at = datetime(NEXT_YEAR, 1, 20, 15, 0, tzinfo=UTC)  # 00:00 the 21st
    published = datetime(NEXT_YEAR, 2, 1, 23, 15, tzinfo=UTC)  # 08:15 the 2nd in Tokyo
    db.session.add(
        AuditEntry(action="retreat.published", retreat_id=retreat.id, created_at=published)
    )
    db.session.commit()

    edit = organizer_client.get(f"/organizer/retreats/{retreat.id}/edit").get_data(as_text=True)
    assert f"from 5 Jan {NEXT_YEAR}, 09:30" in edit
    assert f"until 21 Jan {NEXT_YEAR}, 00:00" in edit
    audit = organizer_client.get(f"/organizer/retreats/{retreat.id}/audit").get_data(as_text=True)
    assert f"2 Feb {NEXT_YEAR}, 08:15" in audit


@pytest.mark.parametrize(
    ("price_minor", "currency", "typed"),
    [(24_950, "EUR", "249.50"), (25_000, "EUR", "250"), (5, "EUR", "0.05"), (3000, "JPY", "3000")],
)
def test_the_ticket_form_shows_a_stored_price_as_it_would_be_typed(price_minor, currency, typed):
    assert price_as_text(price_minor, currency) == typed
    assert price_in_minor_units(typed, currency) == price_minor


def test_the_deposit_rule_is_set_in_the_editor_and_shown_as_typed(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    saved = edit(
        organizer_client,
        retreat,
        deposit_rule="per_person",
        deposit_amount="150",
        balance_due_days="30",
    )
    assert saved.status_code == 303
    db.session.expire_all()
    assert (retreat.deposit_rule, retreat.deposit_value, retreat.balance_due_days) == (
        DepositRule.PER_PERSON,
        15_000,
        30,
    )
    edit_url = f"/organizer/retreats/{retreat.id}/edit"
    shown = form_values(organizer_client.get(edit_url).get_data(as_text=True), edit_url)
    assert (shown["deposit_rule"], shown["deposit_amount"]) == ("per_person", "150.00")
    public = organizer_client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert "A deposit of €150.00 per person secures your place" in public


@pytest.mark.parametrize(
    ("rule", "amount", "message"),
    [
        ("percent", "100", "between 1 and 99"),
        ("percent", "thirty", "between 1 and 99"),
        ("per_person", "-5", "cannot be negative"),
        ("per_person", "0", "more than nothing"),
    ],
)
def test_a_wrong_deposit_is_refused_beside_its_field(
    db, organizer_client, make_retreat, rule, amount, message
):
    retreat = make_retreat()
    refused = edit(organizer_client, retreat, deposit_rule=rule, deposit_amount=amount)
    assert refused.status_code in (400, 422)
    error = field_error(refused.get_data(as_text=True), "deposit_amount")
    assert error and message in error, error
    db.session.expire_all()
    assert retreat.deposit_rule == DepositRule.NONE


def test_the_grace_period_for_an_unpaid_balance_is_set_in_the_editor(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    assert edit(organizer_client, retreat, balance_grace_days="14").status_code == 303
    db.session.expire_all()
    assert retreat.balance_grace_days == 14
    edit_url = f"/organizer/retreats/{retreat.id}/edit"
    shown = form_values(organizer_client.get(edit_url).get_data(as_text=True), edit_url)
    assert shown["balance_grace_days"] == "14"
    assert "balance_grace_days" in audit_entries_with_action(db, "retreat.updated")[-1].detail

    assert edit(organizer_client, retreat, balance_grace_days="").status_code == 303
    db.session.expire_all()
    assert retreat.balance_grace_days == 7  # empty: the default
    assert edit(organizer_client, retreat, balance_grace_days="0").status_code == 303
    db.session.expire_all()
    assert retreat.balance_grace_days == 0


def test_keeping_or_refunding_the_deposit_of_an_overdue_booking_is_set_in_the_editor(
    db, organizer_client, make_retreat
):
    retreat = make_retreat(deposit_rule=DepositRule.PERCENT, deposit_value=30)
    assert retreat.overdue_keeps_deposit
    assert edit(organizer_client, retreat, overdue_keeps_deposit="refund").status_code == 303
    db.session.expire_all()
    assert retreat.overdue_keeps_deposit is False
    edit_url = f"/organizer/retreats/{retreat.id}/edit"
    shown = form_values(organizer_client.get(edit_url).get_data(as_text=True), edit_url)
    assert shown["overdue_keeps_deposit"] == "refund"
    public = organizer_client.get(f"/retreats/{retreat.slug}").get_data(as_text=True)
    assert "cancels the booking, and it is refunded" in public

    assert edit(organizer_client, retreat, overdue_keeps_deposit="keep").status_code == 303
    db.session.expire_all()
    assert retreat.overdue_keeps_deposit is True


def test_a_new_retreat_gets_the_default_overdue_rule(db, organizer_client):
    retreat = create_draft(organizer_client)
    assert (retreat.balance_grace_days, retreat.overdue_keeps_deposit) == (7, True)
    refunding = create_draft(
        organizer_client,
        title="Refunding Weekend",
        balance_grace_days="3",
        overdue_keeps_deposit="refund",
    )
    assert (refunding.balance_grace_days, refunding.overdue_keeps_deposit) == (3, False)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("balance_grace_days", "61", "Between 0 and 60 days."),
        ("balance_grace_days", "-1", "Between 0 and 60 days."),
        ("balance_grace_days", "seven", "Not a valid integer value."),
        ("overdue_keeps_deposit", "maybe", "Not a valid choice."),
    ],
)
def test_a_wrong_overdue_rule_is_refused_beside_its_field_and_nothing_is_saved(
    db, organizer_client, make_retreat, field, value, message
):
    retreat = make_retreat(title="Unchanged Retreat")
    before = row_counts(db)
    refused = edit(organizer_client, retreat, title="Half Written", **{field: value})
    assert refused.status_code == 422
    error = field_error(refused.get_data(as_text=True), field)
    assert error and message in error, error
    db.session.expire_all()
    assert (retreat.title, retreat.balance_grace_days, retreat.overdue_keeps_deposit) == (
        "Unchanged Retreat",
        7,
        True,
    )
    assert row_counts(db) == before


def test_a_new_grace_period_moves_the_reminder_after_the_due_date(
    db, organizer_client, make_retreat
):
    retreat = make_retreat(starts_in=timedelta(days=90))
    booking = owing_booking(db, retreat, due_in=timedelta(days=30))
    paid = owing_booking(db, retreat, deposit=100_000, due_in=timedelta(days=30))
    now = utcnow()
    for each in (booking, paid):
        schedule_balance_reminders(each, now=now)
    db.session.commit()

    assert edit(organizer_client, retreat, balance_grace_days="1").status_code == 303
    assert pending_kinds(db, booking) == {"balance_reminder_early", "balance_reminder_late"}
    assert edit(organizer_client, retreat, balance_grace_days="5").status_code == 303
    assert pending_kinds(db, booking) == {
        "balance_reminder_early",
        "balance_reminder_late",
        "balance_overdue",
    }
    # A balance already paid is left alone: its reminders go nowhere anyway.
    assert "balance_overdue" in pending_kinds(db, paid)


def pending_kinds(db, booking) -> set[str]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            db.select(OutboxEmail.kind).where(
                OutboxEmail.booking_id == booking.id,
                OutboxEmail.status == OutboxStatus.PENDING,
                OutboxEmail.kind.like("balance%"),
            )
        )
    )
