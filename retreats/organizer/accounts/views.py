"""Organizer account pages: sign in and out, password resets, co-hosts and their invites."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from retreats.database import utcnow
from retreats.errors import DomainError
from retreats.extensions import db
from retreats.organizer.accounts.forms import (
    AcceptInviteForm,
    ConfirmForm,
    ForgotPasswordForm,
    InviteCoHostForm,
    LoginForm,
    NewPasswordForm,
)
from retreats.organizer.accounts.models import CoHost, TokenPurpose
from retreats.organizer.accounts.services import (
    LinkExpired,
    accept_invite,
    authenticate,
    co_hosts_of,
    hosts_co_hosted_by,
    invite_co_host,
    pending_invite,
    remove_co_host,
    request_password_reset,
    reset_password,
)
from retreats.organizer.accounts.tokens import usable_token
from retreats.organizer.blueprint import allow_anonymous, blueprint


def safe_next_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    # Browsers drop tabs and newlines and read "\" as "/", which could turn "/\t/x" into "//x".
    if any(char == "\\" or char.isspace() or ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _signed_in(person) -> None:
    # A fresh session on every sign-in: nothing planted before it survives (session fixation).
    session.clear()
    login_user(person)


def _expired_link_page():
    return render_template("organizer/link_expired.html"), LinkExpired.status_code


@blueprint.route("/login", methods=["GET", "POST"])
@allow_anonymous
def login():
    """Sign in with email and password; back to the page asked for, if it is on this site."""
    next_path = safe_next_path(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_path or url_for("organizer.dashboard"))
    form = LoginForm()
    status, login_error = 200, None
    if form.validate_on_submit():
        try:
            person = authenticate(email=form.email.data, password=form.password.data, now=utcnow())
        except DomainError as error:
            login_error, status = error.message, error.status_code
        else:
            _signed_in(person)
            return redirect(next_path or url_for("organizer.dashboard"), code=303)
    elif request.method == "POST":
        status = 422
    form.password.data = None  # never echo a password back into the page
    return render_template(
        "organizer/login.html", form=form, login_error=login_error, next_path=next_path
    ), status


@blueprint.post("/logout")
@allow_anonymous
def logout():
    """Sign out (a POST with its CSRF token, so no link or image can sign anyone out)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("organizer.login"), code=303)


@blueprint.route("/password/forgot", methods=["GET", "POST"])
@allow_anonymous
def forgot_password():
    """Ask for a password reset link; the answer is the same whether the account exists or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(email=form.email.data, now=utcnow())
        flash(
            "If an organizer account uses that address, we have emailed it a link to choose a "
            "new password. Please check your inbox.",
            "info",
        )
        return redirect(url_for("organizer.login"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("organizer/forgot_password.html", form=form), status


# Not named reset_password, so it does not shadow the service it calls; the endpoint keeps the name.
@blueprint.route("/password/reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
@allow_anonymous
def reset_password_page(token: str):
    """Choose a new password through an emailed one-time link."""
    if usable_token(token, TokenPurpose.PASSWORD_RESET, now=utcnow()) is None:
        return _expired_link_page()
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            reset_password(raw_token=token, password=form.password.data, now=utcnow())
        except LinkExpired:
            return _expired_link_page()
        except DomainError as error:
            form.password.errors.append(error.message)
            status = error.status_code
        else:
            flash("Your new password is set. Please sign in with it.", "info")
            return redirect(url_for("organizer.login"), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("organizer/reset_password.html", form=form, token=token), status


@blueprint.get("/team")
def team():
    """My co-hosts (with a remove button), whose retreats I co-host, and the invite form."""
    return _team_page(InviteCoHostForm())


def _team_page(form: InviteCoHostForm, status: int = 200):
    me = current_user._get_current_object()
    return render_template(
        "organizer/team.html",
        form=form,
        remove_form=ConfirmForm(),
        co_hosts=co_hosts_of(me),
        hosts=hosts_co_hosted_by(me),
    ), status


@blueprint.post("/team/invite", endpoint="invite_co_host")
def invite_co_host_page():
    """Invite someone by email to co-host all my retreats."""
    form = InviteCoHostForm()
    if not form.validate_on_submit():
        return _team_page(form, 422)
    try:
        member = invite_co_host(
            owner=current_user._get_current_object(),
            email=form.email.data,
            name=form.name.data,
            now=utcnow(),
        )
    except DomainError as error:
        form.email.errors.append(error.message)
        return _team_page(form, error.status_code)
    flash(f"{member.email} can now manage your retreats; we have emailed them a link.", "info")
    return redirect(url_for("organizer.team"), code=303)


@blueprint.post("/team/<int:member_id>/remove", endpoint="remove_co_host")
def remove_co_host_page(member_id: int):
    """Stop someone co-hosting my retreats."""
    if db.session.get(CoHost, (current_user.id, member_id)) is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        remove_co_host(owner=current_user._get_current_object(), member_id=member_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("They no longer co-host your retreats.", "info")
    return redirect(url_for("organizer.team"), code=303)


@blueprint.route("/invite/<token>", methods=["GET", "POST"], endpoint="accept_invite")
@allow_anonymous
def accept_invite_page(token: str):
    """Accept a co-host invite: a new account chooses a password, an existing one just signs in."""
    invite = pending_invite(token, now=utcnow())
    if invite is None:
        return _expired_link_page()
    person, owner = invite.organizer, invite.invited_by
    new_account = person.password_hash is None
    form = AcceptInviteForm() if new_account else ConfirmForm()
    if request.method == "GET" and new_account:
        form.name.data = person.name
    status = 200
    if form.validate_on_submit():
        try:
            accepted = accept_invite(
                raw_token=token,
                name=form.name.data if new_account else None,
                password=form.password.data if new_account else None,
                now=utcnow(),
            )
        except LinkExpired:
            return _expired_link_page()
        except DomainError as error:
            (form.password.errors if new_account else form.form_errors).append(error.message)
            status = error.status_code
        else:
            return _after_accepting(accepted)
    elif request.method == "POST":
        status = 422
    return render_template(
        "organizer/accept_invite.html",
        form=form,
        token=token,
        person=person,
        owner=owner,
        new_account=new_account,
    ), status


def _after_accepting(accepted):
    host = accepted.owner.name if accepted.owner else "the organizer"
    if accepted.password_set:
        _signed_in(accepted.organizer)
        flash(f"Welcome! You now co-host {host}'s retreats.", "info")
        return redirect(url_for("organizer.dashboard"), code=303)
    flash(f"You now co-host {host}'s retreats.", "info")
    if current_user.is_authenticated and current_user.id == accepted.organizer.id:
        return redirect(url_for("organizer.dashboard"), code=303)
    flash("Please sign in with your usual password to see them.", "info")
    return redirect(url_for("organizer.login"), code=303)
