"""The catalog: upcoming retreats with filters, and one retreat's page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..database import utcnow
from .models import Audience, Focus, RetreatKind, RetreatStatus
from .queries import CatalogFilters, published_listing, upcoming_listings, upcoming_months

blueprint = Blueprint("catalog", __name__)


@blueprint.get("/")
def index():
    """Upcoming published retreats and workshops, soonest first, filtered by the query string."""
    filters = CatalogFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    listings, has_next = upcoming_listings(filters, page=page)
    return render_template(
        "catalog/index.html",
        listings=listings,
        filters=filters,
        page=page,
        has_next=has_next,
        months=upcoming_months(),
        kinds=list(RetreatKind),
        focuses=list(Focus),
        audiences=list(Audience),
    )


@blueprint.get("/retreats/<slug>")
def detail(slug: str):
    """One retreat: description, dates, tickets, seats left, policy and the Book button."""
    listing = published_listing(slug)
    if listing is None:
        abort(404)
    retreat = listing.retreat
    now = utcnow()
    return render_template(
        "catalog/detail.html",
        listing=listing,
        retreat=retreat,
        has_started=retreat.starts_at <= now,
        is_cancelled=retreat.status == RetreatStatus.CANCELLED,
        tickets_on_sale=[ticket for ticket in retreat.ticket_types if ticket.on_sale_at(now)],
    )
