"""Sign-up pages: the form, "check your email", the email link, a new link, and the page that
says the account waits for approval."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.organizer.accounts.forms import ConfirmForm, EmailLinkForm, SignUpForm
from retreats.organizer.accounts.models import TokenPurpose
from retreats.organizer.accounts.services import LinkExpired
from retreats.organizer.accounts.sign_up import send_new_email_link, sign_up, verify_email
from retreats.organizer.accounts.tokens import usable_token
from retreats.organizer.blueprint import allow_anonymous, blueprint


def _expired_email_link_page():
    return render_template(
        "organizer/email_link_expired.html", form=EmailLinkForm()
    ), LinkExpired.status_code


@blueprint.route("/sign-up", methods=["GET", "POST"], endpoint="sign_up")
@allow_anonymous
def sign_up_page():
    """Ask to become an organizer: name, email, password and what they offer."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("organizer.dashboard"))
    form = SignUpForm()
    status = 200
    if form.validate_on_submit():
        try:
            sign_up(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                offering=form.offering.data,
                now=utcnow(),
            )
        except DomainError as error:
            getattr(form, error.field or "email").errors.append(error.message)
            status = error.status_code
        else:
            return redirect(url_for("organizer.sign_up_sent"), code=303)
    elif request.method == "POST":
        status = 422
    form.password.data = form.confirm.data = None  # never echo a password back into the page
    return render_template("organizer/sign_up.html", form=form), status


@blueprint.get("/sign-up/check-your-email")
@allow_anonymous
def sign_up_sent():
    """The same page whether the address was new or already had an account."""
    return render_template("organizer/sign_up_sent.html")


@blueprint.route("/sign-up/new-link", methods=["GET", "POST"])
@allow_anonymous
def new_email_link():
    """Ask for a new email-check link; the answer is the same whatever the address."""
    form = EmailLinkForm()
    if form.validate_on_submit():
        send_new_email_link(email=form.email.data, now=utcnow())
        return redirect(url_for("organizer.sign_up_sent"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("organizer/new_email_link.html", form=form), status


@blueprint.route("/verify/<token>", methods=["GET", "POST"], endpoint="verify_email")
@allow_anonymous
def verify_email_page(token: str):
    """Confirm the email address with the emailed link (a button, so a mail scanner that opens
    the link does not use it up)."""
    if usable_token(token, TokenPurpose.EMAIL_VERIFICATION, now=utcnow()) is None:
        return _expired_email_link_page()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            verify_email(raw_token=token, now=utcnow())
        except LinkExpired:
            return _expired_email_link_page()
        return redirect(url_for("organizer.waiting_for_approval"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("organizer/verify_email.html", form=form, token=token), status


@blueprint.get("/waiting-for-approval")
@allow_anonymous
def waiting_for_approval():
    """The email is confirmed: what happens next, and that drafts can be prepared meanwhile."""
    return render_template("organizer/waiting_for_approval.html")
