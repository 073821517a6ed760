"""The platform admin's forms: a decision with a reason, or a plain button."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from retreats.admin.services import MAX_REASON_LENGTH
from retreats.organizer.form_fields import stripped


class ReasonForm(FlaskForm):
    """Decline, suspend, unpublish: the reason is emailed to the organizer."""

    reason = TextAreaField(
        "Reason (emailed to the organizer)",
        filters=[stripped],
        validators=[
            DataRequired(message="Please give a reason: the organizer reads it."),
            Length(max=MAX_REASON_LENGTH),
        ],
    )


class NoteForm(FlaskForm):
    """Reinstate: a note is welcome but not needed."""

    reason = TextAreaField(
        "Note to the organizer (optional)",
        filters=[stripped],
        validators=[Optional(), Length(max=MAX_REASON_LENGTH)],
    )


class ButtonForm(FlaskForm):
    """Approve: a button and its CSRF token."""
