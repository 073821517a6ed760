"""The organizer's profile (about text, photo, the widget's snippet) and a retreat's hosts (its
facilitators and venue, chosen among its owner's)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import escape

from retreats.errors import DomainError
from retreats.links import public_url
from retreats.organizer.access import retreat_for_organizer
from retreats.organizer.blueprint import blueprint
from retreats.organizer.hosts import services as hosts
from retreats.organizer.hosts.forms import ProfileForm, RetreatHostsForm
from retreats.organizer.hosts.services import NewPhoto


@blueprint.route("/profile", methods=["GET", "POST"])
def edit_profile():
    """The organizer's public profile: about text and photo, and the widget to copy."""
    form = ProfileForm(obj=current_user)
    if not form.validate_on_submit():
        return _profile_page(form, 422 if form.is_submitted() else 200)
    try:
        hosts.update_profile(
            organizer_id=current_user.id,
            about_md=form.about_md.data or "",
            photo=NewPhoto(form.prepared_photo, bool(form.remove_photo.data)),
        )
    except DomainError as error:
        flash(error.message, "error")
        return _profile_page(form, error.status_code)
    flash("Your profile is saved.", "success")
    return redirect(url_for("organizer.edit_profile"), code=303)


def _profile_page(form: ProfileForm, status: int):
    slug = current_user.slug
    widget_url = escape(public_url("profiles.widget", slug=slug))
    title = escape(f"Upcoming retreats of {current_user.name}")
    script_url = escape(public_url("static", filename="js/widget.js"))
    page = render_template(
        "organizer/hosts/profile.html",
        form=form,
        profile_url=public_url("profiles.profile", slug=slug),
        widget_url=widget_url,
        # The HTML to paste, shown as text (the template escapes it once more).
        iframe_snippet=(
            f'<iframe src="{widget_url}" title="{title}" width="100%" height="520" '
            'loading="lazy"></iframe>'
        ),
        script_snippet=(
            f'<script src="{script_url}" data-widget="{widget_url}" data-title="{title}" '
            "async></script>"
        ),
    )
    return page, status


@blueprint.route("/retreats/<int:retreat_id>/hosts", methods=["GET", "POST"])
def retreat_hosts(retreat_id: int):
    """Which facilitators lead the retreat and which venue it is at."""
    retreat = retreat_for_organizer(retreat_id)
    form = RetreatHostsForm(
        facilitators=hosts.facilitators_of(retreat.organizer_id),
        venues=hosts.venues_of(retreat.organizer_id),
        data={
            "facilitators": [person.id for person in retreat.facilitators],
            "venue": retreat.venue_id or 0,
        },
    )
    if form.validate_on_submit():
        try:
            hosts.set_retreat_hosts(
                retreat=retreat,
                actor_id=current_user.id,
                facilitator_ids=form.facilitators.data or [],
                venue_id=form.venue.data or None,
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("Facilitators and venue saved.", "success")
            return redirect(url_for("organizer.retreat_hosts", retreat_id=retreat.id), code=303)
    status = 422 if form.is_submitted() else 200
    page = render_template("organizer/hosts/retreat_hosts.html", form=form, retreat=retreat)
    return page, status
