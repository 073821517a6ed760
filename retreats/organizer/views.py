"""The organizer dashboard and a retreat's audit log. The other organizer pages live in
account_views.py, listing_views.py and attendee_views.py, all on the one blueprint."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..database import utcnow
from .access import retreat_for_organizer
from .audit import audit_trail
from .blueprint import blueprint
from .dashboard import retreat_summaries


@blueprint.get("/")
def dashboard():
    """The organizer's retreats, upcoming first, with how full each one is."""
    summaries = retreat_summaries(current_user, now=utcnow())
    return render_template("organizer/dashboard.html", summaries=summaries)


@blueprint.get("/retreats/<int:retreat_id>/audit")
def audit_log(retreat_id: int):
    """Who changed this retreat and its bookings, and who saw or exported private answers."""
    retreat = retreat_for_organizer(retreat_id)
    return render_template("organizer/audit.html", retreat=retreat, entries=audit_trail(retreat.id))


# The other pages register their routes on the same blueprint when imported.
from . import account_views, attendee_views, email_views, listing_views  # noqa: E402, F401
