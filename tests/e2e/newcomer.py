"""A newcomer's steps in the browser, as the sign-up journeys share them: signing up, the email
link read from the mail sink, signing in and out with any account."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.audit import PageAudit

NEWCOMER_EMAIL = "mira@example.org"
NEWCOMER_PASSWORD = "tide pools at first light"  # noqa: S105  (test data)


def work_outbox(app) -> None:
    worked = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert worked.exit_code == 0, worked.output


def link_in(message, base_url: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(re.escape(base_url) + r"(/organizer/verify/\S+)", text).group(1)


def sign_in(page: Page, audit: PageAudit, email: str, password: str, step: str) -> None:
    page.goto("/organizer/login")
    audit.check(f"{step}-sign-in", screenshot=False)
    page.get_by_label(re.compile("^Email")).fill(email)
    page.get_by_label(re.compile("^Password")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Your retreats")).to_be_visible()
    audit.check(f"{step}-dashboard")


def sign_out(page: Page, audit: PageAudit) -> None:
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    audit.check("signed-out", screenshot=False)


def sign_up(page: Page, audit: PageAudit) -> None:
    page.goto("/")
    audit.check("catalog", screenshot=False)
    page.get_by_role("link", name="List your retreat").click()
    expect(
        page.get_by_role("heading", level=1, name="List your retreats on Open Hearts")
    ).to_be_visible()
    audit.check("sign-up-form")
    page.get_by_label("Your name, or your organization's").fill("Mira Sol")
    page.get_by_label(re.compile("^Email")).fill(NEWCOMER_EMAIL)
    page.get_by_label(re.compile("^Password")).fill("short")
    page.get_by_label("The same password again").fill("short")
    page.get_by_label("What do you offer?").fill("Weekend retreats for couples by the sea.")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Please choose a password of 10 to 200 characters.")).to_be_visible()
    audit.check("sign-up-weak-password")
    page.get_by_label(re.compile("^Password")).fill(NEWCOMER_PASSWORD)
    page.get_by_label("The same password again").fill(NEWCOMER_PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1, name="Check your email")).to_be_visible()
    audit.check("check-your-email")


def confirm_email(page: Page, audit: PageAudit, app, smtp_inbox, live_site) -> str:
    work_outbox(app)
    [message] = smtp_inbox.wait_for(1)
    assert message["To"] == NEWCOMER_EMAIL
    audit.check_email(message, "verify-email")
    path = link_in(message, live_site.url)
    page.goto(path)
    expect(page.get_by_role("heading", level=1, name="Confirm your email")).to_be_visible()
    audit.check("confirm-email")
    page.get_by_role("button", name="Confirm my email").click()
    expect(
        page.get_by_role("heading", level=1, name=re.compile("email is confirmed"))
    ).to_be_visible()
    audit.check("waiting-for-approval")
    return path
