"""`flask --app wsgi bookings expire`: release the seats of holds that have run out."""

from __future__ import annotations

import click
from flask.cli import AppGroup

bookings_cli = AppGroup("bookings", help="Booking maintenance.")


@bookings_cli.command("expire")
def expire_command() -> None:
    """Expire pending bookings whose hold lapsed, and their Checkout Sessions at Stripe."""
    from ..payments.checkout import expire_lapsed_holds

    count = expire_lapsed_holds()
    click.echo(f"Expired {count} booking(s).")
