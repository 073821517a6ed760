"""The blank booking form, kept: what every visitor first sees at /retreats/<slug>/book.

The catalog serves it (GET), as it does the retreat page, since keeping pages is a layer above
booking; posting it is the booking package's (booking/views.py `book`, the same URL).

Under a rush most requests are this GET, and the blank form is the same for every visitor but
for two hidden fields: the CSRF token and the submission key (forms.visitor_fields). So, like the
retreat page's content (caching/fragments.py), it is rendered once per state of the public
pages and kept per worker, with a slot where those fields go; each visitor's page is the layout
around the kept form, with their own hidden fields put into the slot. For a visitor without a
session yet (most, opening the form), nothing in the layout is theirs either: the whole page
is kept, the same way.

- **As fresh as the retreat page.** It is kept under the same state: a booking, a hold or a
  waitlist offer running out, an edit of the retreat, its tickets, rooms, add-ons or questions
  shows on it within PUBLIC_PAGE_RECHECK_MS, and a sale window opening or closing at once. The
  seats, rooms and add-ons left are what the retreat page shows; the hold counts them again
  under the retreat's lock and refuses, beside its field, what was taken meanwhile.
- **Only the blank form.** A form posted back (its messages, its choices, their total) and a
  waitlist offer's form (the person's name, email and room) are rendered for their visitor
  alone (blueprint.booking_form_response), never kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import abort, render_template
from flask_login import current_user
from markupsafe import Markup

from retreats.booking.availability import published_listing
from retreats.booking.blueprint import new_booking_form, price_summary
from retreats.booking.capacity import tickets_for_sale
from retreats.booking.forms import new_submission_key, visitor_fields
from retreats.booking.payment_plan import balance_due_at
from retreats.caching.fragments import Fragment, kept_fragment, render_page_blocks
from retreats.caching.public_pages import keeps_pages_for_this_request
from retreats.database import utcnow
from retreats.listings.models import DepositRule, Retreat

# Where the kept form has each visitor's hidden fields put in; a comment, so that no text a
# retreat's organizer writes (escaped) can ever look like it.
VISITOR_FIELDS_SLOT = Markup("<!-- the visitor's hidden fields -->")


def blank_booking_form(slug: str):
    """The blank booking form of a retreat, kept for everyone, with this visitor's own hidden
    fields; 404 when the retreat is not open for booking."""
    form = kept_fragment(("blank booking form", slug), lambda: _blank_form_for_everyone(slug))
    if form is None:
        abort(404)
    # First the visitor's own fields: the CSRF token starts their session. Then Flask-Login
    # looks at that session (a layout does when it reads current_user; a kept page reads
    # nothing, so it is asked here) and marks it not fresh (session protection) in this same
    # response, so the visitor's next page need not write their cookie again.
    fields = visitor_fields(new_submission_key())
    current_user.is_authenticated  # noqa: B018
    if keeps_pages_for_this_request():  # nothing in the layout is theirs: the page is kept too
        page = kept_fragment(("blank booking form page", slug), lambda: _page_around(form))
    else:
        page = _page_around(form)
    return page.html.replace(VISITOR_FIELDS_SLOT, fields)


def _page_around(form: Fragment) -> Fragment:
    """The layout around the kept form (this visitor's: flash messages and all), its slot for
    the hidden fields still in it."""
    html = render_template(
        "booking/blank_form_page.html", title=form.title, head=form.head, content=form.html
    )
    # The template's own output, autoescaped as every page's is: neither S704 nor B704 applies.
    return Fragment(html=Markup(html), changes_at=form.changes_at)  # noqa: S704  # nosec B704


def _blank_form_for_everyone(slug: str) -> Fragment | None:
    """booking/book.html's blocks for a blank form, with nothing of any visitor's in them (no
    CSRF token, no submission key: the slot instead); None: not open for booking."""
    now = utcnow()
    listing = published_listing(slug, now=now)
    if listing is None or not listing.retreat.is_open_for_booking(now):
        return None
    retreat = listing.retreat
    tickets = tickets_for_sale(retreat, now=now)
    form = new_booking_form(retreat, tickets, meta={"csrf": False})
    form.prepare()
    form.offer_stay(listing.stay)
    summary = price_summary(form, retreat, tickets) if form.offers_stay else None
    fragment = render_page_blocks(
        "booking/book.html",
        form=form,
        listing=listing,
        retreat=retreat,
        offer=None,
        tickets=tickets,
        summary=summary,
        visitor_fields=VISITOR_FIELDS_SLOT,
    )
    return replace(fragment, changes_at=_deposit_ends_at(retreat, now))


def _deposit_ends_at(retreat: Retreat, now: datetime) -> datetime | None:
    """When the form's total stops offering a deposit (payment_plan.py), if that is ahead: from
    then on it asks for everything, a change in time the public pages' state does not know."""
    if retreat.deposit_rule == DepositRule.NONE:
        return None
    due = balance_due_at(retreat)
    return due if due > now else None
