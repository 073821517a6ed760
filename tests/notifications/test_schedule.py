"""The guide and the reminder follow the booking and the retreat: made on confirmation, sent
when due and once, moved with the dates, rewritten with the guide, dropped on cancellation."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy.exc import IntegrityError

from retreats import create_app
from retreats.base.outbox import OutboxStatus
from retreats.base.stored_files import prepare_guide_pdf
from retreats.booking.cancellation import cancel_booking
from retreats.booking.models import BookingStatus
from retreats.database import utcnow
from retreats.extensions import db as database
from retreats.notifications.sender import send_due_emails
from retreats.organizer.attendees.actions import RefundChoice, cancel_booking_for_attendee
from retreats.organizer.listings.retreat_cancellation import cancel_retreat
from retreats.organizer.listings.services import Uploads, update_retreat
from tests.conftest import BOTH_DATABASES
from tests.factories import FIRST_REVISION_ROWS
from tests.notifications.helpers import (
    confirmed_booking,
    details_of,
    only_row,
    outbox,
    subject_of,
)

SCHEDULED = ("preparation_guide", "reminder")


@pytest.fixture(params=BOTH_DATABASES)
def database_backend(request) -> str:
    return request.param


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return app_config


def subjects(inbox) -> list[str]:
    return [subject_of(message) for message in inbox.messages]


def send_at(moment: datetime, *, times: int = 3) -> int:
    """Run the worker several times at one moment, as a polling worker would."""
    return sum(send_due_emails(now=moment) for _ in range(times))


def edit(retreat, organizer, *, uploads: Uploads | None = None, now=None, **changes) -> list[str]:
    return update_retreat(
        retreat_id=retreat.id,
        actor_id=organizer.id,
        details=details_of(retreat, **changes),
        uploads=uploads or Uploads(),
        now=now,
    )


def test_confirming_schedules_the_guide_and_the_reminder(db, make_retreat):
    retreat = make_retreat(guide_days_before=10)
    booking = confirmed_booking(retreat)

    guide, reminder = (only_row(db, booking, kind) for kind in SCHEDULED)
    assert guide.send_after == retreat.starts_at - timedelta(days=10)
    assert reminder.send_after == retreat.starts_at - timedelta(days=2)
    assert guide.status == reminder.status == OutboxStatus.PENDING
    assert guide.to_address == reminder.to_address == "Ada@Example.org"


def test_a_retreat_without_a_guide_gets_only_the_reminder(db, make_retreat):
    booking = confirmed_booking(make_retreat(preparation_guide_md="  "))
    assert [row.kind for row in outbox(db, booking_id=booking.id) if row.kind in SCHEDULED] == [
        "reminder"
    ]


def test_a_booking_made_a_day_before_gets_the_guide_and_reminder_at_once_after_the_confirmation(
    db, make_retreat, smtp_inbox
):
    retreat = make_retreat(starts_in=timedelta(days=1, hours=1))
    before = utcnow()
    booking = confirmed_booking(retreat)

    rows = outbox(db, booking_id=booking.id)
    assert all(before <= row.send_after <= utcnow() for row in rows)
    assert send_at(utcnow()) == 4
    attendee_subjects = [s for s in subjects(smtp_inbox) if "New booking" not in s]
    assert [s.split(" ")[0] for s in attendee_subjects] == ["Your", "Preparing", "Reminder:"]


def test_scheduled_mails_go_out_when_due_and_each_arrives_once(db, make_retreat, smtp_inbox):
    retreat = make_retreat()
    booking = confirmed_booking(retreat)
    guide_at = only_row(db, booking, "preparation_guide").send_after
    reminder_at = only_row(db, booking, "reminder").send_after

    assert send_at(utcnow()) == 2  # the confirmation and the organizer's notice
    assert send_at(guide_at - timedelta(minutes=1)) == 0
    assert send_at(guide_at) == 1
    assert send_at(reminder_at - timedelta(seconds=1)) == 0
    assert send_at(reminder_at) == 1
    assert send_at(retreat.starts_at - timedelta(hours=1)) == 0

    assert len(smtp_inbox.messages) == 4
    assert sum("your guide" in s for s in subjects(smtp_inbox)) == 1
    assert sum(s.startswith("Reminder") for s in subjects(smtp_inbox)) == 1
    for kind in SCHEDULED:
        row = only_row(db, booking, kind)
        assert row.status == OutboxStatus.SENT and row.attempts == 1


def test_a_date_change_moves_the_scheduled_guide_and_reminder(
    db, make_retreat, organizer, smtp_inbox
):
    retreat = make_retreat()
    booking = confirmed_booking(retreat)
    old_guide_at = only_row(db, booking, "preparation_guide").send_after
    local_start = retreat.local_starts_at.replace(tzinfo=None)

    changed = edit(
        retreat,
        organizer,
        starts_at=local_start + timedelta(days=14),
        ends_at=local_start + timedelta(days=16),
    )

    assert "starts_at" in changed
    new_start = retreat.starts_at
    assert new_start == old_guide_at + timedelta(days=7 + 14)
    guide, reminder = (only_row(db, booking, kind) for kind in SCHEDULED)
    assert guide.send_after == new_start - timedelta(days=7)
    assert reminder.send_after == new_start - timedelta(days=2)
    assert send_at(old_guide_at + timedelta(hours=1)) == 2  # the confirmation and the notice only
    assert send_at(guide.send_after) == 1
    assert sum("your guide" in s for s in subjects(smtp_inbox)) == 1


def test_fewer_guide_days_move_only_the_guide(db, make_retreat, organizer):
    retreat = make_retreat()
    booking = confirmed_booking(retreat)
    reminder_at = only_row(db, booking, "reminder").send_after

    assert edit(retreat, organizer, guide_days_before=3) == ["guide_days_before"]

    assert only_row(db, booking, "preparation_guide").send_after == retreat.starts_at - timedelta(
        days=3
    )
    assert only_row(db, booking, "reminder").send_after == reminder_at


def test_a_date_moved_closer_makes_an_overdue_guide_due_now(db, make_retreat, organizer):
    retreat = make_retreat(starts_in=timedelta(days=30))
    booking = confirmed_booking(retreat)
    local_start = retreat.local_starts_at.replace(tzinfo=None)
    now = utcnow()

    edit(
        retreat,
        organizer,
        starts_at=local_start - timedelta(days=27),
        ends_at=local_start - timedelta(days=25),
        now=now,
    )

    assert only_row(db, booking, "preparation_guide").send_after == now
    assert only_row(db, booking, "reminder").send_after == retreat.starts_at - timedelta(days=2)


def test_a_guide_added_later_is_scheduled_for_the_confirmed_bookings(
    db, make_retreat, organizer, smtp_inbox
):
    retreat = make_retreat(preparation_guide_md="")
    booking = confirmed_booking(retreat)
    assert outbox(db, booking_id=booking.id, kind="preparation_guide") == []

    pdf = prepare_guide_pdf(io.BytesIO(b"%PDF-1.4 the guide\n%%EOF"))
    assert edit(retreat, organizer, uploads=Uploads(guide_pdf=pdf)) == ["preparation_guide_pdf"]

    guide = only_row(db, booking, "preparation_guide")
    assert guide.send_after == retreat.starts_at - timedelta(days=7)
    assert guide.key == f"preparation_guide:{booking.id}:ada@example.org"
    assert send_at(guide.send_after) == 3
    [message] = [m for m in smtp_inbox.messages if "your guide" in m["Subject"]]
    assert [part.get_filename() for part in message.iter_attachments()] == [
        f"{retreat.slug}-guide.pdf"
    ]


def test_a_guide_removed_drops_it_and_one_written_again_brings_it_back(db, make_retreat, organizer):
    retreat = make_retreat()
    booking = confirmed_booking(retreat)

    edit(retreat, organizer, preparation_guide_md="")
    assert only_row(db, booking, "preparation_guide").status == OutboxStatus.DROPPED
    assert only_row(db, booking, "reminder").status == OutboxStatus.PENDING

    edit(retreat, organizer, preparation_guide_md="Bring a blanket.")
    guide = only_row(db, booking, "preparation_guide")
    assert guide.status == OutboxStatus.PENDING
    assert guide.send_after == retreat.starts_at - timedelta(days=7)


def test_a_guide_changed_before_sending_goes_out_as_the_new_text(
    db, make_retreat, organizer, smtp_inbox
):
    retreat = make_retreat(preparation_guide_md="Bring warm socks.")
    booking = confirmed_booking(retreat)
    edit(retreat, organizer, preparation_guide_md="Bring **a blanket** and rain boots.")

    send_at(only_row(db, booking, "preparation_guide").send_after)

    [message] = [m for m in smtp_inbox.messages if "your guide" in m["Subject"]]
    body = message.as_string()
    assert "rain boots" in body and "<strong>a blanket</strong>" in body
    assert "warm socks" not in body


def test_a_guide_already_sent_is_not_sent_again_when_the_dates_move(
    db, make_retreat, organizer, smtp_inbox
):
    retreat = make_retreat()
    booking = confirmed_booking(retreat)
    send_at(only_row(db, booking, "preparation_guide").send_after)
    local_start = retreat.local_starts_at.replace(tzinfo=None)

    edit(
        retreat,
        organizer,
        starts_at=local_start + timedelta(days=30),
        ends_at=local_start + timedelta(days=32),
    )

    assert only_row(db, booking, "preparation_guide").status == OutboxStatus.SENT
    assert send_at(retreat.starts_at - timedelta(days=1)) == 1  # the reminder, moved
    assert sum("your guide" in s for s in subjects(smtp_inbox)) == 1


def cancel_by_attendee(booking, organizer):
    cancel_booking(booking_id=booking.id)


def cancel_by_organizer(booking, organizer):
    cancel_booking_for_attendee(
        booking_id=booking.id, actor_id=organizer.id, refund=RefundChoice.FULL
    )


def cancel_the_retreat(booking, organizer):
    cancel_retreat(retreat_id=booking.retreat_id, actor_id=organizer.id)


@pytest.mark.parametrize("cancel", [cancel_by_attendee, cancel_by_organizer, cancel_the_retreat])
def test_cancelling_drops_the_guide_and_reminder_and_nothing_arrives(
    db, make_retreat, organizer, smtp_inbox, cancel
):
    retreat = make_retreat()
    booking = confirmed_booking(retreat)
    # The same person's booking of another retreat keeps its mails.
    other = confirmed_booking(make_retreat(title="Another Weekend"))
    send_at(utcnow())
    received = len(smtp_inbox.messages)

    cancel(booking, organizer)

    for kind in SCHEDULED:
        assert only_row(db, booking, kind).status == OutboxStatus.DROPPED
        assert only_row(db, other, kind).status == OutboxStatus.PENDING
    send_at(retreat.starts_at - timedelta(hours=1))
    new = [subject_of(m) for m in smtp_inbox.messages[received:] if m["To"] == "Ada@Example.org"]
    about_this_one = [subject for subject in new if "Another Weekend" not in subject]
    assert len(about_this_one) == 1 and "cancelled" in about_this_one[0]
    assert len(new) == 3  # the other booking's guide and reminder did go out
    for kind in SCHEDULED:
        assert only_row(db, booking, kind).status == OutboxStatus.DROPPED


def test_a_scheduled_mail_whose_booking_was_cancelled_unseen_is_dropped_at_send_time(
    db, make_retreat, smtp_inbox
):
    retreat = make_retreat()
    booking = confirmed_booking(retreat)
    send_at(utcnow())
    booking.status = BookingStatus.CANCELLED  # as if changed by a path that forgot its mails
    db.session.commit()

    assert send_at(retreat.starts_at - timedelta(hours=1)) == 0

    for kind in SCHEDULED:
        row = only_row(db, booking, kind)
        assert row.status == OutboxStatus.DROPPED
        assert row.sent_at is None and "no longer confirmed" in row.last_error
    assert len(smtp_inbox.messages) == 2
    # A dropped row is finished: it is not tried again.
    assert send_at(retreat.starts_at - timedelta(minutes=1)) == 0
    assert only_row(db, booking, "reminder").attempts == 0


def test_upgrading_gives_existing_retreats_the_defaults_and_outbox_rows_a_dropped_state(
    app_config,
):
    with create_app(app_config).app_context():
        database.drop_all()
        upgrade(revision="0001_initial")
        with database.engine.begin() as connection:
            for statement in FIRST_REVISION_ROWS:
                connection.exec_driver_sql(statement)
        upgrade()
        with database.engine.begin() as connection:
            defaults = connection.exec_driver_sql(
                "SELECT guide_days_before, discreet_emails FROM retreats"
            ).one()
            connection.exec_driver_sql("UPDATE outbox_emails SET status = 'dropped'")
        assert (defaults[0], bool(defaults[1])) == (7, False)
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE outbox_emails SET status = 'skipped'")
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE retreats SET guide_days_before = 61")

        downgrade(revision="0003_organizer_area")  # a dropped row goes back as failed
        with database.engine.connect() as connection:
            status = connection.exec_driver_sql("SELECT status FROM outbox_emails").scalar()
        assert status == "failed"
        database.engine.dispose()
