"""Organizers signing up on their own: the form, the email link, waiting for approval, and the
rule that only an approved owner's retreats are published."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus
from retreats.base.tokens import link_token
from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.listings.models import Retreat, RetreatStatus
from retreats.notifications.sender import send_due_emails
from retreats.organizer.accounts.models import (
    Organizer,
    OrganizerStatus,
    OrganizerToken,
    TokenPurpose,
)
from retreats.organizer.accounts.services import accept_invite, invite_co_host
from retreats.organizer.accounts.sign_up import send_new_email_link, sign_up, verify_email
from retreats.organizer.listings.services import ListingError, publish_retreat
from tests.conftest import csrf_token_from
from tests.factories import (
    ORGANIZER_PASSWORD,
    create_organizer,
    create_platform_admin,
    create_retreat,
)
from tests.organizer.helpers import (
    field_error,
    link_path_in,
    reload,
    sign_in_through_form,
    signed_in_id,
    submit,
)

NEWCOMER = {
    "name": "Mira Sol",
    "email": "Mira@Example.org",
    "password": "tide pools at first light",
    "confirm": "tide pools at first light",
    "offering": "Weekend retreats for couples on the Algarve coast.",
}


def newcomer(db) -> Organizer | None:
    return db.session.scalar(select(Organizer).where(Organizer.email == "mira@example.org"))


def counts(db) -> tuple[int, int, int]:
    """Organizers, one-time links and outbox rows."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Organizer, OrganizerToken, OutboxEmail)
    )


def signed_up(db, **changes) -> Organizer:
    sign_up(**{key: value for key, value in NEWCOMER.items() if key != "confirm"} | changes)
    return newcomer(db)


# The whole way in ------------------------------------------------------------------------------


def test_sign_up_confirm_the_email_wait_then_publish_once_approved(app, db, client, smtp_inbox):
    response = submit(client, "/organizer/sign-up", NEWCOMER)

    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/sign-up/check-your-email"
    assert "Check your email" in client.get(response.headers["Location"]).get_data(as_text=True)
    person = newcomer(db)
    assert person.status == OrganizerStatus.PENDING and person.email_verified_at is None
    assert person.offering == NEWCOMER["offering"]
    assert check_password_hash(person.password_hash, NEWCOMER["password"])
    assert send_due_emails() == 1
    [message] = smtp_inbox.wait_for(1)
    assert message["To"] == "mira@example.org"
    assert message["Subject"] == "Confirm your email for Open Hearts"
    verify_path = link_path_in(message, app)
    assert verify_path.startswith("/organizer/verify/")

    # Opening the link (or a mail scanner opening it) changes nothing; the button confirms.
    assert client.get(verify_path).status_code == 200
    assert reload(db, person).email_verified_at is None
    confirmed = submit(client, verify_path, {})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == "/organizer/waiting-for-approval"
    waiting = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "waiting for approval" in waiting
    person = reload(db, person)
    assert person.email_verified_at is not None
    assert person.status == OrganizerStatus.PENDING

    # They sign in and prepare a draft, but cannot publish it before approval.
    assert sign_in_through_form(client, "mira@example.org", NEWCOMER["password"]).status_code == 303
    dashboard = client.get("/organizer/").get_data(as_text=True)
    assert "Your account is waiting for approval." in dashboard
    retreat = create_retreat(organizer=person, status=RetreatStatus.DRAFT)
    with pytest.raises(ListingError, match="waiting for approval"):
        publish_retreat(retreat_id=retreat.id, actor_id=person.id)
    assert db.session.get(Retreat, retreat.id).status == RetreatStatus.DRAFT

    person.status = OrganizerStatus.APPROVED
    db.session.commit()
    publish_retreat(retreat_id=retreat.id, actor_id=person.id)
    assert db.session.get(Retreat, retreat.id).status == RetreatStatus.PUBLISHED
    assert "waiting for approval" not in client.get("/organizer/").get_data(as_text=True)


def test_the_publish_button_tells_why_it_is_refused(db, sign_in):
    person = signed_up(db)
    retreat = create_retreat(organizer=person, status=RetreatStatus.DRAFT)
    client = sign_in(person)

    response = submit(
        client,
        f"/organizer/retreats/{retreat.id}/edit",
        {},
        action=f"/organizer/retreats/{retreat.id}/publish",
    )

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "has not confirmed its email address yet" in page
    assert db.session.get(Retreat, retreat.id).status == RetreatStatus.DRAFT


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (OrganizerStatus.DECLINED, "was not approved"),
        (OrganizerStatus.SUSPENDED, "is suspended"),
    ],
)
def test_declined_and_suspended_owners_cannot_publish(db, organizer, status, words):
    retreat = create_retreat(organizer=organizer, status=RetreatStatus.DRAFT)
    organizer.status = status
    db.session.commit()

    with pytest.raises(ListingError, match=words):
        publish_retreat(retreat_id=retreat.id, actor_id=organizer.id)


def test_a_co_host_publishes_under_the_owners_approval(db, organizer):
    """An invited co-host is not approved themself, yet publishes the approved owner's retreat;
    and cannot publish for an owner who is not approved."""
    member = invite_co_host(owner=organizer, email="helper@example.org", name="Helper")
    token = db.session.scalar(
        select(OrganizerToken).where(OrganizerToken.organizer_id == member.id)
    )
    accept_invite(raw_token=link_token(token), name="Helper", password=ORGANIZER_PASSWORD)
    member = reload(db, member)
    assert member.status == OrganizerStatus.PENDING
    assert member.email_verified_at is not None  # the invite link reached them
    retreat = create_retreat(organizer=organizer, status=RetreatStatus.DRAFT)

    publish_retreat(retreat_id=retreat.id, actor_id=member.id)
    assert db.session.get(Retreat, retreat.id).status == RetreatStatus.PUBLISHED

    own = create_retreat(organizer=member, status=RetreatStatus.DRAFT)
    with pytest.raises(ListingError, match="Your account is waiting for approval"):
        publish_retreat(retreat_id=own.id, actor_id=member.id)
    organizer.status = OrganizerStatus.SUSPENDED
    db.session.commit()
    other = create_retreat(organizer=organizer, status=RetreatStatus.DRAFT)
    with pytest.raises(ListingError, match="The account of Test Host is suspended"):
        publish_retreat(retreat_id=other.id, actor_id=member.id)


# Bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "valid email address"),
        ({"email": ""}, "email", "Please enter an email address."),
        ({"password": "short", "confirm": "short"}, "password", "10 to 200 characters"),
        ({"confirm": "something else entirely"}, "confirm", "not the same"),
        ({"name": ""}, "name", "Please tell us your name."),
        ({"offering": ""}, "offering", "Please tell us what you offer."),
        ({"offering": "x" * 2001}, "offering", "under 2000 characters"),
    ],
)
def test_bad_input_is_told_beside_its_field_and_nothing_is_written(
    db, client, changes, field, message
):
    before = counts(db)

    response = submit(client, "/organizer/sign-up", NEWCOMER | changes)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in (field_error(page, field) or "")
    assert NEWCOMER["password"] not in page  # never echoed back
    assert counts(db) == before


def test_the_service_checks_what_the_form_lets_through(db):
    with pytest.raises(DomainError) as refused:
        sign_up(email="mira@example.org", name="Mira", password="short", offering="Retreats")
    assert refused.value.field == "password"
    with pytest.raises(DomainError) as refused:
        sign_up(email="mira@example.org", name=" ", password="x" * 12, offering="Retreats")
    assert refused.value.field == "name"
    assert counts(db) == (0, 0, 0)


def test_a_taken_email_gets_the_same_answer_and_its_owner_an_email(
    app, db, client, organizer, smtp_inbox
):
    fresh = submit(app.test_client(), "/organizer/sign-up", NEWCOMER)
    taken = submit(client, "/organizer/sign-up", NEWCOMER | {"email": "HOST@example.org"})

    assert fresh.status_code == taken.status_code == 303
    assert fresh.headers["Location"] == taken.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Organizer)) == 2  # no new account
    owner = reload(db, organizer)
    assert owner.name == "Test Host" and owner.offering is None  # nothing of theirs changed
    assert check_password_hash(owner.password_hash, ORGANIZER_PASSWORD)
    assert signed_in_id(client) is None
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "organizer.sign_up_with_taken_email")
    )
    assert entry.organizer_id == organizer.id

    assert send_due_emails() == 2
    messages = {message["To"]: message for message in smtp_inbox.wait_for(2)}
    note = messages[organizer.email]
    assert note["Subject"] == "Someone tried to sign up with your email address"
    text = note.get_body(preferencelist=("plain",)).get_content()
    assert "/organizer/password/forgot" in text
    assert NEWCOMER["password"] not in text


def test_many_tries_with_a_taken_email_send_its_owner_one_note_an_hour(db, organizer):
    now = utcnow()
    for _ in range(3):
        sign_up(email=organizer.email, name="X", password="y" * 12, offering="Z", now=now)
    sign_up(
        email=organizer.email, name="X", password="y" * 12, offering="Z",
        now=now + timedelta(hours=1),
    )  # fmt: skip

    kinds = db.session.scalars(select(OutboxEmail.kind)).all()
    assert kinds == ["sign_up_attempt", "sign_up_attempt"]


# The email link --------------------------------------------------------------------------------


def verification_token(db, person: Organizer) -> OrganizerToken:
    return db.session.scalars(
        select(OrganizerToken)
        .where(
            OrganizerToken.organizer_id == person.id,
            OrganizerToken.purpose == TokenPurpose.EMAIL_VERIFICATION,
        )
        .order_by(OrganizerToken.id.desc())
    ).first()


def test_every_platform_admin_is_told_when_a_newcomer_waits_for_approval(app, db, smtp_inbox):
    first = create_platform_admin(email="pat@example.org")
    second = create_platform_admin(email="sam@example.org", name="Sam Admin")
    create_organizer(email="host@example.org")  # not an admin: not told
    person = signed_up(db)
    assert send_due_emails() == 1  # the newcomer's own link; the admins wait for the confirmation
    smtp_inbox.wait_for(1)

    verify_email(raw_token=link_token(verification_token(db, person)))

    assert send_due_emails() == 2
    told = smtp_inbox.wait_for(3)[1:]
    assert sorted(message["To"] for message in told) == [first.email, second.email]
    for message in told:
        assert message["Subject"] == "A new organizer is waiting for approval"
        body = message.get_body(("plain",)).get_content()
        assert "Mira Sol (mira@example.org)" in body
        assert NEWCOMER["offering"] in body
        review = f"Review the account: {app.config['PUBLIC_BASE_URL']}/admin/organizers/{person.id}"
        assert review in body.splitlines()


def test_an_admin_who_decided_before_the_mail_went_out_is_not_told(db, smtp_inbox):
    create_platform_admin()
    person = signed_up(db)
    verify_email(raw_token=link_token(verification_token(db, person)))
    reload(db, person).status = OrganizerStatus.APPROVED
    db.session.commit()

    send_due_emails()

    [waiting] = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "organizer_waiting")
    ).all()
    assert waiting.status == OutboxStatus.DROPPED
    # The sending is over (the newcomer's own link went unused: their address is confirmed).
    assert smtp_inbox.received == 0


def test_an_expired_link_shows_a_clear_page_and_changes_nothing(db, client):
    person = signed_up(db)
    token = verification_token(db, person)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    path = f"/organizer/verify/{link_token(token)}"

    shown = client.get(path)
    token_of_the_page = csrf_token_from(shown.get_data(as_text=True))
    posted = client.post(path, data={"csrf_token": token_of_the_page})

    for response in (shown, posted):
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert "expired or was already used" in page
        assert "Email me a new link" in page
    person = reload(db, person)
    assert person.email_verified_at is None
    assert verification_token(db, person).used_at is None


def test_a_used_link_cannot_be_used_again(db, client):
    person = signed_up(db)
    raw = link_token(verification_token(db, person))
    verify_email(raw_token=raw)
    confirmed_at = reload(db, person).email_verified_at

    again = client.get(f"/organizer/verify/{raw}")

    assert again.status_code == 410
    assert reload(db, person).email_verified_at == confirmed_at
    entries = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.organizer_id == person.id)
    ).all()
    assert entries == ["organizer.signed_up", "organizer.email_verified"]


def test_a_new_link_is_sent_only_to_an_account_that_still_needs_one(db, client, organizer):
    person = signed_up(db)

    for address in (person.email, organizer.email, "nobody@example.org"):
        response = submit(client, "/organizer/sign-up/new-link", {"email": address})
        assert response.status_code == 303
        assert response.headers["Location"] == "/organizer/sign-up/check-your-email"

    addresses = db.session.scalars(select(OutboxEmail.to_address).order_by(OutboxEmail.id)).all()
    assert addresses == [person.email, person.email]
    first, second = db.session.scalars(select(OrganizerToken).order_by(OrganizerToken.id)).all()
    verify_email(raw_token=link_token(first))  # an older link still works, once
    assert reload(db, person).email_verified_at is not None
    send_new_email_link(email=person.email)  # confirmed now: nothing more is sent
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 2
    assert second.used_at is None


def test_new_links_stop_after_three_live_ones(db):
    person = signed_up(db)  # the first link
    for _ in range(4):
        send_new_email_link(email=person.email)

    assert db.session.scalar(select(func.count()).select_from(OrganizerToken)) == 3


def test_the_sign_in_page_and_the_footer_lead_to_the_sign_up(client):
    assert 'href="/organizer/sign-up"' in client.get("/organizer/login").get_data(as_text=True)
    assert "List your retreat" in client.get("/").get_data(as_text=True)
