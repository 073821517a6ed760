"""Writing to every confirmed booking: a preview that writes nothing, then one outbox row per
confirmed booking, delivered by the outbox worker with the organizer's own subject."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from retreats.base.audit import AuditEntry
from retreats.base.outbox import OutboxEmail
from retreats.extensions import db
from retreats.notifications.models import AttendeeMessage
from retreats.notifications.sender import send_due_emails
from tests.conftest import csrf_token_from
from tests.factories import ADA, BEA, CY, held_booking, paid_booking
from tests.organizer.helpers import audit_entries_with_action

SUBJECT = "Arriving on Friday: parking and keys"
BODY = "Dear all,\n\nThe gate code is 1234.\nPlease bring <warm> socks & a blanket.\n\nMira"


def message_url(retreat) -> str:
    return f"/organizer/retreats/{retreat.id}/message"


def submit(client, retreat, button: str, **fields):
    token = csrf_token_from(client.get(message_url(retreat)).text)
    return client.post(
        message_url(retreat),
        data={"csrf_token": token, button: button.capitalize(), **fields},
        follow_redirects=True,
    )


def written_rows() -> tuple[int, int, int]:
    """(messages, organizer_message outbox rows, their audit entries): what sending adds."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(AttendeeMessage.id))),
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.kind == "organizer_message")
        ),
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "attendees.messaged")
        ),
    )


def hidden_field(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert match, f"no hidden {name}"
    return html.unescape(match.group(1))


def test_the_preview_shows_the_message_as_it_will_arrive_and_writes_nothing(
    organizer_client, make_retreat
):
    retreat = make_retreat()
    first = paid_booking(retreat, ADA, BEA)
    paid_booking(retreat, CY)
    held_booking(retreat, CY)  # pending: not written to

    page = submit(organizer_client, retreat, "preview", subject=SUBJECT, body=BODY).text

    assert written_rows() == (0, 0, 0)
    preview = page[page.index('<section class="message-preview"') : page.index("</section>")]
    assert SUBJECT in preview
    assert "The gate code is 1234." in preview
    assert "Please bring &lt;warm&gt; socks &amp; a blanket." in preview  # shown as text
    assert "booking RB-SAMPLE" in preview  # with the booking details every email gets
    assert first.reference not in preview  # not a real booking's secret manage link
    assert "Send to 2 people" in preview
    assert "<warm>" not in page


def test_sending_writes_one_email_per_confirmed_booking_and_the_worker_delivers_them(
    organizer_client, make_retreat, organizer, smtp_inbox
):
    retreat = make_retreat()
    couple = paid_booking(retreat, ADA, BEA)
    single = paid_booking(retreat, CY)
    held_booking(retreat, CY)
    preview = submit(organizer_client, retreat, "preview", subject=SUBJECT, body=BODY).text

    # The "Send" button posts the subject and body the preview was made from.
    carried = {"subject": hidden_field(preview, "subject"), "body": hidden_field(preview, "body")}
    assert carried == {"subject": SUBJECT, "body": BODY}
    sent = submit(organizer_client, retreat, "send", **carried)

    assert "Your message is on its way to 2 confirmed booking(s)." in sent.text
    [message] = db.session.execute(select(AttendeeMessage)).scalars()
    assert (message.subject, message.body, message.sent_by_id) == (SUBJECT, BODY, organizer.id)
    rows = db.session.execute(
        select(OutboxEmail).where(OutboxEmail.kind == "organizer_message")
    ).scalars()
    assert {(row.key, row.to_address, row.attendee_message_id) for row in rows} == {
        (f"organizer_message:{message.id}:{couple.id}", "ada@example.org", message.id),
        (f"organizer_message:{message.id}:{single.id}", "cy@example.org", message.id),
    }
    [entry] = audit_entries_with_action(db, "attendees.messaged")
    assert entry.retreat_id == retreat.id and SUBJECT in entry.detail

    send_due_emails()
    delivered = [m for m in smtp_inbox.wait_for(4) if m["Subject"] == SUBJECT]  # + confirmations
    assert sorted(m["To"] for m in delivered) == ["ada@example.org", "cy@example.org"]
    text = delivered[0].get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "The gate code is 1234.\nPlease bring <warm> socks & a blanket." in text
    assert "Please bring &lt;warm&gt; socks &amp; a blanket." in (
        delivered[0].get_body(preferencelist=("html",)).get_content()
    )


def test_with_no_confirmed_booking_nothing_is_sent_and_the_organizer_is_told(
    organizer_client, make_retreat
):
    retreat = make_retreat()
    held_booking(retreat, CY)

    preview = submit(organizer_client, retreat, "preview", subject=SUBJECT, body=BODY).text
    assert "there is no one to send this to" in preview
    assert "Send to" not in preview
    sent = submit(organizer_client, retreat, "send", subject=SUBJECT, body=BODY)

    assert "There are no confirmed bookings yet, so there is no one to write to." in sent.text
    assert written_rows() == (0, 0, 0)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"subject": "", "body": BODY}, "Please write a subject."),
        ({"subject": "   ", "body": BODY}, "Please write a subject."),
        ({"subject": SUBJECT, "body": " \n "}, "Please write your message."),
        ({"subject": "x" * 201, "body": BODY}, "Field cannot be longer than 200 characters."),
        ({"subject": SUBJECT, "body": "x" * 10_001}, "cannot be longer than 10000 characters"),
    ],
)
@pytest.mark.parametrize("button", ["preview", "send"])
def test_a_missing_or_overlong_subject_or_message_is_a_form_error(
    organizer_client, make_retreat, fields, error, button
):
    retreat = make_retreat()
    paid_booking(retreat, ADA)

    response = submit(organizer_client, retreat, button, **fields)

    assert response.status_code == 200
    assert error in response.text
    assert written_rows() == (0, 0, 0)


def test_a_subject_is_kept_to_one_line(organizer_client, make_retreat):
    retreat = make_retreat()
    paid_booking(retreat, ADA)

    submit(organizer_client, retreat, "send", subject="Hello\r\nBcc: all@example.org", body=BODY)

    [message] = db.session.execute(select(AttendeeMessage)).scalars()
    assert message.subject == "Hello Bcc: all@example.org"
