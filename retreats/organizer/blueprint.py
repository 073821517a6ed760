"""The organizer area's blueprint: every route needs a signed-in organizer unless marked."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, request
from flask_login import current_user

from retreats.extensions import login_manager

blueprint = Blueprint("organizer", __name__, url_prefix="/organizer")


def allow_anonymous(view: Callable) -> Callable:
    """Mark a view (sign-in, password reset, invite) as reachable without signing in."""
    view.allows_anonymous = True
    return view


@blueprint.before_request
def require_signed_in_organizer():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "allows_anonymous", False) or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


@blueprint.after_request
def keep_out_of_caches(response):
    # Attendee lists and answers must not sit in a shared or back-button cache.
    response.headers["Cache-Control"] = "no-store"
    return response
