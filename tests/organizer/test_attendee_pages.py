"""The attendee list of a big retreat, a page of bookings at a time: couples never split, the
filter kept from page to page, "page N of M" with Earlier / Later links, back to the same page
after a check-in."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from retreats.booking.models import Attendee
from retreats.organizer.attendees.queries import PAGE_SIZE
from tests.conftest import csrf_token_from, on_both_databases
from tests.organizer.helpers import (
    add_bookings,
    audit_entries_with_action,
    booking_blocks,
    list_page,
)


def page_links(page: str) -> dict[str, dict[str, list[str]]]:
    """The pagination's links by rel ("prev", "next"), each as its parsed query string."""
    nav = re.search(r'<nav class="pagination attendee-pages".*?</nav>', page, flags=re.S)
    if not nav:
        return {}
    links = re.findall(r'<a class="button" href="([^"]+)" rel="(prev|next)">', nav.group(0))
    return {rel: parse_qs(urlsplit(html.unescape(href)).query) for href, rel in links}


@pytest.fixture
def big_retreat(make_retreat, db):
    """A retreat with 250 confirmed bookings (every third a couple), their people's intake
    answered (hopes, private, by everyone): three pages."""
    retreat = make_retreat(capacity=1000)
    references = add_bookings(db, retreat, 250, intake=True)
    return retreat, references


def test_each_page_shows_its_bookings_in_order_with_couples_whole(organizer_client, big_retreat):
    retreat, references = big_retreat

    pages = [list_page(organizer_client, retreat, page=number) for number in (1, 2, 3)]

    shown = [list(booking_blocks(page)) for page in pages]
    assert shown == [references[:100], references[100:200], references[200:]]
    first = booking_blocks(pages[0])
    assert "Guest 0" in first[references[0]] and "Guest 0 Partner" in first[references[0]]
    assert "Partner" not in first[references[1]]
    assert "250 bookings (confirmed), 101–200 on this page." in pages[1]
    assert "<dt>Confirmed bookings</dt><dd>250</dd>" in pages[1]  # figures are for every page


def test_the_pages_say_where_you_are_and_link_to_their_neighbours(organizer_client, big_retreat):
    retreat, _ = big_retreat

    first, middle, last = (list_page(organizer_client, retreat, page=n) for n in (1, 2, 3))

    assert (
        '<nav class="pagination attendee-pages" aria-label="Pages of the attendee list">' in first
    )
    assert '<span aria-current="page">Page 1 of 3</span>' in first
    assert '<span aria-current="page">Page 2 of 3</span>' in middle
    assert '<span aria-current="page">Page 3 of 3</span>' in last
    assert page_links(first) == {"next": {"status": ["confirmed"], "page": ["2"]}}
    assert page_links(middle) == {
        "prev": {"status": ["confirmed"]},  # page 1 is the list's plain address
        "next": {"status": ["confirmed"], "page": ["3"]},
    }
    assert page_links(last) == {"prev": {"status": ["confirmed"], "page": ["2"]}}
    assert ">Earlier bookings</a>" in middle and ">Later bookings</a>" in middle


@on_both_databases  # private answers and their audit
def test_the_filter_and_private_answers_stay_on_from_page_to_page(
    organizer_client, big_retreat, db
):
    retreat, references = big_retreat
    # guest1, guest10-19 and guest100-199 booked: 111 bookings, two pages.
    query = {"status": "all", "q": "guest1", "private": "1"}

    first = list_page(organizer_client, retreat, **query)
    second = list_page(organizer_client, retreat, page=2, **query)

    assert len(booking_blocks(first)) == PAGE_SIZE and len(booking_blocks(second)) == 11
    assert "111 bookings (all bookings, matching “guest1”), 1–100 on this page." in first
    assert page_links(first)["next"] == {
        "status": ["all"],
        "q": ["guest1"],
        "private": ["1"],
        "page": ["2"],
    }
    assert "Hopes of guest 199" in second  # private answers still shown
    details = [entry.detail for entry in audit_entries_with_action(db, "answers.viewed")]
    assert details == [
        'list: status=all, search="guest1", page 1',
        'list: status=all, search="guest1", page 2',
    ]
    hide = re.search(r'href="([^"]+)">Hide private answers', second).group(1)
    assert parse_qs(urlsplit(html.unescape(hide)).query)["page"] == ["2"]


@on_both_databases  # private answers and their audit
def test_showing_private_answers_keeps_the_filter_and_the_page(organizer_client, big_retreat):
    retreat, _references = big_retreat
    second = list_page(organizer_client, retreat, page=2, status="all", q="guest1")

    show = re.search(r'href="([^"]+)">Show private answers', second).group(1)
    assert parse_qs(urlsplit(html.unescape(show)).query) == {
        "status": ["all"],
        "q": ["guest1"],
        "page": ["2"],
        "private": ["1"],
    }
    assert page_links(second) == {"prev": {"status": ["all"], "q": ["guest1"]}}


def test_a_short_list_has_no_page_links(organizer_client, make_retreat, db):
    retreat = make_retreat(capacity=1000)
    add_bookings(db, retreat, PAGE_SIZE)

    page = list_page(organizer_client, retreat)

    assert len(booking_blocks(page)) == PAGE_SIZE
    assert "attendee-pages" not in page and "on this page" not in page


def test_a_page_past_the_end_shows_the_last_page(organizer_client, big_retreat):
    retreat, references = big_retreat

    page = list_page(organizer_client, retreat, page=7)

    assert list(booking_blocks(page)) == references[200:]
    assert "Page 3 of 3" in page


@pytest.mark.parametrize("number", ["0", "-1", "two", "1.5", str(10**6), str(2**63)])
def test_a_page_number_the_list_cannot_have_is_a_400(organizer_client, make_retreat, number):
    retreat = make_retreat()
    response = organizer_client.get(
        f"/organizer/retreats/{retreat.id}/attendees", query_string={"page": number}
    )
    assert response.status_code == 400


def test_checking_someone_in_on_a_later_page_comes_back_to_that_page(
    organizer_client, big_retreat, db
):
    retreat, references = big_retreat
    page = list_page(organizer_client, retreat, page=2)
    [attendee_id] = re.findall(r'id="attendee-(\d+)"', page)[:1]
    form = page[page.index(f"/attendees/{attendee_id}/check-in") :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="page" value="2">' in form

    response = organizer_client.post(
        f"/organizer/retreats/{retreat.id}/attendees/{attendee_id}/check-in",
        data={
            "csrf_token": csrf_token_from(page),
            "checked_in": "1",
            "status": "confirmed",
            "q": "",
            "page": "2",
        },
    )

    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert parse_qs(location.query) == {"status": ["confirmed"], "page": ["2"]}
    assert location.fragment == f"attendee-{attendee_id}"
    db.session.expire_all()
    assert db.session.get(Attendee, int(attendee_id)).checked_in_at is not None
