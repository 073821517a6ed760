"""The listing editor's pages for a stay: a retreat's room types and add-ons. Every view loads
its retreat through retreat_for_organizer, then the room type or add-on through its helper."""

from __future__ import annotations

from flask import flash, redirect, render_template
from flask_login import current_user

from retreats.errors import DomainError
from retreats.organizer.access import (
    add_on_for_organizer,
    retreat_for_organizer,
    room_type_for_organizer,
)
from retreats.organizer.blueprint import blueprint
from retreats.organizer.form_fields import ActionForm
from retreats.organizer.listings import add_ons, room_types
from retreats.organizer.listings.stay_forms import AddOnForm, RoomTypeForm, VisibilityForm
from retreats.organizer.listings.views import EXPIRED_FORM, _edit_url, _show_error

ROOMS, ADD_ONS = "rooms", "add-ons"


def _back(retreat_id: int, anchor: str):
    return redirect(_edit_url(retreat_id, anchor), code=303)


def _run(retreat_id: int, anchor: str, service, success: str, **options):
    """Run a one-button service, flash what happened, and come back to the listing."""
    try:
        service(retreat_id=retreat_id, actor_id=current_user.id, **options)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(success, "success")
    return _back(retreat_id, anchor)


def _visibility(retreat_id: int, anchor: str, service, name: str, **options):
    """Hide something from new bookings, or offer it again, as the button said."""
    form = VisibilityForm()
    if not form.validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return _back(retreat_id, anchor)
    success = (
        f"“{name}” is hidden: new bookings cannot choose it, and the bookings that have it keep it."
        if form.hide
        else f"“{name}” is offered again."
    )
    return _run(retreat_id, anchor, service, success, hidden=form.hide, **options)


def _delete(retreat_id: int, anchor: str, service, name: str, **options):
    if not ActionForm().validate_on_submit():
        flash(EXPIRED_FORM, "error")
        return _back(retreat_id, anchor)
    return _run(retreat_id, anchor, service, f"“{name}” deleted.", **options)


# ---------------------------------------------------------------------------- room types


def _room_type_page(form, retreat, room_type=None, status: int = 200):
    template = "organizer/room_type_form.html"
    return render_template(template, form=form, retreat=retreat, room_type=room_type), status


@blueprint.route("/retreats/<int:retreat_id>/rooms/new", methods=["GET", "POST"])
def new_room_type(retreat_id: int):
    """Add a room type (private or shared rooms, priced per person or per room)."""
    retreat = retreat_for_organizer(retreat_id)
    form = RoomTypeForm(currency=retreat.currency)
    if not form.validate_on_submit():
        return _room_type_page(form, retreat, status=422 if form.is_submitted() else 200)
    try:
        room_types.create_room_type(
            retreat_id=retreat.id, actor_id=current_user.id, details=form.details()
        )
    except DomainError as error:
        _show_error(form, error)
        return _room_type_page(form, retreat, status=error.status_code)
    flash(f"Room type “{form.name.data}” added.", "success")
    return _back(retreat.id, ROOMS)


@blueprint.route(
    "/retreats/<int:retreat_id>/rooms/<int:room_type_id>/edit", methods=["GET", "POST"]
)
def edit_room_type(retreat_id: int, room_type_id: int):
    """Change a room type's name, rooms, beds or price."""
    retreat = retreat_for_organizer(retreat_id)
    room_type = room_type_for_organizer(retreat, room_type_id)
    form = RoomTypeForm(currency=retreat.currency)
    if not form.is_submitted():
        form.fill_from(room_type)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _room_type_page(form, retreat, room_type, status=status)
    try:
        room_types.update_room_type(
            retreat_id=retreat.id,
            room_type_id=room_type.id,
            actor_id=current_user.id,
            details=form.details(),
        )
    except DomainError as error:
        _show_error(form, error)
        return _room_type_page(form, retreat, room_type, status=error.status_code)
    flash(f"Room type “{form.name.data}” saved.", "success")
    return _back(retreat.id, ROOMS)


@blueprint.post("/retreats/<int:retreat_id>/rooms/<int:room_type_id>/visibility")
def room_type_visibility(retreat_id: int, room_type_id: int):
    """Hide a room type from new bookings, or offer it again."""
    retreat = retreat_for_organizer(retreat_id)
    room_type = room_type_for_organizer(retreat, room_type_id)
    return _visibility(
        retreat.id,
        ROOMS,
        room_types.set_room_type_hidden,
        room_type.name,
        room_type_id=room_type.id,
    )


@blueprint.post("/retreats/<int:retreat_id>/rooms/<int:room_type_id>/delete")
def delete_room_type(retreat_id: int, room_type_id: int):
    """Delete a room type nobody has booked."""
    retreat = retreat_for_organizer(retreat_id)
    room_type = room_type_for_organizer(retreat, room_type_id)
    return _delete(
        retreat.id,
        ROOMS,
        room_types.delete_room_type,
        room_type.name,
        room_type_id=room_type.id,
    )


# ---------------------------------------------------------------------------- add-ons


def _add_on_page(form, retreat, add_on=None, status: int = 200):
    template = "organizer/add_on_form.html"
    return render_template(template, form=form, retreat=retreat, add_on=add_on), status


@blueprint.route("/retreats/<int:retreat_id>/add-ons/new", methods=["GET", "POST"])
def new_add_on(retreat_id: int):
    """Add an add-on (per booking or per person, optionally limited or only with some tickets
    or rooms)."""
    retreat = retreat_for_organizer(retreat_id)
    form = AddOnForm(retreat=retreat)
    if not form.validate_on_submit():
        return _add_on_page(form, retreat, status=422 if form.is_submitted() else 200)
    try:
        add_ons.create_add_on(
            retreat_id=retreat.id, actor_id=current_user.id, details=form.details()
        )
    except DomainError as error:
        _show_error(form, error)
        return _add_on_page(form, retreat, status=error.status_code)
    flash(f"Add-on “{form.name.data}” added.", "success")
    return _back(retreat.id, ADD_ONS)


@blueprint.route("/retreats/<int:retreat_id>/add-ons/<int:add_on_id>/edit", methods=["GET", "POST"])
def edit_add_on(retreat_id: int, add_on_id: int):
    """Change an add-on's name, price, limit or what it comes with."""
    retreat = retreat_for_organizer(retreat_id)
    add_on = add_on_for_organizer(retreat, add_on_id)
    form = AddOnForm(retreat=retreat)
    if not form.is_submitted():
        form.fill_from(add_on)
    if not form.validate_on_submit():
        return _add_on_page(form, retreat, add_on, status=422 if form.is_submitted() else 200)
    try:
        add_ons.update_add_on(
            retreat_id=retreat.id,
            add_on_id=add_on.id,
            actor_id=current_user.id,
            details=form.details(),
        )
    except DomainError as error:
        _show_error(form, error)
        return _add_on_page(form, retreat, add_on, status=error.status_code)
    flash(f"Add-on “{form.name.data}” saved.", "success")
    return _back(retreat.id, ADD_ONS)


@blueprint.post("/retreats/<int:retreat_id>/add-ons/<int:add_on_id>/visibility")
def add_on_visibility(retreat_id: int, add_on_id: int):
    """Hide an add-on from new bookings, or offer it again."""
    retreat = retreat_for_organizer(retreat_id)
    add_on = add_on_for_organizer(retreat, add_on_id)
    return _visibility(
        retreat.id, ADD_ONS, add_ons.set_add_on_hidden, add_on.name, add_on_id=add_on.id
    )


@blueprint.post("/retreats/<int:retreat_id>/add-ons/<int:add_on_id>/delete")
def delete_add_on(retreat_id: int, add_on_id: int):
    """Delete an add-on nobody has booked."""
    retreat = retreat_for_organizer(retreat_id)
    add_on = add_on_for_organizer(retreat, add_on_id)
    return _delete(retreat.id, ADD_ONS, add_ons.delete_add_on, add_on.name, add_on_id=add_on.id)
