"""The retreat's own questions in a real browser (issue 17): the organizer adds a private health
question asked of each person and a consent; a couple books, both answering the health question,
first forgetting the consent; they pay; the organizer sees the private answers only after
asking for them, and the audit log says they were shown."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from retreats.booking.models import Answer, Booking, BookingStatus
from tests.e2e.audit import PageAudit
from tests.e2e.organizer import sign_in
from tests.e2e.visitor import fill_person, pay_on_hosted_page
from tests.journey import PAYING_CARD

HEALTH = "Anything the facilitators should know about your health?"
PHOTOS = "Photos during the retreat"
PHOTOS_TEXT = "Group photos may be taken during the retreat. Faces are shown only with consent."
ADA_HEALTH = "Asthma; my inhaler is in my bag"
BEA_HEALTH = "Knee surgery in May: no kneeling"
PARTNER = "About your partner (couple tickets only)"


def add_health_question(page: Page, audit: PageAudit) -> None:
    page.get_by_role("link", name="Add a question").click()
    expect(page.get_by_role("heading", name="New question")).to_be_visible()
    audit.check("new-question-form")
    page.get_by_role("textbox", name=re.compile("^Question")).fill(HEALTH)
    page.get_by_label("Kind of answer").select_option("long_text")
    page.get_by_role("radio", name=re.compile("^Of each person")).check()
    page.get_by_role("radio", name=re.compile("^Private")).check()
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text(f"Question “{HEALTH}” added.")).to_be_visible()
    audit.check("question-added")


def add_photo_consent(page: Page, audit: PageAudit) -> None:
    page.get_by_role("link", name="Add a question").click()
    expect(page.get_by_role("heading", name="New question")).to_be_visible()
    audit.check("new-consent-form", screenshot=False)
    page.get_by_role("textbox", name=re.compile("^Question")).fill(PHOTOS)
    page.get_by_label("Kind of answer").select_option("consent")
    page.get_by_label("Text to accept").fill(PHOTOS_TEXT)
    page.get_by_role("checkbox", name=re.compile("People must answer it")).check()
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text(f"Question “{PHOTOS}” added.")).to_be_visible()
    audit.check("consent-added", screenshot=False)


def book_as_a_couple_answering_the_questions(page: Page, audit: PageAudit, retreat) -> None:
    page.goto(f"/retreats/{retreat.slug}/book")
    page.get_by_role("radio", name=re.compile("Couple")).check()
    you = page.get_by_role("group", name="About you", exact=True)
    partner = page.get_by_role("group", name=PARTNER, exact=True)
    fill_person(page, "About you", name="Ada Lovelace", email="ada@example.org")
    fill_person(page, PARTNER, name="Bea Lovelace", email="bea@example.org")
    expect(you.get_by_text("Private: only the organizers of this retreat see this")).to_be_visible()
    you.get_by_role("textbox", name=HEALTH, exact=True).fill(ADA_HEALTH)
    partner.get_by_role("textbox", name=f"{HEALTH} (your partner)").fill(BEA_HEALTH)
    questions = page.get_by_role("group", name="A few questions from Test Host")
    expect(questions.get_by_text(PHOTOS_TEXT)).to_be_visible()
    page.get_by_role("checkbox", name=re.compile("code of conduct")).check()
    audit.check("booking-form-with-questions")

    # The consent forgotten: the form comes back with the message beside it, answers kept.
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("alert")).to_have_text("Please check the fields marked below.")
    consent = page.get_by_role("group", name=re.compile(PHOTOS)).get_by_role("checkbox")
    expect(consent).to_have_attribute("aria-invalid", "true")
    expect(consent).to_have_accessible_description(
        re.compile("Please read and accept this to book.")
    )
    expect(you.get_by_role("textbox", name=HEALTH, exact=True)).to_have_value(ADA_HEALTH)
    expect(partner.get_by_role("textbox", name=f"{HEALTH} (your partner)")).to_have_value(
        BEA_HEALTH
    )
    audit.check("booking-form-consent-missing")
    consent.check()
    page.get_by_role("button", name="Continue to payment").click()


def test_a_couple_answers_the_organizers_questions_and_private_ones_show_only_when_asked(
    page, audit, live_site, organizer, make_retreat, db
):
    retreat = make_retreat(title="Slow Love Weekend")
    sign_in(page, audit)
    page.goto(f"/organizer/retreats/{retreat.id}/edit")
    expect(page.get_by_role("heading", name="Questions", exact=True)).to_be_visible()
    audit.check("listing-editor", screenshot=False)
    add_health_question(page, audit)
    add_photo_consent(page, audit)
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    expect(page.get_by_role("heading", level=1, name="Organizer sign in")).to_be_visible()
    audit.check("signed-out", screenshot=False)

    book_as_a_couple_answering_the_questions(page, audit, retreat)
    pay_on_hosted_page(page, live_site.stripe_url, PAYING_CARD)
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    # Their own page, behind its secret link, lists what they answered, private answers too.
    expect(page.locator(".your-answers")).to_contain_text(ADA_HEALTH)
    expect(page.locator(".your-answers")).to_contain_text(BEA_HEALTH)
    audit.check("confirmed-with-answers")

    db.session.expire_all()
    booking = db.session.query(Booking).one()
    assert booking.status == BookingStatus.CONFIRMED
    kept = sorted(
        (a.label, a.attendee.name if a.attendee else None, a.shown, a.is_private)
        for a in db.session.query(Answer)
    )
    assert kept == [
        (HEALTH, "Ada Lovelace", ADA_HEALTH, True),
        (HEALTH, "Bea Lovelace", BEA_HEALTH, True),
        (PHOTOS, None, "Accepted", False),
    ]

    # The organizer's attendee list: the private answers only after asking, and that is logged.
    sign_in(page, audit, dashboard_step="dashboard-after-booking")
    page.goto(f"/organizer/retreats/{retreat.id}/attendees")
    table = page.get_by_role("table")
    expect(table.get_by_text("Ada Lovelace", exact=True)).to_be_visible()
    expect(table).not_to_contain_text("Asthma")
    expect(table).not_to_contain_text("Knee surgery")
    audit.check("attendees-private-answers-hidden")
    page.get_by_role("link", name="Show private answers").click()
    expect(table).to_contain_text(ADA_HEALTH)
    expect(table).to_contain_text(BEA_HEALTH)
    audit.check("attendees-private-answers-shown")

    page.get_by_role("link", name="audit log", exact=True).click()
    log = page.get_by_role("table")
    expect(log.get_by_role("row").filter(has_text="answers.viewed")).to_have_count(1)
    expect(log.get_by_role("row").filter(has_text="answers.viewed")).to_contain_text("Test Host")
    audit.check("audit-log-shows-the-viewing")
