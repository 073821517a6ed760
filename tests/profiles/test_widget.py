"""The booking widget /o/<slug>/widget: the organizer's upcoming retreats with seats left and a
Book link that opens this site in a new tab; the only page any site may frame."""

from __future__ import annotations

import re

from tests.factories import ADA, BEA, paid_booking

BOOK_LINK = re.compile(r'<a class="widget-button" href="([^"]+)" target="_blank" rel="noopener">')


def widget_of(client, slug: str):
    response = client.get(f"/o/{slug}/widget")
    assert response.status_code == 200, response.status_code
    return response, response.get_data(as_text=True)


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    [directive] = [part.strip() for part in policy.split(";") if "frame-ancestors" in part]
    return directive


def test_the_widget_lists_retreats_with_seats_left_and_a_book_link_opening_a_new_tab(
    app, client, organizer, make_retreat
):
    retreat = make_retreat(title="Sea and Stillness", capacity=6)
    paid_booking(retreat, ADA, BEA)
    full = make_retreat(title="Full House", capacity=1)
    paid_booking(full, ADA)

    _, page = widget_of(client, organizer.slug)

    assert "Sea and Stillness" in page and "4 places left" in page
    assert "Full House" in page and "Sold out" in page
    links = BOOK_LINK.findall(page)
    base = app.config["PUBLIC_BASE_URL"]
    assert links == [
        f"{base}/retreats/{retreat.slug}/book",
        f"{base}/retreats/{full.slug}/waitlist",
    ]
    assert "<form" not in page  # nothing is done inside the frame
    assert 'class="site-header"' not in page  # no site chrome


def test_the_widgets_links_come_from_the_sites_address_never_from_the_host_header(
    app, client, organizer, make_retreat
):
    """Framed on other sites, its links must lead here whatever Host a request claimed."""
    retreat = make_retreat()
    page = client.get(f"/o/{organizer.slug}/widget", headers={"Host": "evil.example"}).get_data(
        as_text=True
    )
    assert BOOK_LINK.findall(page) == [
        f"{app.config['PUBLIC_BASE_URL']}/retreats/{retreat.slug}/book"
    ]
    assert "evil.example" not in page


def test_only_the_widget_may_be_framed(client, organizer, make_retreat):
    retreat = make_retreat()
    response, _ = widget_of(client, organizer.slug)
    assert frame_ancestors(response) == "frame-ancestors *"
    for path in ("/", f"/retreats/{retreat.slug}", f"/o/{organizer.slug}", "/organizer/login"):
        other = client.get(path)
        assert other.status_code == 200, path
        assert frame_ancestors(other) == "frame-ancestors 'none'", path


def test_an_unknown_organizer_gets_an_empty_widget(client, make_retreat):
    make_retreat(title="Not For Strangers")
    response, page = widget_of(client, "nobody-here")
    assert "No upcoming retreats just now." in page and "Not For Strangers" not in page
    assert frame_ancestors(response) == "frame-ancestors *"


def test_the_widget_script_adds_the_frame_from_its_own_site(client):
    response = client.get("/static/js/widget.js")
    script = response.get_data(as_text=True)
    assert response.status_code == 200 and 'createElement("iframe")' in script
    assert "widget.origin !== new URL(script.src).origin" in script
