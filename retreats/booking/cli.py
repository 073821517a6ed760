"""`flask --app wsgi bookings expire`: release the seats of holds that have run out."""

from __future__ import annotations

import click
from flask.cli import AppGroup

bookings_cli = AppGroup("bookings", help="Booking maintenance.")


@bookings_cli.command("expire")
def expire_command() -> None:
    """Expire lapsed holds (and their Checkout Sessions at Stripe) and waitlist offers."""
    from retreats.booking.upkeep import release_lapsed_seats

    result = release_lapsed_seats()
    click.echo(
        f"Expired {result.holds_expired} booking(s) and {result.offers_lapsed} waitlist "
        f"offer(s); made {result.offers_made} new offer(s)."
    )
