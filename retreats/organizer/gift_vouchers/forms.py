"""The void-a-voucher form: the reason as typed. Its rules (required, at most 500 characters)
are the service's (gift_vouchers/voiding.py checked_reason), so the CLI keeps them too."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField

from retreats.organizer.form_fields import stripped


class VoidVoucherForm(FlaskForm):
    reason = TextAreaField("Why you void it", filters=[stripped])
    void = SubmitField("Void this voucher")
