"""The organizer's facilitators and venues: lists, add, edit, delete. Each one is loaded through
facilitator_for_organizer / venue_for_organizer: 404 for anyone else's."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from retreats.errors import DomainError
from retreats.extensions import db
from retreats.listings.hosts import Facilitator, Venue
from retreats.organizer.blueprint import blueprint
from retreats.organizer.form_fields import ActionForm
from retreats.organizer.hosts import services as hosts
from retreats.organizer.hosts.forms import FacilitatorForm, VenueForm
from retreats.organizer.hosts.services import NewPhoto, VenueDetails

EXPIRED_FORM = "That form had expired, so nothing changed. Please try again."


def facilitator_for_organizer(facilitator_id: int) -> Facilitator:
    """The facilitator if it is the signed-in organizer's own, else 404."""
    facilitator = db.session.get(Facilitator, facilitator_id)
    if facilitator is None or facilitator.organizer_id != current_user.id:
        abort(404)
    return facilitator


def venue_for_organizer(venue_id: int) -> Venue:
    """The venue if it is the signed-in organizer's own, else 404."""
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.organizer_id != current_user.id:
        abort(404)
    return venue


def _flash_error(error: DomainError) -> None:
    flash(error.message, "error")


# -------------------------------------------------------------------------- facilitators


@blueprint.get("/facilitators")
def facilitators():
    """The organizer's facilitators, to add, edit or delete."""
    return render_template(
        "organizer/hosts/facilitators.html",
        facilitators=hosts.facilitators_of(current_user.id),
        delete_form=ActionForm(),
    )


def _facilitator_page(form: FacilitatorForm, facilitator: Facilitator | None, status: int):
    page = render_template(
        "organizer/hosts/facilitator_form.html", form=form, facilitator=facilitator
    )
    return page, status


@blueprint.route("/facilitators/new", methods=["GET", "POST"])
def new_facilitator():
    """Add a facilitator: name, short bio, photo."""
    return _edit_facilitator_page(None)


@blueprint.route("/facilitators/<int:facilitator_id>", methods=["GET", "POST"])
def edit_facilitator(facilitator_id: int):
    """Change one of the organizer's facilitators."""
    return _edit_facilitator_page(facilitator_for_organizer(facilitator_id))


def _edit_facilitator_page(facilitator: Facilitator | None):
    form = FacilitatorForm(obj=facilitator)
    if not form.validate_on_submit():
        return _facilitator_page(form, facilitator, 422 if form.is_submitted() else 200)
    try:
        saved = hosts.save_facilitator(
            organizer_id=current_user.id,
            facilitator=facilitator,
            name=form.name.data,
            bio=form.bio.data or "",
            photo=NewPhoto(form.prepared_photo, bool(form.remove_photo.data)),
        )
    except DomainError as error:
        _flash_error(error)
        return _facilitator_page(form, facilitator, error.status_code)
    flash(f"{saved.name} saved.", "success")
    return redirect(url_for("organizer.facilitators"), code=303)


@blueprint.post("/facilitators/<int:facilitator_id>/delete")
def delete_facilitator(facilitator_id: int):
    """Delete a facilitator; retreats that named them no longer do."""
    facilitator = facilitator_for_organizer(facilitator_id)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(url_for("organizer.facilitators"), code=303)
    name = facilitator.name
    try:
        hosts.delete_facilitator(organizer_id=current_user.id, facilitator=facilitator)
    except DomainError as error:
        _flash_error(error)
    else:
        flash(f"{name} deleted.", "success")
    return redirect(url_for("organizer.facilitators"), code=303)


# -------------------------------------------------------------------------------- venues


@blueprint.get("/venues")
def venues():
    """The organizer's venues, to add, edit or delete."""
    return render_template(
        "organizer/hosts/venues.html",
        venues=hosts.venues_of(current_user.id),
        delete_form=ActionForm(),
    )


@blueprint.route("/venues/new", methods=["GET", "POST"])
def new_venue():
    """Add a venue: name, address, description, photos."""
    return _edit_venue_page(None)


@blueprint.route("/venues/<int:venue_id>", methods=["GET", "POST"])
def edit_venue(venue_id: int):
    """Change one of the organizer's venues."""
    return _edit_venue_page(venue_for_organizer(venue_id))


def _edit_venue_page(venue: Venue | None):
    form = VenueForm(obj=venue, photos=venue.photos if venue else ())
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("organizer/hosts/venue_form.html", form=form, venue=venue), status
    try:
        saved = hosts.save_venue(
            organizer_id=current_user.id,
            venue=venue,
            details=VenueDetails(
                name=form.name.data,
                address=form.address.data or "",
                description_md=form.description_md.data or "",
            ),
            new_photos=form.prepared_photos,
            removed_photo_ids=form.remove_photos.data or [],
        )
    except DomainError as error:
        _flash_error(error)
        page = render_template("organizer/hosts/venue_form.html", form=form, venue=venue)
        return page, error.status_code
    flash(f"{saved.name} saved.", "success")
    return redirect(url_for("organizer.venues"), code=303)


@blueprint.post("/venues/<int:venue_id>/delete")
def delete_venue(venue_id: int):
    """Delete a venue; its retreats keep their free-text place."""
    venue = venue_for_organizer(venue_id)
    if not ActionForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return redirect(url_for("organizer.venues"), code=303)
    name = venue.name
    try:
        hosts.delete_venue(organizer_id=current_user.id, venue=venue)
    except DomainError as error:
        _flash_error(error)
    else:
        flash(f"{name} deleted.", "success")
    return redirect(url_for("organizer.venues"), code=303)
