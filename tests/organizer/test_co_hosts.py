"""Co-hosts: inviting someone by email, accepting the link, and removing them again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail
from retreats.base.tokens import link_token
from retreats.database import utcnow
from retreats.notifications.sender import send_due_emails
from retreats.organizer.accounts.models import CoHost, Organizer, OrganizerToken, TokenPurpose
from retreats.organizer.accounts.services import accept_invite, invite_co_host
from tests.conftest import BOTH_DATABASES
from tests.factories import ORGANIZER_PASSWORD
from tests.organizer.helpers import link_path_in, reload, sign_in_through_form, signed_in_id, submit


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """Who may see a retreat and its attendees: both databases."""
    return request.param


CO_HOST_PASSWORD = "a garden of patient words"  # noqa: S105  (test data)


def invite_link(db, member: Organizer) -> str:
    token = db.session.execute(
        select(OrganizerToken)
        .where(
            OrganizerToken.organizer_id == member.id,
            OrganizerToken.purpose == TokenPurpose.CO_HOST_INVITE,
        )
        .order_by(OrganizerToken.id.desc())
        .limit(1)
    ).scalar_one()
    return link_token(token)


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_invite_end_to_end_the_new_co_host_manages_the_owners_retreats(
    app, db, organizer_client, organizer, make_retreat, smtp_inbox
):
    retreat = make_retreat(title="Listening Weekend")

    response = submit(
        organizer_client,
        "/organizer/team",
        {"email": "New@Example.org", "name": "Noor"},
        action="/organizer/team/invite",
    )

    assert response.status_code == 303
    team_page = organizer_client.get("/organizer/team").get_data(as_text=True)
    assert "new@example.org" in team_page and "Invited, not signed up yet" in team_page
    assert send_due_emails() == 1
    [message] = smtp_inbox.wait_for(1)
    assert message["To"] == "new@example.org"
    assert "Test Host invited you to co-host" in message["Subject"]
    accept_path = link_path_in(message, app)

    visitor = app.test_client()
    form_page = visitor.get(accept_path).get_data(as_text=True)
    assert 'name="password"' in form_page and 'value="Noor"' in form_page
    response = submit(
        visitor,
        accept_path,
        {"name": "Noor Haddad", "password": CO_HOST_PASSWORD, "confirm": CO_HOST_PASSWORD},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/"
    member = db.session.execute(
        select(Organizer).where(Organizer.email == "new@example.org")
    ).scalar_one()
    assert signed_in_id(visitor) == str(member.id)
    assert member.name == "Noor Haddad"
    dashboard = visitor.get("/organizer/")
    assert dashboard.status_code == 200
    assert retreat.title in dashboard.get_data(as_text=True)
    assert visitor.get(f"/organizer/retreats/{retreat.id}/audit").status_code == 200
    # The password works for a later sign-in; the link does not work twice.
    later = app.test_client()
    assert sign_in_through_form(later, "new@example.org", CO_HOST_PASSWORD).status_code == 303
    assert app.test_client().get(accept_path).status_code == 410
    [audit] = db.session.execute(select(AuditEntry)).scalars()
    assert (audit.action, audit.actor_id, audit.detail) == (
        "co_host.invited",
        organizer.id,
        "new@example.org",
    )


def test_an_invite_never_lets_anyone_set_the_password_of_an_existing_account(
    app, db, organizer, other_organizer
):
    invite_co_host(owner=organizer, email=other_organizer.email)
    path = f"/organizer/invite/{invite_link(db, other_organizer)}"
    visitor = app.test_client()

    page = visitor.get(path).get_data(as_text=True)
    assert 'name="password"' not in page
    assert "sign in with your usual password" in page
    takeover = "the inviter's chosen password"
    response = submit(visitor, path, {"name": "Taken", "password": takeover, "confirm": takeover})

    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/login"
    assert signed_in_id(visitor) is None
    person = reload(db, other_organizer)
    assert person.name == "Other Host"
    assert check_password_hash(person.password_hash, ORGANIZER_PASSWORD)
    assert not check_password_hash(person.password_hash, takeover)
    assert visitor.get(path).status_code == 410


def test_the_accept_service_ignores_a_password_for_an_account_that_has_one(
    db, organizer, other_organizer
):
    invite_co_host(owner=organizer, email=other_organizer.email)

    accepted = accept_invite(
        raw_token=invite_link(db, other_organizer), name="Taken", password="a takeover attempt"
    )

    assert accepted.password_set is False
    assert check_password_hash(reload(db, other_organizer).password_hash, ORGANIZER_PASSWORD)


def test_inviting_yourself_or_an_existing_co_host_is_refused_beside_the_field(
    db, organizer_client, organizer, other_organizer
):
    invite_co_host(owner=organizer, email=other_organizer.email)
    outbox_before = count(db, OutboxEmail)

    for email in ("HOST@example.org", other_organizer.email):
        response = submit(
            organizer_client, "/organizer/team", {"email": email}, action="/organizer/team/invite"
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert 'id="email-error"' in page

    assert count(db, CoHost) == 1
    assert count(db, OutboxEmail) == outbox_before
    assert count(db, Organizer) == 2


def test_an_invalid_email_is_refused_beside_the_field(db, organizer_client):
    response = submit(
        organizer_client,
        "/organizer/team",
        {"email": "not-an-email"},
        action="/organizer/team/invite",
    )

    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert count(db, CoHost) == 0


def test_the_team_page_lists_my_co_hosts_and_whose_retreats_i_co_host(
    db, sign_in, organizer, other_organizer
):
    invite_co_host(owner=organizer, email=other_organizer.email)

    owner_page = sign_in(organizer).get("/organizer/team").get_data(as_text=True)
    member_page = sign_in(other_organizer).get("/organizer/team").get_data(as_text=True)

    assert "Remove Other Host" in owner_page
    assert f"/organizer/team/{other_organizer.id}/remove" in owner_page
    assert "You co-host the retreats of <strong>Test Host</strong>" in member_page
    assert "Remove Test Host" not in member_page


def test_removing_a_co_host_revokes_their_access(
    db, sign_in, organizer, other_organizer, make_retreat
):
    retreat = make_retreat(title="Quiet Dawn Retreat")
    invite_co_host(owner=organizer, email=other_organizer.email)
    member_client = sign_in(other_organizer)
    assert retreat.title in member_client.get("/organizer/").get_data(as_text=True)

    response = submit(
        sign_in(organizer),
        "/organizer/team",
        {},
        action=f"/organizer/team/{other_organizer.id}/remove",
    )

    assert response.status_code == 303
    assert count(db, CoHost) == 0
    assert retreat.title not in member_client.get("/organizer/").get_data(as_text=True)
    assert member_client.get(f"/organizer/retreats/{retreat.id}/audit").status_code == 404
    actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars()
    assert list(actions) == ["co_host.invited", "co_host.removed"]


def test_only_the_owner_can_remove_their_co_host(db, sign_in, organizer, other_organizer):
    invite_co_host(owner=organizer, email=other_organizer.email)
    member_client = sign_in(other_organizer)

    # The co-host cannot remove the owner's link from their side, nor a stranger any link.
    response = submit(
        member_client, "/organizer/team", {}, action=f"/organizer/team/{organizer.id}/remove"
    )
    assert response.status_code == 404
    response = submit(
        member_client, "/organizer/team", {}, action=f"/organizer/team/{other_organizer.id}/remove"
    )
    assert response.status_code == 404
    assert count(db, CoHost) == 1


def test_removing_needs_a_post_with_its_csrf_token(
    db, organizer_client, organizer, other_organizer
):
    invite_co_host(owner=organizer, email=other_organizer.email)

    assert organizer_client.get(f"/organizer/team/{other_organizer.id}/remove").status_code == 405
    assert organizer_client.post(f"/organizer/team/{other_organizer.id}/remove").status_code == 400
    assert count(db, CoHost) == 1


def test_a_removed_invitees_unused_link_stops_working(app, db, organizer, organizer_client):
    member = invite_co_host(owner=organizer, email="late@example.org", name="Late")
    path = f"/organizer/invite/{invite_link(db, member)}"

    submit(organizer_client, "/organizer/team", {}, action=f"/organizer/team/{member.id}/remove")

    assert app.test_client().get(path).status_code == 410


def test_an_expired_or_made_up_invite_link_is_refused(app, db, organizer):
    member = invite_co_host(owner=organizer, email="slow@example.org")
    token = db.session.execute(select(OrganizerToken)).scalar_one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    visitor = app.test_client()
    response = visitor.get(f"/organizer/invite/{invite_link(db, member)}")

    assert response.status_code == 410
    assert "expired or was already used" in response.get_data(as_text=True)
    assert visitor.get("/organizer/invite/not-a-real-token").status_code == 410


def test_a_new_co_hosts_password_must_be_long_enough_and_typed_twice(app, db, organizer):
    member = invite_co_host(owner=organizer, email="careful@example.org", name="Careful")
    path = f"/organizer/invite/{invite_link(db, member)}"
    visitor = app.test_client()

    short = submit(visitor, path, {"name": "Careful", "password": "short", "confirm": "short"})
    mismatch = submit(
        visitor, path, {"name": "Careful", "password": CO_HOST_PASSWORD, "confirm": "other one"}
    )

    assert short.status_code == mismatch.status_code == 422
    assert 'id="password-error"' in short.get_data(as_text=True)
    assert 'id="confirm-error"' in mismatch.get_data(as_text=True)
    assert reload(db, member).password_hash is None
    assert visitor.get(path).status_code == 200  # the link still works
