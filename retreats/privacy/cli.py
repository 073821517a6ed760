"""`flask --app wsgi privacy …`: re-encrypting the private answers with the newest key, and
deleting the answers (ordinary and private, consents apart) once the retention period after a
retreat is over."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from retreats.base.cli_options import MomentType

privacy_cli = AppGroup("privacy", help="Answers: retention, and the private ones' encryption keys.")


@privacy_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Re-encrypt every private answer (the private answers to the retreats' questions, room
    share wishes) with the newest key of INTAKE_ENCRYPTION_KEYS."""
    from retreats.privacy.rotation import reencrypt_all_answers

    done = reencrypt_all_answers()
    click.echo(
        f"Re-encrypted {done.answers} private answer(s) to the retreats' questions and the "
        f"room share wishes of {done.bookings} booking(s) with the newest key."
    )


@privacy_cli.command("purge")
@click.option(
    "--now",
    "moment",
    type=MomentType(),
    help="Purge as if it were this moment (ISO, UTC unless an offset is given).",
)
def purge_command(moment: datetime | None) -> None:
    """Delete the answers (every answer to the retreats' questions, ordinary and private, but
    consents; room share wishes) of retreats that ended PRIVATE_ANSWERS_RETENTION_DAYS ago."""
    from retreats.privacy.retention import purge_private_answers

    days = current_app.config["PRIVATE_ANSWERS_RETENTION_DAYS"]
    count = purge_private_answers(now=moment)
    click.echo(
        f"Deleted the answers (consents kept) of {count} attendee(s) of retreats "
        f"that ended more than {days} day(s) ago."
    )
