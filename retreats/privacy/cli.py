"""`flask --app wsgi privacy …`: re-encrypting the private answers with the newest key."""

from __future__ import annotations

import click
from flask.cli import AppGroup

privacy_cli = AppGroup("privacy", help="Private answers: encryption keys and retention.")


@privacy_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Re-encrypt every private answer with the newest key of INTAKE_ENCRYPTION_KEYS."""
    from .rotation import reencrypt_all_answers

    count = reencrypt_all_answers()
    click.echo(f"Re-encrypted the private answers of {count} attendee(s) with the newest key.")
