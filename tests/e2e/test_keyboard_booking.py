"""Booking with the keyboard alone: Tab and Shift+Tab to move, typing, Space to choose and tick,
Enter to follow and submit; no mouse. Every stop on the way shows where the focus is."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from retreats.booking.models import Booking, BookingStatus
from tests.factories import starting_questions
from tests.journey import PAYING_CARD

MOST_TAB_STOPS = 80

IS_FOCUSED = "element => element === document.activeElement"
# A focus indicator a sighted keyboard user can see: an outline, or a box shadow used as one.
FOCUS_SHOWS = """element => {
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return element.matches(':focus-visible') && (outline || style.boxShadow !== 'none');
}"""


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab (or Shift+Tab when the target lies behind the focus) until it has the focus."""
    target.wait_for()
    key = "Shift+Tab" if _lies_behind_focus(target) else "Tab"
    for _ in range(MOST_TAB_STOPS):
        if target.evaluate(IS_FOCUSED):
            break
        page.keyboard.press(key)
    else:
        raise AssertionError(f"{key} never reached {target}")
    assert target.evaluate(FOCUS_SHOWS), f"the focus on {target} is not visible"


def _lies_behind_focus(target: Locator) -> bool:
    return target.evaluate(
        "element => document.activeElement !== document.body && !!("
        "document.activeElement.compareDocumentPosition(element)"
        " & Node.DOCUMENT_POSITION_PRECEDING)"
    )


def type_into(page: Page, field: Locator, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


def test_booking_with_the_keyboard_alone(page, audit, live_site, make_retreat, db):
    retreat = make_retreat(title="Breathing Together Workshop")
    starting_questions(retreat)  # the emergency contact is one of them
    page.goto(f"/retreats/{retreat.slug}")
    audit.check("retreat-page")

    tab_to(page, page.get_by_role("link", name="Book your place"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Book your place")).to_be_visible()
    audit.check("booking-form")

    about_you = page.get_by_role("group", name="About you", exact=True)
    type_into(page, about_you.get_by_label("Full name"), "Ada Lovelace")
    individual = page.get_by_role("radio", name="Individual")
    tab_to(page, individual)  # back up to the ticket choice, which comes first
    page.keyboard.press("Space")
    expect(individual).to_be_checked()
    type_into(page, about_you.get_by_label("Email"), "ada@example.org")
    type_into(page, about_you.get_by_label("Emergency contact"), "Charles, +44 20 7946 0000")
    consent = page.get_by_role("checkbox", name="I have read the code of conduct", exact=False)
    tab_to(page, consent)
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Continue to payment"))
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_site.stripe_url}/checkout/pay/cs_*")
    type_into(page, page.get_by_label("Card number"), PAYING_CARD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    audit.check("confirmed")
    booking = db.session.query(Booking).one()
    assert booking.status == BookingStatus.CONFIRMED
    assert [person.name for person in booking.attendees] == ["Ada Lovelace"]
