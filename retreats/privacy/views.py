"""The attendee's data rights on the manage link: download their data, ask for its deletion."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from retreats.booking.blueprint import booking_from_link_or_404, manage_page_url
from retreats.errors import DomainError
from retreats.privacy.data_rights import (
    booking_data_export,
    delete_personal_data,
    deletion_refusal,
    personal_data_deleted,
)

blueprint = Blueprint("data_rights", __name__)

# The manage template asks these about its booking.
blueprint.add_app_template_test(personal_data_deleted, "personal_data_deleted")
blueprint.add_app_template_global(deletion_refusal, "data_deletion_refusal")


class DeletePersonalDataForm(FlaskForm):
    confirm = BooleanField(
        "Yes, delete my personal data from this booking",
        validators=[DataRequired(message="Please tick the box to confirm.")],
    )


@blueprint.get("/bookings/<reference>/data.json")
def download_data(reference: str):
    """Everything stored about the booking and its attendees, as a JSON file."""
    booking = booking_from_link_or_404(reference)
    body = json.dumps(booking_data_export(booking), ensure_ascii=False, indent=2)
    response = Response(body + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="booking-{booking.reference}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/bookings/<reference>/delete-data")
def delete_data(reference: str):
    """Delete the booking's personal data at its attendee's request (the box must be ticked)."""
    booking = booking_from_link_or_404(reference)
    form = DeletePersonalDataForm()
    if not form.validate_on_submit():
        flash("Please tick the box to confirm that you want your data deleted.", "error")
        return redirect(manage_page_url(booking), code=303)
    try:
        delete_personal_data(booking_id=booking.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Your personal data has been deleted from this booking.", "info")
    return redirect(manage_page_url(booking), code=303)
