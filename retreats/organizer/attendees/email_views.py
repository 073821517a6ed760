"""A retreat's emails: what went out, what is waiting, what failed and why, and the retry
buttons that put failed mail back in the queue."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from retreats.base.outbox import OutboxStatus
from retreats.errors import DomainError
from retreats.notifications.retry import (
    LISTED_EMAILS_MAX,
    email_counts,
    retreat_email,
    retreat_emails,
    retry_failed_email,
    retry_failed_emails,
)
from retreats.organizer.access import retreat_for_organizer
from retreats.organizer.blueprint import blueprint


class RetryEmailForm(FlaskForm):
    """Nothing to fill in: the CSRF token is the form."""


def _status_from_query() -> OutboxStatus | None:
    """The list's filter: one status, or every email; anything else is a 400."""
    value = request.args.get("status", "")
    if not value:
        return None
    try:
        return OutboxStatus(value)
    except ValueError:
        abort(400, description="That filter is not one this list offers.")


def _emails_url(retreat_id: int, status: str | None = None) -> str:
    """Back to the list, keeping its filter when it is one the list offers."""
    kept = status if status in set(OutboxStatus) else None
    return url_for("organizer.retreat_emails", retreat_id=retreat_id, status=kept)


@blueprint.get("/retreats/<int:retreat_id>/emails", endpoint="retreat_emails")
def retreat_emails_page(retreat_id: int):
    """Every email about this retreat, failed ones first, with the server's last answer."""
    retreat = retreat_for_organizer(retreat_id)
    status = _status_from_query()
    return render_template(
        "organizer/emails.html",
        retreat=retreat,
        status=status,
        emails=retreat_emails(retreat.id, status=status),
        counts=email_counts(retreat.id),
        listed_max=LISTED_EMAILS_MAX,
    )


@blueprint.post("/retreats/<int:retreat_id>/emails/<int:email_id>/retry")
def retry_email(retreat_id: int, email_id: int):
    """Put one failed email back in the queue, to be sent at once."""
    retreat = retreat_for_organizer(retreat_id)
    email = retreat_email(retreat.id, email_id)
    if email is None:
        abort(404)
    back = _emails_url(retreat.id, request.form.get("status"))  # the filter the list had
    if not RetryEmailForm().validate_on_submit():
        flash("That did not go through. Please try again.", "error")
        return redirect(back, code=303)
    try:
        retried = retry_failed_email(
            email_id=email.id, retreat_id=retreat.id, actor_id=current_user.id
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"The email to {retried.to_address} will be sent again in a moment.", "info")
    return redirect(back, code=303)


@blueprint.post("/retreats/<int:retreat_id>/emails/retry-failed")
def retry_all_failed_emails(retreat_id: int):
    """Put every failed email of this retreat back in the queue."""
    retreat = retreat_for_organizer(retreat_id)
    if not RetryEmailForm().validate_on_submit():
        flash("That did not go through. Please try again.", "error")
        return redirect(_emails_url(retreat.id, request.form.get("status")), code=303)
    try:
        count = retry_failed_emails(retreat_id=retreat.id, actor_id=current_user.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{count} email{'s' if count != 1 else ''} will be sent again in a moment.", "info")
    return redirect(_emails_url(retreat.id, request.form.get("status")), code=303)
