"""A newcomer signs up in a real browser, confirms the email from the mail sink, prepares a draft
that cannot be published yet; the platform admin approves them, unpublishes another organizer's
listing and suspends that organizer. Every page on the way goes through axe and the validator."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from retreats.listings.models import Retreat, RetreatStatus
from retreats.organizer.accounts.models import Organizer, OrganizerStatus
from tests.e2e.conftest import ORGANIZER_EMAIL
from tests.e2e.newcomer import (
    NEWCOMER_EMAIL,
    NEWCOMER_PASSWORD,
    confirm_email,
    sign_in,
    sign_out,
    sign_up,
)
from tests.factories import ORGANIZER_PASSWORD, create_organizer, create_retreat

ADMIN_EMAIL = "admin@example.org"
REASON = "The listing promises healing of medical conditions."


def test_a_newcomer_signs_up_and_the_admin_decides(
    page, audit, live_site, organizer, app, db, smtp_inbox
):
    admin = create_organizer(email=ADMIN_EMAIL, name="Pat Admin", password=ORGANIZER_PASSWORD)
    admin.is_platform_admin = True
    db.session.commit()
    others = create_retreat(organizer=organizer, title="Ocean Hearts")

    sign_up(page, audit)
    used_link = confirm_email(page, audit, app, smtp_inbox, live_site)

    # The link works once; the page it leads to then offers a new one.
    page.goto(used_link)
    expect(
        page.get_by_role("heading", level=1, name=re.compile("expired or was already used"))
    ).to_be_visible()
    audit.check("email-link-used")
    page.goto("/organizer/sign-up/new-link")
    audit.check("new-email-link")

    # Mira prepares a draft; publishing it waits for the admin.
    newcomer = db.session.scalar(select(Organizer).where(Organizer.email == NEWCOMER_EMAIL))
    draft = create_retreat(
        organizer=newcomer, title="Sea and Closeness", status=RetreatStatus.DRAFT
    )
    sign_in(page, audit, NEWCOMER_EMAIL, NEWCOMER_PASSWORD, "newcomer")
    expect(page.get_by_text("Your account is waiting for approval.")).to_be_visible()
    page.goto(f"/organizer/retreats/{draft.id}/edit")
    audit.check("draft", screenshot=False)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert")).to_contain_text("waiting for approval")
    audit.check("publish-refused")
    sign_out(page, audit)

    # The admin approves her, unpublishes another listing and suspends its organizer.
    sign_in(page, audit, ADMIN_EMAIL, ORGANIZER_PASSWORD, "admin")
    page.get_by_role("link", name="Platform admin").click()
    expect(page.get_by_role("heading", level=1, name="Organizers")).to_be_visible()
    audit.check("admin-overview")
    page.get_by_role("link", name="Review Mira Sol").click()
    expect(page.get_by_role("heading", level=1, name="Mira Sol")).to_be_visible()
    audit.check("admin-organizer-pending")
    page.get_by_role("button", name="Decline Mira Sol").click()
    expect(page.get_by_text("Please give a reason: the organizer reads it.")).to_be_visible()
    audit.check("admin-decline-without-reason")
    page.get_by_role("button", name="Approve Mira Sol").click()
    expect(page.get_by_text("Mira Sol is approved; we have emailed them.")).to_be_visible()
    audit.check("admin-approved")

    page.get_by_role("link", name="Listings").click()
    expect(page.get_by_role("heading", level=1, name="Recent listings")).to_be_visible()
    audit.check("admin-listings")
    page.get_by_role("link", name="Ocean Hearts").click()
    expect(page.get_by_role("heading", level=1, name="Ocean Hearts")).to_be_visible()
    audit.check("admin-listing")
    page.get_by_label("Reason (emailed to the organizer)").fill(REASON)
    page.get_by_role("button", name="Unpublish this listing").click()
    expect(page.get_by_text("“Ocean Hearts” is unpublished")).to_be_visible()
    audit.check("admin-unpublished")
    page.get_by_role("link", name="Test Host").click()
    audit.check("admin-organizer-approved")
    page.get_by_label("Reason (emailed to the organizer)").fill(REASON)
    page.get_by_role("button", name="Suspend Test Host").click()
    expect(page.get_by_role("button", name="Reinstate Test Host")).to_be_visible()
    audit.check("admin-suspended")

    db.session.expire_all()
    assert db.session.get(Organizer, newcomer.id).status == OrganizerStatus.APPROVED
    assert db.session.get(Organizer, organizer.id).status == OrganizerStatus.SUSPENDED
    assert db.session.get(Retreat, others.id).status == RetreatStatus.DRAFT
    assert organizer.email == ORGANIZER_EMAIL
