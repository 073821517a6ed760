"""A platform admin's decisions through the /admin pages: approve, decline, suspend, reinstate,
unpublish; each audited and emailed (read from a real SMTP server), each refused cleanly when it
does not apply. And nobody else gets in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from retreats.admin.services import (
    AdminError,
    approve_organizer,
    decline_organizer,
    reinstate_organizer,
    suspend_organizer,
    unpublish_listing,
)
from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail
from retreats.listings.models import Retreat, RetreatStatus
from retreats.notifications.sender import send_due_emails
from retreats.organizer.accounts.models import Organizer, OrganizerStatus
from tests.conftest import csrf_token_from
from tests.factories import create_retreat, create_signed_up_organizer
from tests.organizer.helpers import field_error, reload

REASON = "Your listings describe medical treatment, which Open Hearts does not host."


def post_from_page(client, page_url: str, action_url: str, data: dict):
    page = client.get(page_url)
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(action_url, data={"csrf_token": token, **data})


def decision(client, person, action: str, reason: str | None = None):
    data = {} if reason is None else {"reason": reason}
    url = f"/admin/organizers/{person.id}"
    return post_from_page(client, url, f"{url}/{action}", data)


def actions_about(db, person) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [
        (entry.action, entry.detail)
        for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.organizer_id == person.id).order_by(AuditEntry.id)
        )
    ]


def mail_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# Who gets in -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/listings",
        "/admin/organizers/1",
        "/admin/retreats/1",
    ],
)
def test_the_area_is_a_404_to_anyone_but_a_platform_admin(client, organizer_client, path):
    assert client.get(path).status_code == 404
    assert organizer_client.get(path).status_code == 404


def test_an_organizer_cannot_decide_anything(db, organizer_client, newcomer, organizer):
    retreat = create_retreat(organizer=organizer)
    token = csrf_token_from(organizer_client.get("/organizer/team").get_data(as_text=True))

    for path in (
        f"/admin/organizers/{newcomer.id}/approve",
        f"/admin/organizers/{organizer.id}/suspend",
        f"/admin/retreats/{retreat.id}/unpublish",
    ):
        response = organizer_client.post(path, data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 404

    assert reload(db, newcomer).status == OrganizerStatus.PENDING
    assert reload(db, organizer).status == OrganizerStatus.APPROVED
    assert db.session.get(Retreat, retreat.id).status == RetreatStatus.PUBLISHED
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_every_form_needs_its_csrf_token(db, admin_client, newcomer):
    response = admin_client.post(f"/admin/organizers/{newcomer.id}/approve", data={})

    assert response.status_code == 400
    assert reload(db, newcomer).status == OrganizerStatus.PENDING


def test_the_overview_lists_who_waits_and_the_recent_sign_ups(db, admin_client, newcomer):
    create_signed_up_organizer(email="later@example.org", name="Lee Later", email_confirmed=False)

    page = admin_client.get("/admin/").get_data(as_text=True)

    waiting, _, recent = page.partition("Recent sign-ups")
    assert "Nia Newcomer" in waiting and "Tantra workshops for couples" in waiting
    assert "Lee Later" not in waiting  # has not confirmed the email yet
    assert "Lee Later" in recent and "Email not confirmed" in recent
    assert "Nia Newcomer" in recent


def test_the_listings_page_shows_every_organizers_newest_listings(
    admin_client, organizer, other_organizer
):
    create_retreat(organizer=organizer, title="Ocean Hearts")
    create_retreat(organizer=other_organizer, title="Forest Hearts", status=RetreatStatus.DRAFT)

    page = admin_client.get("/admin/listings").get_data(as_text=True)

    assert "Ocean Hearts" in page and "Forest Hearts" in page
    assert "Test Host" in page and "Other Host" in page


# Approve and decline ---------------------------------------------------------------------------


def test_approving_lets_them_publish_and_tells_them(db, admin_client, admin, newcomer, smtp_inbox):
    response = decision(admin_client, newcomer, "approve")

    assert response.status_code == 303
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nia Newcomer is approved" in page
    person = reload(db, newcomer)
    assert person.status == OrganizerStatus.APPROVED
    assert person.decided_by_id == admin.id and person.decided_at is not None
    assert actions_about(db, newcomer) == [("organizer.approved", "")]
    assert send_due_emails() == 1
    [message] = smtp_inbox.wait_for(1)
    assert message["To"] == newcomer.email
    assert message["Subject"] == "Your organizer account is approved"
    assert "/organizer/" in mail_text(message)


def test_declining_needs_a_reason_which_is_emailed(db, admin_client, newcomer, smtp_inbox):
    without = decision(admin_client, newcomer, "decline", reason="  ")

    assert without.status_code == 422
    assert "Please give a reason" in field_error(without.get_data(as_text=True), "reason")
    assert reload(db, newcomer).status == OrganizerStatus.PENDING
    assert actions_about(db, newcomer) == []

    declined = decision(admin_client, newcomer, "decline", reason=REASON)

    assert declined.status_code == 303
    person = reload(db, newcomer)
    assert (person.status, person.decline_reason) == (OrganizerStatus.DECLINED, REASON)
    assert actions_about(db, newcomer) == [("organizer.declined", REASON)]
    assert send_due_emails() == 1
    [message] = smtp_inbox.wait_for(1)
    assert message["Subject"] == "Your organizer account was not approved"
    assert REASON in mail_text(message)


def test_an_unconfirmed_email_cannot_be_approved(db, admin):
    unconfirmed = create_signed_up_organizer(email_confirmed=False)

    with pytest.raises(AdminError, match="has not confirmed their email"):
        approve_organizer(organizer_id=unconfirmed.id, admin_id=admin.id)

    assert reload(db, unconfirmed).status == OrganizerStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


def test_a_decision_that_no_longer_applies_is_refused_and_writes_nothing(
    db, admin_client, admin, newcomer, organizer
):
    approve_organizer(organizer_id=newcomer.id, admin_id=admin.id)
    before = (
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
        db.session.scalar(select(func.count()).select_from(OutboxEmail)),
    )

    with pytest.raises(AdminError, match="not waiting for approval"):
        decline_organizer(organizer_id=newcomer.id, admin_id=admin.id, reason=REASON)
    with pytest.raises(AdminError, match="cannot suspend your own account"):
        suspend_organizer(organizer_id=admin.id, admin_id=admin.id, reason=REASON)
    with pytest.raises(AdminError, match="not suspended"):
        reinstate_organizer(organizer_id=organizer.id, admin_id=admin.id)
    page = admin_client.get(f"/admin/organizers/{organizer.id}").get_data(as_text=True)
    assert "Suspend Test Host" in page and "Reinstate" not in page

    after = (
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
        db.session.scalar(select(func.count()).select_from(OutboxEmail)),
    )
    assert after == before
    assert reload(db, newcomer).status == OrganizerStatus.APPROVED


# Suspend, reinstate, unpublish -----------------------------------------------------------------


def test_suspending_and_reinstating_are_audited_and_emailed(
    db, admin_client, organizer, smtp_inbox
):
    retreat = create_retreat(organizer=organizer)

    suspended = decision(admin_client, organizer, "suspend", reason=REASON)

    assert suspended.status_code == 303
    person = reload(db, organizer)
    assert (person.status, person.suspension_reason) == (OrganizerStatus.SUSPENDED, REASON)
    assert db.session.get(Retreat, retreat.id).organizer_suspended
    page = admin_client.get(f"/admin/organizers/{organizer.id}").get_data(as_text=True)
    assert "Reinstate Test Host" in page and REASON in page

    reinstated = decision(admin_client, organizer, "reinstate", reason="Thank you for the fix.")

    assert reinstated.status_code == 303
    person = reload(db, organizer)
    assert (person.status, person.suspension_reason) == (OrganizerStatus.APPROVED, None)
    assert not db.session.get(Retreat, retreat.id).organizer_suspended
    assert actions_about(db, organizer) == [
        ("organizer.suspended", REASON),
        ("organizer.reinstated", "Thank you for the fix."),
    ]
    assert send_due_emails() == 2
    subjects = {message["Subject"]: mail_text(message) for message in smtp_inbox.wait_for(2)}
    assert REASON in subjects["Your organizer account is suspended"]
    assert "Bookings already made stay" in subjects["Your organizer account is suspended"]
    assert "Thank you for the fix." in subjects["Your organizer account is active again"]


def test_unpublishing_a_listing_needs_a_reason_and_tells_its_organizer(
    db, admin_client, admin, organizer, smtp_inbox
):
    retreat = create_retreat(organizer=organizer, title="Ocean Hearts")
    url = f"/admin/retreats/{retreat.id}"

    without = post_from_page(admin_client, url, f"{url}/unpublish", {})
    assert without.status_code == 422
    assert db.session.get(Retreat, retreat.id).status == RetreatStatus.PUBLISHED

    done = post_from_page(admin_client, url, f"{url}/unpublish", {"reason": REASON})

    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Retreat, retreat.id).status == RetreatStatus.DRAFT
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "retreat.unpublished_by_admin")
    )
    assert (entry.actor_id, entry.retreat_id, entry.organizer_id, entry.detail) == (
        admin.id,
        retreat.id,
        organizer.id,
        REASON,
    )
    assert send_due_emails() == 1
    [message] = smtp_inbox.wait_for(1)
    assert message["To"] == organizer.email
    assert "Ocean Hearts" in mail_text(message) and REASON in mail_text(message)
    with pytest.raises(AdminError, match="not published"):
        unpublish_listing(retreat_id=retreat.id, admin_id=admin.id, reason=REASON)
    assert "Unpublish this listing" not in admin_client.get(url).get_data(as_text=True)


def test_an_unknown_organizer_or_listing_is_a_404(admin_client):
    assert admin_client.get("/admin/organizers/999").status_code == 404
    assert admin_client.get("/admin/retreats/999").status_code == 404


def test_admins_are_organizers_too(db, admin):
    assert db.session.get(Organizer, admin.id).may_publish
