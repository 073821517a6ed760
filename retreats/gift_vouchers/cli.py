"""`flask vouchers …`: the platform's gift-voucher commands (site-wide vouchers belong to no
organizer, so nobody could void one from the organizer's pages)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.gift_vouchers.models import GiftVoucher
from retreats.gift_vouchers.voiding import void_voucher

vouchers_cli = AppGroup("vouchers", help="Gift vouchers.")


@vouchers_cli.command("void")
@click.argument("reference")
@click.option("--reason", required=True, help="Why it is voided (kept in the audit log).")
def void_command(reference: str, reason: str) -> None:
    """Void the gift voucher with purchase REFERENCE (e.g. GV-7K2Q9M): nothing more can be
    spent from it; bookings keep what it already paid."""
    typed = reference.strip().upper()
    voucher_id = db.session.scalar(select(GiftVoucher.id).where(GiftVoucher.reference == typed))
    if voucher_id is None:
        raise click.ClickException(f"No gift voucher has the reference {typed}.")
    try:
        voucher = void_voucher(voucher_id=voucher_id, reason=reason, actor_id=None, now=utcnow())
    except DomainError as error:
        raise click.ClickException(f"{typed}: {error.message}") from error
    owner = "site-wide" if voucher.organizer_id is None else f"organizer #{voucher.organizer_id}"
    click.echo(f"Voided {voucher.reference} ({owner}). Its email, if not sent yet, never will be.")
