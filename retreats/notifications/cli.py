"""`flask --app wsgi outbox work [--once] [--now WHEN]`: the email worker (it also runs the
minute upkeep and the daily purge of old private answers). `--once` collects the balances due
and sends the mails due, then exits; `--now` does so as at another moment, to try schedules
(reminders, a balance's due date) by hand."""

from __future__ import annotations

import logging
import socket
import time
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from retreats.base.cli_options import MomentType
from retreats.extensions import db

log = logging.getLogger(__name__)

outbox_cli = AppGroup("outbox", help="The email outbox.")

# A --once run stops as soon as nothing is due (a failed mail waits its back-off, past `now`);
# this only bounds a queue that keeps filling while the run goes on.
ONCE_LIMIT = 10_000


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due, then exit.")
@click.option(
    "--now",
    "moment",
    type=MomentType(),
    help="With --once: send what would be due at this moment (ISO, UTC unless an offset is given).",
)
def work_command(once: bool, moment: datetime | None) -> None:
    """Send due emails; without --once keep polling, and run the upkeep every minute."""
    from retreats.booking.balance_collection import collect_balances
    from retreats.booking.upkeep import run_periodic_upkeep
    from retreats.notifications.sender import send_due_emails
    from retreats.privacy.retention import DailyPurge

    if moment is not None and not once:
        raise click.UsageError("--now only works with --once: a running worker keeps real time.")
    # Flask-Mail opens SMTP connections without a timeout; a stuck server must not stall the worker.
    socket.setdefaulttimeout(current_app.config["MAIL_TIMEOUT_SECONDS"])
    if once:
        balances = collect_balances(now=moment)
        if balances.asked or balances.cancelled:
            click.echo(
                f"Balances: {balances.asked} asked for ({balances.charged} charged), "
                f"{balances.cancelled} booking(s) cancelled as overdue."
            )
        sent = send_due_emails(now=moment, limit=ONCE_LIMIT)
        due_by = f" due by {moment:%Y-%m-%d %H:%M} UTC" if moment else ""
        click.echo(f"Sent {sent} email(s){due_by}.")
        return
    poll_seconds = current_app.config["OUTBOX_POLL_SECONDS"]
    last_sweep = 0.0
    daily_purge = DailyPurge()  # its own try: a failed purge never holds up the mail
    click.echo(f"Outbox worker running (polling every {poll_seconds}s). Ctrl-C stops it.")
    while True:
        try:
            sent = send_due_emails()
            if time.monotonic() - last_sweep >= 60:
                run_periodic_upkeep()
                last_sweep = time.monotonic()
        except Exception:  # the database restarting, say: log it and keep the worker alive
            log.exception("Worker round failed; trying again shortly")
            db.session.rollback()
            sent = 0
        finally:
            db.session.remove()
        daily_purge.run_if_due()
        db.session.remove()
        if not sent:
            time.sleep(poll_seconds)
