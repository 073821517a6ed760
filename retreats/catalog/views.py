"""The catalog: upcoming retreats with filters, and one retreat's page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, send_from_directory

from retreats.base.stored_files import COVER_NAME, COVERS, cover_size, upload_folder
from retreats.booking.availability import published_listing
from retreats.booking.quotes import from_prices
from retreats.caching.fragments import Fragment, kept_fragment, render_fragment
from retreats.caching.public_pages import cached_public_page
from retreats.catalog.booking_form import blank_booking_form
from retreats.catalog.cards import listing_card
from retreats.catalog.queries import LAST_PAGE, CatalogFilters, catalog_page
from retreats.database import utcnow
from retreats.listings.hosts import load_hosts
from retreats.listings.models import Audience, Focus, RetreatKind, RetreatStatus

blueprint = Blueprint("catalog", __name__)
# A cover's name is a hash of its bytes: the same URL always means the same picture.
COVER_MAX_AGE = 365 * 24 * 3600

blueprint.add_app_template_global(cover_size, "cover_size")
blueprint.add_app_template_global(listing_card, "listing_card")


@blueprint.get("/")
def index():
    """Upcoming published retreats and workshops, soonest first, filtered by the query string."""
    filters = CatalogFilters.from_args(request.args)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), LAST_PAGE)
    if filters.search:
        # Any text makes its own page: not kept whole, where it would push out the pages
        # everyone sees; its content is kept among the recent searches, under its normalised
        # text, so it never serves one search's listings for another.
        return _catalog_page(filters, page)
    return _kept_catalog_page(filters, page)


@cached_public_page
def _kept_catalog_page(filters: CatalogFilters, page: int):
    """The catalog without a search: a few pages everyone sees, kept whole."""
    return _catalog_page(filters, page)


def _catalog_page(filters: CatalogFilters, page: int):
    """The layout around the catalog's content, kept per filters and page."""
    shared = kept_fragment(
        ("catalog", filters, page),
        lambda: _catalog_content(filters, page),
        of_a_search=bool(filters.search),
    )
    return render_template("catalog/_layout.html", shared=shared)


def _catalog_content(filters: CatalogFilters, page: int) -> Fragment:
    """The filters, cards and pagination: the same for every visitor, kept per state."""
    catalog = catalog_page(filters, page=page)
    return render_fragment(
        "catalog/index.html",
        listings=catalog.listings,
        filters=catalog.filters,
        page=page,
        has_next=catalog.has_next,
        months=catalog.choices.months,
        countries=catalog.choices.countries,
        kinds=list(RetreatKind),
        focuses=list(Focus),
        audiences=list(Audience),
    )


@blueprint.get("/retreats/<slug>")
@cached_public_page
def detail(slug: str):
    """One retreat: description, dates, tickets, seats left, policy and the Book button."""
    shared = kept_fragment(("retreat", slug), lambda: _retreat_content(slug))
    if shared is None:
        abort(404)
    return render_template("catalog/_layout.html", shared=shared)


def _retreat_content(slug: str) -> Fragment | None:
    """The retreat's description, tickets, seats left, and rooms and add-ons with what is left
    of them, kept per state; None: no such page."""
    listing = published_listing(slug)
    if listing is None:
        return None
    retreat = listing.retreat
    load_hosts(retreat)  # its organizer, facilitators and venue: one statement
    now = utcnow()
    tickets_on_sale = [ticket for ticket in retreat.ticket_types if ticket.on_sale_at(now)]
    return render_fragment(
        "catalog/detail.html",
        listing=listing,
        retreat=retreat,
        has_started=retreat.starts_at <= now,
        is_cancelled=retreat.status == RetreatStatus.CANCELLED,
        tickets_on_sale=tickets_on_sale,
        from_prices=from_prices(retreat, listing.stay, tickets_on_sale),
    )


@blueprint.get("/retreats/<slug>/book")
def booking_form(slug: str):
    """A retreat's blank booking form, kept like its page but for each visitor's hidden fields
    (booking_form.py). A POST to the same URL is the booking package's (booking.book)."""
    return blank_booking_form(slug)


@blueprint.get("/media/covers/<name>")
def cover_image(name: str):
    """A retreat's cover image, cached for a year (a changed picture gets a new name)."""
    if not COVER_NAME.match(name):
        abort(404)
    response = send_from_directory(upload_folder(COVERS), name, max_age=COVER_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
