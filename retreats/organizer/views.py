"""The organizer dashboard and a retreat's audit log. The other organizer pages live in
accounts/, listings/ and attendees/ (each its views.py; accounts/ also sign_up_views.py;
listings/ also stay_views.py and question_views.py; attendees/ also email_views.py,
rooming_views.py and balance_views.py),
all on the one blueprint: importing this module registers them all."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from retreats.base.audit import audit_trail
from retreats.database import utcnow
from retreats.organizer.access import retreat_for_organizer
from retreats.organizer.accounts import sign_up_views as sign_up_pages  # noqa: F401
from retreats.organizer.accounts import views as account_pages  # noqa: F401  (its routes)
from retreats.organizer.attendees import balance_views as balance_pages  # noqa: F401
from retreats.organizer.attendees import email_views as email_pages  # noqa: F401
from retreats.organizer.attendees import rooming_views as rooming_pages  # noqa: F401
from retreats.organizer.attendees import views as attendee_pages  # noqa: F401
from retreats.organizer.blueprint import blueprint
from retreats.organizer.dashboard import retreat_summaries
from retreats.organizer.discounts import views as discount_pages  # noqa: F401
from retreats.organizer.gift_vouchers import views as gift_voucher_pages  # noqa: F401
from retreats.organizer.hosts import profile_views as profile_pages  # noqa: F401
from retreats.organizer.hosts import views as host_pages  # noqa: F401
from retreats.organizer.listings import question_views as question_pages  # noqa: F401
from retreats.organizer.listings import stay_views as stay_pages  # noqa: F401
from retreats.organizer.listings import views as listing_pages  # noqa: F401


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
