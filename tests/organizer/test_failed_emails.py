"""The Emails tab: a retreat's own mail only, failed first with the server's answer, and retry
buttons that put failed mail back in the queue (audited), for the retreat's organizers only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail, OutboxStatus, queue_email
from retreats.database import utcnow
from retreats.notifications.models import AttendeeMessage
from retreats.organizer.accounts.models import TokenPurpose
from retreats.organizer.accounts.tokens import issue_token
from tests.conftest import BOTH_DATABASES
from tests.factories import attendee, paid_booking, waitlist_entry


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    """The retry is one UPDATE over outer joins: proven on both databases."""
    return request.param


SMTP_ANSWER = "SMTPRecipientsRefused: 550 <b>mailbox</b> full & closed"


def only_confirmations(db, *, keep: tuple[str, ...] = ()) -> None:
    """Delete every booking mail but the confirmations (and the kinds in `keep`)."""
    db.session.execute(delete(OutboxEmail).where(OutboxEmail.kind.not_in(("confirmation", *keep))))
    db.session.commit()


def mark(db, to_address: str, status: OutboxStatus, *, error: str = SMTP_ANSWER) -> OutboxEmail:
    """Set the state of the email to this address, as the worker would have left it."""
    email = email_to(db, to_address)
    email.status = status
    email.attempts = 8 if status == OutboxStatus.FAILED else 1
    email.last_error = error if status == OutboxStatus.FAILED else None
    email.sent_at = utcnow() if status == OutboxStatus.SENT else None
    db.session.commit()
    return email


@pytest.fixture
def mailbag(db, make_retreat, organizer, other_organizer):
    """A's retreat with a failed, a sent and a pending email (booking, waitlist and message
    mail), A's other retreat and B's retreat with failed mail, and A's password-reset mail."""
    retreat = make_retreat(title="Listening Weekend", capacity=40)
    paid_booking(retreat, attendee("failed@example.org"))
    paid_booking(retreat, attendee("sent@example.org"))
    # One mail per address keeps the list easy to read: just the confirmations, not the
    # scheduled guide and reminder or the organizer's new-booking notices.
    only_confirmations(db)
    entry = waitlist_entry(retreat, name="Wren", email="waiting@example.org")
    message = AttendeeMessage(retreat=retreat, sent_by=organizer, subject="Arrival", body="Hi")
    db.session.add(message)
    db.session.flush()
    queue_email(
        kind="waitlist_offer",
        key=f"waitlist_offer:{entry.id}",
        to_address=entry.email,
        waitlist_entry_id=entry.id,
    )
    queue_email(
        kind="organizer_message",
        key=f"organizer_message:{message.id}",
        to_address="message@example.org",
        attendee_message_id=message.id,
    )
    token = issue_token(
        organizer, TokenPurpose.PASSWORD_RESET, lifetime=timedelta(hours=1), now=utcnow()
    )
    queue_email(
        kind="password_reset",
        key=f"password_reset:{token.id}",
        to_address="reset-link@example.org",
        organizer_token_id=token.id,
    )
    db.session.commit()
    paid_booking(make_retreat(title="A's Other Retreat"), attendee("other-retreat@example.org"))
    paid_booking(make_retreat(organizer=other_organizer), attendee("strangers@example.org"))
    only_confirmations(db, keep=("waitlist_offer", "organizer_message", "password_reset"))
    for address in ("failed@example.org", "other-retreat@example.org", "strangers@example.org"):
        mark(db, address, OutboxStatus.FAILED)
    mark(db, "sent@example.org", OutboxStatus.SENT)
    mark(db, "reset-link@example.org", OutboxStatus.FAILED)
    return retreat


def email_to(db, address: str) -> OutboxEmail:
    """The one email to this address (each test address gets one)."""
    db.session.expire_all()
    return db.session.execute(
        select(OutboxEmail).where(OutboxEmail.to_address == address)
    ).scalar_one()


def emails_page(client, retreat, **query) -> str:
    response = client.get(f"/organizer/retreats/{retreat.id}/emails", query_string=query)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed_addresses(page: str) -> list[str]:
    return re.findall(r"<td>([\w.-]+@example\.org)</td>", page)


def csrf_token_in(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def retry(client, retreat, email: OutboxEmail | int, *, page_query: dict | None = None):
    """Press the email's Retry button on the Emails page (a GET for the CSRF token, then POST)."""
    page_query = page_query or {}
    token = csrf_token_in(emails_page(client, retreat, **page_query))
    email_id = email if isinstance(email, int) else email.id
    return client.post(
        f"/organizer/retreats/{retreat.id}/emails/{email_id}/retry",
        data={"csrf_token": token, "status": page_query.get("status", "")},
    )


def retried_entries(db) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.execute(select(AuditEntry).where(AuditEntry.action == "email.retried")).scalars()
    )


def test_the_page_lists_this_retreats_mail_only_failed_first(organizer_client, mailbag):
    page = emails_page(organizer_client, mailbag)
    addresses = listed_addresses(page)
    assert addresses[0] == "failed@example.org"
    assert sorted(addresses) == [
        "failed@example.org",
        "message@example.org",
        "sent@example.org",
        "waiting@example.org",
    ]
    for elsewhere in ("other-retreat@", "strangers@", "reset-link@", "password reset"):
        assert elsewhere not in page
    assert "Failed (1)" in page and "Sent (1)" in page and "All (4)" in page
    assert "Retry all failed" in page


def test_the_servers_answer_is_shown_escaped(organizer_client, mailbag):
    page = emails_page(organizer_client, mailbag, status="failed")
    assert "550 &lt;b&gt;mailbox&lt;/b&gt; full &amp; closed" in page
    assert "<b>mailbox</b>" not in page
    assert listed_addresses(page) == ["failed@example.org"]


def test_filters_by_state_and_refuses_a_filter_it_does_not_offer(organizer_client, mailbag):
    assert listed_addresses(emails_page(organizer_client, mailbag, status="sent")) == [
        "sent@example.org"
    ]
    pending = emails_page(organizer_client, mailbag, status="pending")
    assert sorted(listed_addresses(pending)) == ["message@example.org", "waiting@example.org"]
    assert "Retry</button>" not in pending
    response = organizer_client.get(
        f"/organizer/retreats/{mailbag.id}/emails", query_string={"status": "lost"}
    )
    assert response.status_code == 400


def test_the_page_takes_the_same_number_of_statements_however_many_emails(
    organizer_client, mailbag, count_statements
):
    def statements_for_page() -> int:
        with count_statements() as statements:
            emails_page(organizer_client, mailbag)
        return len(statements)

    few = statements_for_page()
    for number in range(1, 21):
        paid_booking(mailbag, attendee(f"more-{number}@example.org"))
    assert statements_for_page() == few


def test_retry_puts_a_failed_email_back_in_the_queue_and_audits_it(
    db, organizer, organizer_client, mailbag
):
    failed = email_to(db, "failed@example.org")
    before = utcnow()
    response = retry(organizer_client, mailbag, failed, page_query={"status": "failed"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/retreats/{mailbag.id}/emails?status=failed")
    email = email_to(db, "failed@example.org")
    assert email.status == OutboxStatus.PENDING and email.attempts == 0
    assert before <= email.send_after <= utcnow()
    assert email.last_error == SMTP_ANSWER  # still says what went wrong until the next attempt
    [entry] = retried_entries(db)
    assert (entry.actor_id, entry.retreat_id, entry.booking_id) == (
        organizer.id,
        mailbag.id,
        email.booking_id,
    )
    assert "failed@example.org" in entry.detail
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "will be sent again" in page


NOT_RETRIED = {
    OutboxStatus.SENT: "was sent, so there is nothing to retry",
    OutboxStatus.PENDING: "already waiting to be sent",
    OutboxStatus.DROPPED: "no longer applies",
}


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("sent@example.org", OutboxStatus.SENT),
        ("waiting@example.org", OutboxStatus.PENDING),
        ("waiting@example.org", OutboxStatus.DROPPED),
    ],
)
def test_retry_of_an_email_that_has_not_failed_is_refused(
    db, organizer_client, mailbag, address, status
):
    email = mark(db, address, status) if status == OutboxStatus.DROPPED else email_to(db, address)
    state = (email.status, email.attempts, email.send_after)
    response = retry(organizer_client, mailbag, email)
    assert response.status_code == 303
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert NOT_RETRIED[status] in page
    email = email_to(db, address)
    assert (email.status, email.attempts, email.send_after) == state
    assert retried_entries(db) == []


def test_retry_without_the_csrf_token_changes_nothing(db, organizer_client, mailbag):
    failed = email_to(db, "failed@example.org")
    response = organizer_client.post(f"/organizer/retreats/{mailbag.id}/emails/{failed.id}/retry")
    assert response.status_code == 400
    assert email_to(db, "failed@example.org").status == OutboxStatus.FAILED
    assert retried_entries(db) == []


def test_an_email_of_another_retreat_is_not_found_through_this_one(db, organizer_client, mailbag):
    # A manages both retreats, but each email is reached only through its own retreat.
    other = email_to(db, "other-retreat@example.org")
    assert retry(organizer_client, mailbag, other).status_code == 404
    reset = email_to(db, "reset-link@example.org")
    assert retry(organizer_client, mailbag, reset).status_code == 404
    assert retry(organizer_client, mailbag, 2**31 - 1).status_code == 404
    assert email_to(db, "other-retreat@example.org").status == OutboxStatus.FAILED
    assert email_to(db, "reset-link@example.org").status == OutboxStatus.FAILED


def test_another_organizer_gets_404_for_the_page_and_the_retries(
    db, sign_in, other_organizer, mailbag
):
    client_b = sign_in(other_organizer)
    token = csrf_token_in(client_b.get("/organizer/").get_data(as_text=True))
    failed = email_to(db, "failed@example.org")
    base = f"/organizer/retreats/{mailbag.id}/emails"
    assert client_b.get(base).status_code == 404
    assert client_b.post(f"{base}/{failed.id}/retry", data={"csrf_token": token}).status_code == 404
    assert client_b.post(f"{base}/retry-failed", data={"csrf_token": token}).status_code == 404
    assert email_to(db, "failed@example.org").status == OutboxStatus.FAILED
    assert retried_entries(db) == []


def test_retry_all_failed_requeues_this_retreats_failed_mail_only(db, organizer_client, mailbag):
    email_to(db, "message@example.org")
    mark(db, "message@example.org", OutboxStatus.FAILED)
    token = csrf_token_in(emails_page(organizer_client, mailbag))
    url = f"/organizer/retreats/{mailbag.id}/emails/retry-failed"
    response = organizer_client.post(url, data={"csrf_token": token})
    assert response.status_code == 303
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 emails will be sent again" in page
    for address in ("failed@example.org", "message@example.org"):
        email = email_to(db, address)
        assert (email.status, email.attempts) == (OutboxStatus.PENDING, 0)
    for address in ("other-retreat@example.org", "strangers@example.org", "reset-link@example.org"):
        assert email_to(db, address).status == OutboxStatus.FAILED
    [entry] = retried_entries(db)
    assert entry.retreat_id == mailbag.id and "2 queued again" in entry.detail
    # Nothing left to retry: said plainly, nothing audited.
    again = organizer_client.post(url, data={"csrf_token": token})
    page = organizer_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "no failed emails to retry" in page
    assert len(retried_entries(db)) == 1


def test_the_dashboard_counts_each_retreats_failed_mail(organizer_client, mailbag):
    page = organizer_client.get("/organizer/").get_data(as_text=True)
    assert page.count("1 email could not be delivered") == 2  # this retreat and A's other one
    assert f"/organizer/retreats/{mailbag.id}/emails?status=failed" in page
