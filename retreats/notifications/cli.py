"""`flask --app wsgi outbox work [--once]`: the email worker (it also runs the expiry sweep)."""

from __future__ import annotations

import socket
import time

import click
from flask import current_app
from flask.cli import AppGroup

outbox_cli = AppGroup("outbox", help="The email outbox.")


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def work_command(once: bool) -> None:
    """Send due emails; without --once keep polling, and expire lapsed holds every minute."""
    from ..payments.checkout import expire_lapsed_holds
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
        sent = send_due_emails()
        if time.monotonic() - last_sweep >= 60:
            expire_lapsed_holds()
            last_sweep = time.monotonic()
        if not sent:
            time.sleep(poll_seconds)
