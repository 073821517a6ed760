"""Forms of organizer accounts: signing up, signing in, password resets, co-host invites."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from retreats.organizer.accounts.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from retreats.organizer.form_fields import stripped


def _email_field(label: str = "Email") -> EmailField:
    return EmailField(
        label,
        filters=[stripped],
        validators=[
            DataRequired(message="Please enter an email address."),
            Email(message="Please enter a valid email address."),
            Length(max=254),
        ],
    )


class LoginForm(FlaskForm):
    # No format check here: a wrong address gets the same message as a wrong password.
    email = EmailField(
        "Email",
        filters=[stripped],
        validators=[DataRequired(message="Please enter your email address."), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(message="Please enter your password."),
            Length(max=MAX_PASSWORD_LENGTH),
        ],
    )


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[
            DataRequired(message="Please choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=(
                    f"Please choose a password of {MIN_PASSWORD_LENGTH} to "
                    f"{MAX_PASSWORD_LENGTH} characters."
                ),
            ),
        ],
    )
    confirm = PasswordField(
        "The same password again",
        validators=[
            DataRequired(message="Please type the password a second time."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
    )


class AcceptInviteForm(NewPasswordForm):
    name = StringField(
        "Your name",
        filters=[stripped],
        validators=[DataRequired(message="Please tell us your name."), Length(max=200)],
    )


class InviteCoHostForm(FlaskForm):
    email = _email_field("Their email")
    name = StringField("Their name", filters=[stripped], validators=[Length(max=200)])


class ConfirmForm(FlaskForm):
    """A button and its CSRF token: removing a co-host, accepting an invite as an existing user."""


class SignUpForm(NewPasswordForm):
    name = StringField(
        "Your name, or your organization's",
        filters=[stripped],
        validators=[DataRequired(message="Please tell us your name."), Length(max=200)],
    )
    email = _email_field()
    offering = TextAreaField(
        "What do you offer?",
        filters=[stripped],
        validators=[
            DataRequired(message="Please tell us what you offer."),
            Length(max=2000, message="Please keep it under 2000 characters."),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.label.text = "Password"  # a first one, not a "new" one


class EmailLinkForm(FlaskForm):
    email = _email_field()
