"""The booking form asks the retreat's own questions (issue 17): each kind answered through the
real form and kept, per person for a couple, private answers encrypted; a bad answer sends the
form back with the message beside its question and nothing written; fields of questions the
booking is not asked (another retreat's, another ticket's, a partner's on a single ticket) are
never read; the booking's own page lists what was answered, under the label answered."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from retreats.booking.blueprint import manage_page_url
from retreats.booking.capacity import seats_taken
from retreats.booking.models import Answer, Attendee, Booking, WaitlistEntry, WaitlistStatus
from retreats.booking.tokens import waitlist_offer_token
from retreats.listings.questions import AskedOf, Privacy, QuestionKind
from tests.factories import (
    ADA,
    BEA,
    add_question,
    answered,
    paid_booking,
    starting_questions,
    ticket_for,
    waitlist_offer,
)
from tests.journey import filled_booking_form

EXPERIENCE = ["None yet", "Some", "A lot"]
WISHES = ["Rest", "Closeness", "Play"]
CONDUCT = "I will respect everyone's boundaries.\nWhat is shared here stays here."


def ask_every_kind(retreat) -> SimpleNamespace:
    """One question of each kind: a private one and a yes/no asked of each person, the rest of
    the booking; a choice and the consent required."""
    ordinary = {"privacy": Privacy.ORDINARY, "asked_of": AskedOf.BOOKING}
    return SimpleNamespace(
        health=add_question(retreat),  # long text, private, asked of each person
        first_time=add_question(
            retreat,
            label="Is this your first retreat?",
            kind=QuestionKind.YES_NO,
            privacy=Privacy.ORDINARY,
        ),
        experience=add_question(
            retreat,
            label="Your experience of couples work",
            kind=QuestionKind.SINGLE_CHOICE,
            options=EXPERIENCE,
            required=True,
            **ordinary,
        ),
        wishes=add_question(
            retreat,
            label="What are you looking for?",
            kind=QuestionKind.MULTIPLE_CHOICE,
            options=WISHES,
            **ordinary,
        ),
        years=add_question(retreat, label="Years together", kind=QuestionKind.NUMBER, **ordinary),
        anniversary=add_question(
            retreat, label="Your anniversary", kind=QuestionKind.DATE, **ordinary
        ),
        heard=add_question(
            retreat, label="How did you hear of us?", kind=QuestionKind.SHORT_TEXT, **ordinary
        ),
        conduct=add_question(
            retreat,
            label="Code of conduct",
            kind=QuestionKind.CONSENT,
            consent_text=CONDUCT,
            required=True,
            **ordinary,
        ),
    )


def answers_of_a_couple(asked: SimpleNamespace) -> dict:
    """The question fields as a couple fills them in: every question answered."""
    return {
        f"q{asked.health.id}-p0": "Asthma; inhaler in my bag",
        f"q{asked.health.id}-p1": "Knee surgery in May",
        f"q{asked.first_time.id}-p0": "yes",
        f"q{asked.first_time.id}-p1": "no",
        f"q{asked.experience.id}": "Some",
        f"q{asked.wishes.id}": ["Play", "Rest"],
        f"q{asked.years.id}": "12",
        f"q{asked.anniversary.id}": "2013-06-21",
        f"q{asked.heard.id}": "  A friend   in Lisbon ",
        f"q{asked.conduct.id}": "yes",
    }


def form_path(retreat) -> str:
    return f"/retreats/{retreat.slug}/book"


def kept_answers(db) -> list[tuple]:
    """Every answer kept: (question id, the attendee's position or None, as shown, label)."""
    rows = db.session.execute(
        select(Answer, Attendee.position)
        .outerjoin(Attendee, Answer.attendee_id == Attendee.id)
        .order_by(Answer.id)
    )
    return [(answer.question_id, position, answer.shown, answer.label) for answer, position in rows]


def assert_nothing_written(db, retreat) -> None:
    db.session.expire_all()
    assert db.session.query(Booking).count() == 0
    assert db.session.query(Answer).count() == 0
    assert seats_taken(retreat.id) == 0


# Kept through the real form --------------------------------------------------------------------


def test_a_couple_answers_each_kind_and_every_answer_is_kept(live_site, browser, make_retreat, db):
    retreat = make_retreat()
    asked = ask_every_kind(retreat)
    couple = ticket_for(retreat, 2)
    url = f"{live_site.url}{form_path(retreat)}"
    data = filled_booking_form(browser.get(url).text, couple) | answers_of_a_couple(asked)

    response = browser.post(url, data=data, allow_redirects=False)

    assert response.status_code == 303, response.text
    assert sorted(kept_answers(db)) == sorted(
        [
            (asked.health.id, 0, "Asthma; inhaler in my bag", asked.health.label),
            (asked.health.id, 1, "Knee surgery in May", asked.health.label),
            (asked.first_time.id, 0, "Yes", "Is this your first retreat?"),
            (asked.first_time.id, 1, "No", "Is this your first retreat?"),
            (asked.experience.id, None, "Some", "Your experience of couples work"),
            (asked.wishes.id, None, "Rest, Play", "What are you looking for?"),  # offered order
            (asked.years.id, None, "12", "Years together"),
            (asked.anniversary.id, None, "2013-06-21", "Your anniversary"),
            (asked.heard.id, None, "A friend in Lisbon", "How did you hear of us?"),
            (asked.conduct.id, None, "Accepted", "Code of conduct"),
        ]
    )
    booking = db.session.query(Booking).one()
    health = [a for a in booking.answers if a.question_id == asked.health.id]
    assert [a.attendee_id for a in health] == [p.id for p in booking.attendees]
    conduct = next(a for a in booking.answers if a.question_id == asked.conduct.id)
    assert conduct.consent_text == CONDUCT

    # In the database a private answer is a Fernet token, never the text; ordinary ones are plain.
    raw = db.session.execute(
        text("SELECT question_id, text, private_text FROM answers ORDER BY id")
    ).all()
    for question_id, plain, private in raw:
        if question_id == asked.health.id:
            assert plain is None and private.startswith("gAAAAA")
            assert "Asthma" not in private and "Knee" not in private
        else:
            assert plain and private is None


def test_fields_the_booking_is_not_asked_are_never_read_and_a_second_submit_adds_none(
    live_site, browser, make_retreat, db
):
    """Posting another retreat's question, a question of the couple ticket only and the
    partner's field on a single ticket keeps none of them; the same form sent twice keeps the
    answers once."""
    retreat, elsewhere = make_retreat(), make_retreat()
    health = add_question(retreat)
    together = add_question(
        retreat,
        label="How long have you been together?",
        kind=QuestionKind.SHORT_TEXT,
        privacy=Privacy.ORDINARY,
        asked_of=AskedOf.BOOKING,
        required=True,
        ticket_types=[ticket_for(retreat, 2)],
    )
    theirs = add_question(elsewhere, asked_of=AskedOf.BOOKING)
    url = f"{live_site.url}{form_path(retreat)}"
    data = filled_booking_form(browser.get(url).text, ticket_for(retreat, 1)) | {
        f"q{health.id}-p0": "Migraines",
        f"q{health.id}-p1": "A partner this ticket does not have",
        f"q{together.id}": "Asked of couples only",
        f"q{theirs.id}": "An answer to another retreat",
        f"q{theirs.id}-p0": "Another one",
    }

    first = browser.post(url, data=data, allow_redirects=False)
    second = browser.post(url, data=data, allow_redirects=False)

    assert first.status_code == second.status_code == 303, first.text
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.query(Booking).count() == 1
    assert kept_answers(db) == [(health.id, 0, "Migraines", health.label)]


# Refused: the form comes back, nothing written -------------------------------------------------


@pytest.fixture
def asked(make_retreat) -> SimpleNamespace:
    retreat = make_retreat(capacity=4)
    return SimpleNamespace(retreat=retreat, **vars(ask_every_kind(retreat)))


@pytest.mark.parametrize(
    ("question", "person", "sent", "message"),
    [
        ("experience", None, None, "Please choose an answer."),
        ("experience", None, "Everything", "Please choose one of the answers offered."),
        ("wishes", None, ["Rest", "Fame"], "Please choose among the answers offered."),
        ("conduct", None, None, "Please read and accept this to book."),
        ("conduct", None, "no", "Please read and accept this to book."),
        ("heard", None, "x" * 201, "Please keep this under 200 characters (201 now)."),
        ("health", 1, "x" * 2001, "Please keep this under 2000 characters (2001 now)."),
        ("first_time", 0, "maybe", "Please answer yes or no."),
        ("years", None, "twelve", "Please enter a number, like 3 or 2.5."),
        ("anniversary", None, "21/06/2013", "Please enter a date as year-month-day"),
    ],
)
def test_an_answer_that_cannot_be_kept_comes_back_beside_its_question_and_nothing_is_written(
    client, db, asked, question, person, sent, message
):
    page = client.get(form_path(asked.retreat)).get_data(as_text=True)
    field = f"q{getattr(asked, question).id}" + (f"-p{person}" if person is not None else "")
    data = filled_booking_form(page, ticket_for(asked.retreat, 2)) | answers_of_a_couple(asked)
    data.pop(field)
    if sent is not None:
        data[field] = sent

    response = client.post(form_path(asked.retreat), data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'<p class="error" id="{field}-error">{re.escape(message)}', html), html
    assert re.search(rf'aria-describedby="[^"]*\b{field}-error"', html)
    assert html.count('class="error"') == 1  # the one message, beside its question
    # Every other value is kept for the visitor to send again.
    assert 'value="Ada Lovelace"' in html
    if question != "heard":
        assert "A friend   in Lisbon" in html
    if question != "health":
        assert "Knee surgery in May" in html
    if question != "wishes":
        assert re.search(rf'name="q{asked.wishes.id}" value="Play" checked', html)
    assert_nothing_written(db, asked.retreat)


def test_a_missing_answer_and_a_missing_name_are_told_together(client, db, asked):
    page = client.get(form_path(asked.retreat)).get_data(as_text=True)
    data = filled_booking_form(page, ticket_for(asked.retreat, 1)) | {"attendees-0-name": ""}

    response = client.post(form_path(asked.retreat), data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="attendees-0-name-error"' in html
    assert f'id="q{asked.experience.id}-error"' in html
    assert f'id="q{asked.conduct.id}-error"' in html
    assert "Please check the fields marked below." in html
    assert_nothing_written(db, asked.retreat)


def test_a_waitlist_offer_asks_the_questions_too_and_keeps_its_places_on_a_bad_answer(
    client, db, make_retreat
):
    retreat = make_retreat(capacity=2)
    agree = add_question(
        retreat,
        label="Code of conduct",
        kind=QuestionKind.CONSENT,
        privacy=Privacy.ORDINARY,
        asked_of=AskedOf.BOOKING,
        consent_text=CONDUCT,
        required=True,
    )
    offer = waitlist_offer(retreat, name="Sol", email="sol@example.org", seats=2)
    path = f"/waitlist/{offer.id}?t={waitlist_offer_token(offer.id)}"
    page = client.get(path).get_data(as_text=True)
    assert f'name="q{agree.id}"' in page

    response = client.post(path, data=filled_booking_form(page, ticket_for(retreat, 2)))

    assert response.status_code == 422
    assert f'id="q{agree.id}-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, offer.id).status == WaitlistStatus.OFFERED
    assert db.session.query(Booking).count() == db.session.query(Answer).count() == 0


# What the form shows ---------------------------------------------------------------------------


def wrapper_of(html: str, field: str) -> str:
    """The opening tag of the element holding the question field `field`."""
    position = html.index(f'name="{field}"')
    start = html.rindex('<div class="asked"', 0, position)
    return html[start : html.index(">", start) + 1]


def test_the_form_asks_each_person_and_the_booking_and_says_which_answers_are_private(
    client, asked
):
    html = client.get(form_path(asked.retreat)).get_data(as_text=True)

    you, partner = html.split('<fieldset class="person">')[1:3]
    health = f'name="q{asked.health.id}-p'
    assert f"{health}0" in you and f"{health}1" in partner
    assert "(your partner)" in partner
    booking_part = html.split('<fieldset class="booking-questions">')[1].split("</fieldset>\n")[0]
    assert "<legend>A few questions from Test Host</legend>" in booking_part
    assert f'name="q{asked.experience.id}"' in booking_part
    assert f'name="q{asked.health.id}' not in booking_part
    private_note = (
        "<strong>Private:</strong> only the organizers of this retreat see this, and only when "
        "they need to."
    )
    assert you.count(private_note) == partner.count(private_note) == 1  # health only
    assert private_note not in booking_part
    # The partner's answers are for the couple ticket, as the partner's other fields are.
    couple = ticket_for(asked.retreat, 2)
    assert f'data-ticket-types="{couple.id}"' in wrapper_of(html, f"q{asked.health.id}-p1")


def test_a_retreat_without_questions_shows_none(client, make_retreat):
    html = client.get(form_path(make_retreat())).get_data(as_text=True)
    assert 'class="asked"' not in html and "booking-questions" not in html
    assert "ticket-questions.js" not in html and "show_questions" not in html


def test_a_question_of_the_couple_ticket_shows_with_that_ticket_only(client, db, make_retreat):
    retreat = make_retreat()
    single, couple = ticket_for(retreat, 1), ticket_for(retreat, 2)
    together = add_question(
        retreat,
        label="How long have you been together?",
        kind=QuestionKind.SHORT_TEXT,
        privacy=Privacy.ORDINARY,
        asked_of=AskedOf.BOOKING,
        required=True,
        ticket_types=[couple],
    )
    field = f"q{together.id}"
    page = client.get(form_path(retreat)).get_data(as_text=True)
    # No ticket chosen yet: shown, saying which ticket it is for, with the button that shows a
    # ticket's questions without scripts (and the script that does it as the ticket changes).
    assert wrapper_of(page, field) == f'<div class="asked" data-ticket-types="{couple.id}">'
    assert "Asked with the Couple (2 people) ticket only." in page
    assert 'name="show_questions"' in page and "js/ticket-questions.js" in page

    shown = {}
    for ticket in (single, couple):
        data = filled_booking_form(page, ticket) | {"show_questions": "1"}
        response = client.post(form_path(retreat), data=data)
        assert response.status_code == 200
        shown[ticket.seats_per_ticket] = wrapper_of(response.get_data(as_text=True), field)
    assert shown == {
        1: f'<div class="asked" data-ticket-types="{couple.id}" hidden>',
        2: f'<div class="asked" data-ticket-types="{couple.id}">',
    }
    # The couple ticket is asked it; the single ticket is not (its booking goes on to pay:
    # nothing listens for Stripe here, so the seat is released and nothing is kept).
    couple_post = client.post(form_path(retreat), data=filled_booking_form(page, couple))
    assert couple_post.status_code == 422
    assert f'id="{field}-error"' in couple_post.get_data(as_text=True)
    single_post = client.post(form_path(retreat), data=filled_booking_form(page, single))
    assert single_post.status_code == 502
    assert_nothing_written(db, retreat)


def test_the_form_costs_the_same_statements_for_one_question_or_eight(
    app, client, make_retreat, count_statements
):
    def statements_of(retreat) -> list[str]:
        with app.app_context(), count_statements() as statements:
            assert client.get(form_path(retreat)).status_code == 200
        return list(statements)

    without = make_retreat()
    one = make_retreat()
    add_question(one, asked_of=AskedOf.BOOKING)
    eight = make_retreat()
    ask_every_kind(eight)
    add_question(eight, label="Couples only", ticket_types=[ticket_for(eight, 2)])

    for_none, for_one, for_eight = map(statements_of, (without, one, eight))

    assert len(for_one) == len(for_eight), for_eight
    # A retreat without questions sends one statement more than before they existed: the
    # question list, empty (and not the organizer's name). The ticket types each question is
    # limited to come with the questions, in the same statement.
    assert sum("FROM questions" in s for s in for_none) == 1
    assert not any("FROM organizers" in s for s in for_none)
    assert sum("FROM questions" in s for s in for_one) == 1
    assert len(for_one) == len(for_none) + 1, for_one  # the organizer


# The booking's own page ------------------------------------------------------------------------


def test_the_booking_page_lists_the_answers_under_the_labels_answered(client, db, make_retreat):
    retreat = make_retreat()
    health = add_question(retreat)
    agree = add_question(
        retreat,
        label="Code of conduct",
        kind=QuestionKind.CONSENT,
        privacy=Privacy.ORDINARY,
        asked_of=AskedOf.BOOKING,
        consent_text="I will be kind.",
    )
    booking = paid_booking(
        retreat,
        ADA,
        BEA,
        answers=[
            answered(health, "Asthma", person=0),
            answered(health, "Bad knee", person=1),
            answered(agree, "yes"),
        ],
    )
    # The organizer edits both questions after they were answered.
    health.label, agree.label, agree.consent_text = "Health", "Our rules", "A later wording."
    db.session.commit()

    with client.application.test_request_context():
        page_url = manage_page_url(booking)
    html = client.get(page_url).get_data(as_text=True)

    assert [(row[3], row[2]) for row in kept_answers(db)] == [
        ("Anything the facilitators should know about your health?", "Asthma"),
        ("Anything the facilitators should know about your health?", "Bad knee"),
        ("Code of conduct", "Accepted"),
    ]
    answers = html.split("<h2>Your answers</h2>")[1].split("</dl>")[0]
    shown = [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r"<dt>(.*?)</dd>", answers, re.S)
    ]
    assert shown == [
        "Anything the facilitators should know about your health? (Ada Lovelace) (private) Asthma",
        "Anything the facilitators should know about your health? (Bea Lovelace) (private) "
        "Bad knee",
        "Code of conduct Accepted The text you accepted I will be kind.",
    ]
    assert "Our rules" not in html and "A later wording." not in html


def test_a_refused_booking_shows_its_questions_again_in_a_fixed_number_of_statements(
    client, make_retreat, count_statements
):
    """A booking refused for want of places rolls back; the form shown again reads its
    questions anew in one go, not one statement per question (a rush of refused posts)."""
    retreat = make_retreat(capacity=1)  # one place left: a couple ticket is refused
    starting_questions(retreat)
    path = f"/retreats/{retreat.slug}/book"

    def refused_post() -> int:
        page = client.get(path).get_data(as_text=True)
        form = filled_booking_form(page, ticket_for(retreat, 2))
        with client.application.app_context(), count_statements() as statements:
            response = client.post(path, data=form)
        assert response.status_code == 409
        assert "Only 1 place is left" in response.get_data(as_text=True)
        return len(statements)

    with_four = refused_post()
    for number in range(4):
        add_question(retreat, label=f"More {number}", privacy=Privacy.ORDINARY)
    assert refused_post() == with_four
