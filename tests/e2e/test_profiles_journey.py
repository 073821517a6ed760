"""Profiles, facilitators, venues and the widget in a real browser: the organizer writes their
profile, adds a facilitator and a venue and names them on a retreat; the public sees them on the
retreat page and the organizer's page; a plain HTML page on another port embeds the widget, and
its Book button opens the booking form in a new tab, outside the frame."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.organizer import sign_in
from tests.factories import ADA, paid_booking


def png_file(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = folder / name
    output = io.BytesIO()
    Image.new("RGB", (480, 360), colour).save(output, format="PNG")
    path.write_bytes(output.getvalue())
    return path


def test_the_organizer_presents_themself_their_facilitator_and_venue(
    page, audit, make_retreat, organizer, tmp_path
):
    retreat = make_retreat(title="Sintra Couples Weekend")
    sign_in(page, audit)

    page.get_by_role("link", name="Profile", exact=True).click()
    audit.check("profile")
    page.get_by_label("About you").fill("We hold **weekends** for couples by the sea.")
    page.get_by_label("Photo").set_input_files(png_file(tmp_path, "me.png", (200, 120, 90)))
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("The widget as a frame (HTML)")).to_contain_text("/widget")
    audit.check("profile-saved")

    page.get_by_role("link", name="Facilitators", exact=True).click()
    audit.check("no-facilitators-yet")
    page.get_by_role("link", name="Add a facilitator").click()
    audit.check("new-facilitator")
    page.get_by_label("Name").fill("Mira Okafor")
    page.get_by_label("Short bio").fill("Couples therapist, twenty years of retreats.")
    not_a_picture = tmp_path / "mira.png"
    not_a_picture.write_text("not a picture at all")
    page.get_by_label("Photo").set_input_files(not_a_picture)
    page.get_by_role("button", name="Save").click()  # told beside the field, the rest kept
    expect(page.locator("#photo-error")).to_contain_text("That file is not a picture")
    expect(page.get_by_label("Name")).to_have_value("Mira Okafor")
    audit.check("facilitator-photo-refused")
    page.get_by_label("Photo").set_input_files(png_file(tmp_path, "mira.png", (90, 120, 200)))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Mira Okafor saved.")).to_be_visible()
    audit.check("facilitators")
    page.get_by_role("link", name="Edit Mira Okafor").click()
    audit.check("edit-facilitator")

    page.get_by_role("link", name="Venues", exact=True).click()
    audit.check("no-venues-yet")
    page.get_by_role("link", name="Add a venue").click()
    audit.check("new-venue")
    page.get_by_label("Name").fill("Quinta das Oliveiras")
    page.get_by_label("Address").fill("Estrada do Vale 12, 2710 Sintra")
    page.get_by_label("Description").fill("Olive trees and a **sea view**.")
    page.get_by_label("Add photos").set_input_files(
        [png_file(tmp_path, "a.png", (10, 120, 90)), png_file(tmp_path, "b.png", (90, 10, 120))]
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Quinta das Oliveiras saved.")).to_be_visible()
    audit.check("venues")
    page.get_by_role("link", name="Edit Quinta das Oliveiras").click()
    audit.check("edit-venue")

    page.goto(f"/organizer/retreats/{retreat.id}/edit")
    audit.check("listing", screenshot=False)
    page.get_by_role("link", name="Facilitators and venue").click()
    audit.check("no-hosts-chosen-yet")
    page.get_by_role("checkbox", name="Mira Okafor").check()
    page.get_by_label("Venue").select_option(label="Quinta das Oliveiras")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Facilitators and venue saved.")).to_be_visible()
    audit.check("retreat-hosts")

    page.goto(f"/retreats/{retreat.slug}")
    expect(page.get_by_role("heading", name="Mira Okafor")).to_be_visible()
    expect(page.get_by_role("heading", name="Quinta das Oliveiras")).to_be_visible()
    audit.check("retreat-page-with-hosts")
    page.get_by_role("link", name="Test Host").click()
    expect(page.get_by_role("heading", level=1, name="Test Host")).to_be_visible()
    expect(page.locator(".profile-about strong")).to_have_text("weekends")
    expect(page.get_by_role("link", name="Sintra Couples Weekend")).to_be_visible()
    audit.check("organizer-page")


def test_the_widget_on_another_site_opens_the_booking_in_a_new_tab(
    page, audit, live_site, make_retreat, organizer, other_site
):
    retreat = make_retreat(title="Sintra Couples Weekend", capacity=8)
    paid_booking(retreat, ADA)
    make_retreat(title="Porto Silent Day")
    page.goto(f"/o/{organizer.slug}/widget")
    expect(page.get_by_text("7 places left")).to_be_visible()
    audit.check("widget")
    page.goto("/o/nobody-here/widget")
    audit.check("empty-widget")

    site_url, folder = other_site
    widget_url = f"{live_site.url}/o/{organizer.slug}/widget"
    (folder / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Our retreats</title>"
        "</head><body><h1>Our own site</h1>"
        f"<iframe id='widget' src='{widget_url}' title='Our retreats' width='600' height='600'>"
        "</iframe></body></html>",
        encoding="utf-8",
    )
    page.goto(f"{site_url}/index.html")
    widget = page.frame_locator("#widget")
    expect(widget.get_by_role("heading", name="Sintra Couples Weekend")).to_be_visible()
    expect(widget.get_by_text("7 places left")).to_be_visible()
    expect(widget.get_by_role("heading", name="Porto Silent Day")).to_be_visible()

    with page.context.expect_page() as new_tab:
        widget.get_by_role("link", name=re.compile("^Book Sintra Couples Weekend")).click()
    booking = new_tab.value
    booking.wait_for_load_state("load")
    assert booking.url == f"{live_site.url}/retreats/{retreat.slug}/book"
    expect(booking.get_by_role("button", name="Continue to payment")).to_be_visible()
    # The frame and the page around it stayed where they were: nothing booked inside it.
    assert page.url == f"{site_url}/index.html"
    expect(widget.get_by_role("heading", name="Sintra Couples Weekend")).to_be_visible()
    booking.close()


def test_another_site_cannot_frame_the_organizer_page(
    page, live_site, organizer, make_retreat, other_site
):
    site_url, folder = other_site
    (folder / "framed.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Framed</title>"
        f"</head><body><iframe src='{live_site.url}/o/{organizer.slug}' title='x'></iframe>"
        "</body></html>",
        encoding="utf-8",
    )
    # Its own tab, whose console the test reads: the page fixture fails on any CSP refusal.
    tab = page.context.new_page()
    with tab.expect_console_message(lambda message: "frame-ancestors" in message.text):
        tab.goto(f"{site_url}/framed.html")
    tab.close()
