"""`flask organizer …`: organizer accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from retreats.errors import DomainError
from retreats.organizer.accounts.services import (
    MIN_PASSWORD_LENGTH,
    create_organizer,
    organizer_by_email,
    set_password,
)

organizer_cli = AppGroup("organizer", help="Organizer accounts.")


def prompt_password() -> str:
    # Typed twice and never echoed; click asks again if the two differ.
    return click.prompt(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
    )


@organizer_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="The name shown to attendees and co-hosts.")
def create_command(email: str, name: str) -> None:
    """Create an organizer account that signs in with EMAIL and a password typed here."""
    if organizer_by_email(email) is not None:
        raise click.ClickException(f"An organizer with the email {email.strip()} already exists.")
    password = prompt_password()
    try:
        person = create_organizer(email=email, name=name, password=password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created organizer {person.email} ({person.name}). They can sign in now.")


@organizer_cli.command("set-password")
@click.argument("email")
def set_password_command(email: str) -> None:
    """Set a new password for the organizer with EMAIL (the demo organizer, or a lost one)."""
    if organizer_by_email(email) is None:
        raise click.ClickException(f"No organizer has the email {email.strip()}.")
    password = prompt_password()
    try:
        person = set_password(email=email, password=password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"The password of {person.email} is set. Earlier reset links no longer work.")
