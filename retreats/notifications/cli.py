"""`flask --app wsgi outbox work [--once]`: the email worker (it also runs the minute upkeep)."""

from __future__ import annotations

import logging
import socket
import time

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db

log = logging.getLogger(__name__)

outbox_cli = AppGroup("outbox", help="The email outbox.")


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def work_command(once: bool) -> None:
    """Send due emails; without --once keep polling, and run the upkeep every minute."""
    from ..maintenance import run_periodic_upkeep
    from .sender import send_due_emails

    # Flask-Mail opens SMTP connections without a timeout; a stuck server must not stall the worker.
    socket.setdefaulttimeout(current_app.config["MAIL_TIMEOUT_SECONDS"])
    if once:
        click.echo(f"Sent {send_due_emails()} email(s).")
        return
    poll_seconds = current_app.config["OUTBOX_POLL_SECONDS"]
    last_sweep = 0.0
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
        if not sent:
            time.sleep(poll_seconds)
