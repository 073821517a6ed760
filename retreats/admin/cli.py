"""`flask admin …`: platform admins from the command line (there is no other way to make one)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from retreats.admin.services import set_platform_admin
from retreats.errors import DomainError
from retreats.organizer.accounts.cli import prompt_password
from retreats.organizer.accounts.services import create_organizer, organizer_by_email

admin_cli = AppGroup("admin", help="Platform admins.")


@admin_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="The name shown in the audit log.")
def create_command(email: str, name: str) -> None:
    """Create a platform admin who signs in with EMAIL and a password typed here (an existing
    account is made an admin instead, keeping its password)."""
    try:
        if organizer_by_email(email) is None:
            create_organizer(email=email, name=name, password=prompt_password())
        person = set_platform_admin(email=email, admin=True)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{person.email} is a platform admin: /admin after signing in.")


@admin_cli.command("grant")
@click.argument("email")
def grant_command(email: str) -> None:
    """Make the existing account with EMAIL a platform admin."""
    try:
        person = set_platform_admin(email=email, admin=True)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{person.email} is a platform admin.")


@admin_cli.command("revoke")
@click.argument("email")
def revoke_command(email: str) -> None:
    """The account with EMAIL is no longer a platform admin (it stays an organizer)."""
    try:
        person = set_platform_admin(email=email, admin=False)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{person.email} is no longer a platform admin.")
