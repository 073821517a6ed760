"""The listing editor's questions: add each kind, refuse what cannot be asked, edit, reorder
without JavaScript, remove (kept with its answers once answered, else deleted), add ready ones
from the library, preview them as the person booking sees them; another organizer's are 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from retreats.base.audit import AuditEntry
from retreats.booking.models import Answer
from retreats.database import utcnow
from retreats.listings.models import Retreat, RetreatStatus
from retreats.listings.questions import (
    LABEL_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    AskedOf,
    Privacy,
    Question,
    QuestionKind,
    asked_questions,
)
from retreats.organizer.listings.question_library import LIBRARY, STARTING_KEYS
from tests.conftest import csrf_token_from
from tests.factories import add_question, answered, held_booking, ticket_for
from tests.html_forms import form_values, post_as_shown
from tests.organizer.helpers import (
    audit_actions_for_retreat,
    field_error,
    new_retreat_data,
    post_page_form,
)

FIELDS = {
    "label": "What brings you here?",
    "help_text": "A sentence or two.",
    "kind": "short_text",
    "options": "",
    "consent_text": "",
    "asked_of": "booking",
    "privacy": "ordinary",
}
CHOICES = "None\nSome\nA lot"


def editor_url(retreat) -> str:
    return f"/organizer/retreats/{retreat.id}/edit"


def questions_url(retreat, question=None, action="edit") -> str:
    base = f"/organizer/retreats/{retreat.id}/questions"
    return f"{base}/new" if question is None else f"{base}/{question.id}/{action}"


def add(client, retreat, **data):
    return post_page_form(client, questions_url(retreat), FIELDS | data)


def editor_action(client, retreat, url: str, **data):
    """Press one of the editor's buttons (its CSRF token taken from the editor page)."""
    return post_page_form(client, editor_url(retreat), data, action=url)


def move(client, retreat, question, direction: str):
    return editor_action(
        client, retreat, questions_url(retreat, question, "move"), direction=direction
    )


def remove(client, retreat, question):
    return editor_action(client, retreat, questions_url(retreat, question, "remove"))


def labels_asked(db, retreat) -> list[str]:
    db.session.expire_all()
    return [question.label for question in asked_questions(retreat)]


def counts(db) -> tuple[int, int]:
    db.session.expire_all()
    return db.session.query(Question).count(), db.session.query(AuditEntry).count()


def editor_page(client, retreat) -> str:
    response = client.get(editor_url(retreat))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def questions_section(page: str) -> str:
    return re.search(r'<section id="questions".*?</section>', page, re.S).group(0)


# Adding ----------------------------------------------------------------------------------------

KIND_FIELDS = {
    "short_text": {},
    "long_text": {},
    "single_choice": {"options": CHOICES},
    "multiple_choice": {"options": "Breathwork\n\n  Tantra  \nMeditation\n"},
    "yes_no": {},
    "number": {},
    "date": {},
    "consent": {"consent_text": "I keep what others share confidential.", "required": "y"},
}


@pytest.mark.parametrize("kind", list(KIND_FIELDS))
def test_add_a_question_of_each_kind(db, organizer_client, make_retreat, kind):
    retreat = make_retreat()
    response = add(organizer_client, retreat, kind=kind, **KIND_FIELDS[kind])
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/retreats/{retreat.id}/edit#questions")
    db.session.expire_all()
    (question,) = asked_questions(retreat)
    assert question.kind == QuestionKind(kind)
    assert (question.label, question.help_text) == ("What brings you here?", "A sentence or two.")
    expected_options = {
        "single_choice": ["None", "Some", "A lot"],
        "multiple_choice": ["Breathwork", "Tantra", "Meditation"],  # blank lines are no answers
    }
    assert question.options == expected_options.get(kind, [])
    assert question.consent_text == KIND_FIELDS[kind].get("consent_text", "")
    assert question.required == (kind == "consent")
    assert audit_actions_for_retreat(db, retreat.id) == ["question.created"]
    assert "What brings you here?" in questions_section(editor_page(organizer_client, retreat))


def test_a_private_question_of_each_person_asked_with_some_tickets(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    couple = ticket_for(retreat, 2)
    page = organizer_client.get(questions_url(retreat)).get_data(as_text=True)
    assert "encrypted" in page and "audit log" in page and "left out of exports" in page
    response = add(
        organizer_client,
        retreat,
        label="Anything about your health we should know?",
        kind="long_text",
        privacy="private",
        asked_of="person",
        required="y",
        ticket_types=[str(couple.id)],
    )
    assert response.status_code == 303
    db.session.expire_all()
    (question,) = asked_questions(retreat)
    assert (question.privacy, question.asked_of, question.required) == (
        Privacy.PRIVATE,
        AskedOf.PERSON,
        True,
    )
    assert [ticket.id for ticket in question.ticket_types] == [couple.id]
    section = questions_section(editor_page(organizer_client, retreat))
    assert 'badge-private">Private<' in section
    assert "Of each person" in section and couple.name in section and "Required" in section


def test_options_and_consent_text_are_ignored_for_the_other_kinds(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    response = add(organizer_client, retreat, options="a\nb", consent_text="Some text")
    assert response.status_code == 303
    db.session.expire_all()
    (question,) = asked_questions(retreat)
    assert (question.options, question.consent_text) == ([], "")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"label": ""}, "label", "Please write the question."),
        ({"label": "   "}, "label", "Please write the question."),
        ({"label": "x" * (LABEL_MAX + 1)}, "label", f"{LABEL_MAX}"),
        ({"help_text": "x" * 501}, "help_text", "500"),
        ({"kind": "single_choice", "options": ""}, "options", "at least two answers"),
        ({"kind": "single_choice", "options": "Only one"}, "options", "at least two answers"),
        ({"kind": "multiple_choice", "options": "\n \n"}, "options", "at least two answers"),
        (
            {"kind": "single_choice", "options": "Yes\nNo\nyes "},
            "options",
            "“yes” is offered twice",
        ),
        (
            {"kind": "multiple_choice", "options": "a\n" + "b" * (OPTION_MAX + 1)},
            "options",
            f"at most {OPTION_MAX} characters",
        ),
        (
            {
                "kind": "single_choice",
                "options": "\n".join(f"Option {n}" for n in range(OPTIONS_MAX + 1)),
            },
            "options",
            f"at most {OPTIONS_MAX} answers",
        ),
        ({"kind": "consent", "consent_text": ""}, "consent_text", "the text people accept"),
        ({"kind": "consent", "consent_text": "x" * 5001}, "consent_text", "5000"),
        ({"kind": "essay"}, "kind", "Not a valid choice"),
        ({"asked_of": "everyone"}, "asked_of", "Not a valid choice"),
        ({"privacy": "secret"}, "privacy", "Not a valid choice"),
        ({"ticket_types": ["999999"]}, "ticket_types", "this retreat's own ticket types"),
        ({"ticket_types": ["abc"]}, "ticket_types", "this retreat's own ticket types"),
    ],
)
def test_what_cannot_be_asked_is_refused_beside_its_field(
    db, organizer_client, make_retreat, data, field, message
):
    retreat = make_retreat()
    before = counts(db)
    response = add(organizer_client, retreat, **data)
    assert response.status_code == 422
    shown = field_error(response.get_data(as_text=True), field)
    assert shown is not None and message in shown, shown
    assert counts(db) == before


def test_an_empty_label_and_a_choice_without_options_both_get_their_message(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    response = add(organizer_client, retreat, label="", kind="single_choice", options="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "label") == "Please write the question."
    assert "at least two answers" in field_error(page, "options")
    assert counts(db) == (0, 0)


def test_another_retreats_ticket_type_is_refused(db, organizer_client, make_retreat):
    retreat, other = make_retreat(), make_retreat()
    response = add(organizer_client, retreat, ticket_types=[str(other.ticket_types[0].id)])
    assert response.status_code == 422
    assert "own ticket types" in field_error(response.get_data(as_text=True), "ticket_types")
    assert counts(db) == (0, 0)


def test_a_cancelled_retreats_questions_cannot_change(db, organizer_client, make_retreat):
    retreat = make_retreat()
    question = add_question(retreat)
    retreat.status = RetreatStatus.CANCELLED
    db.session.commit()
    section = questions_section(editor_page(organizer_client, retreat))
    assert "Add a question" not in section and "/move" not in section
    response = add(organizer_client, retreat)
    assert response.status_code == 400
    assert "cancelled" in response.get_data(as_text=True)
    assert counts(db) == (1, 0)
    token = csrf_token_from(editor_page(organizer_client, retreat))
    url = questions_url(retreat, question, "remove")
    assert organizer_client.post(url, data={"csrf_token": token}).status_code == 303
    assert labels_asked(db, retreat) == [question.label]
    assert counts(db) == (1, 0)


# Editing ---------------------------------------------------------------------------------------


def test_editing_changes_later_bookings_only(db, organizer_client, make_retreat):
    retreat = make_retreat()
    consent = add_question(
        retreat,
        label="Code of conduct",
        kind=QuestionKind.CONSENT,
        privacy=Privacy.ORDINARY,
        consent_text="Be kind.",
        required=True,
    )
    held_booking(retreat, answers=[answered(consent, "yes")])
    url = questions_url(retreat, consent)
    page = organizer_client.get(url).get_data(as_text=True)
    assert "1 answer has been given" in page and "bookings made from now on" in page
    assert form_values(page, url)["consent_text"] == "Be kind."

    response = post_as_shown(
        organizer_client, url, label="Our agreements", consent_text="Be kind and on time."
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert (consent.label, consent.consent_text) == ("Our agreements", "Be kind and on time.")
    (answer,) = db.session.scalars(select(Answer)).all()
    assert (answer.label, answer.consent_text, answer.shown) == (
        "Code of conduct",
        "Be kind.",
        "Accepted",
    )
    (entry,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "question.updated")
    ).all()
    assert entry.detail == "Our agreements: label, consent_text"


def test_saving_an_unchanged_question_writes_no_audit_entry(db, organizer_client, make_retreat):
    retreat = make_retreat()
    question = add_question(
        retreat, kind=QuestionKind.SINGLE_CHOICE, options=["A", "B"], help_text="Pick one"
    )
    response = post_as_shown(organizer_client, questions_url(retreat, question))
    assert response.status_code == 303
    assert audit_actions_for_retreat(db, retreat.id) == []


def test_an_edit_that_breaks_a_rule_changes_nothing(db, organizer_client, make_retreat):
    retreat = make_retreat()
    question = add_question(retreat, kind=QuestionKind.SINGLE_CHOICE, options=["A", "B"])
    response = post_as_shown(organizer_client, questions_url(retreat, question), options="A")
    assert response.status_code == 422
    assert "at least two answers" in field_error(response.get_data(as_text=True), "options")
    db.session.expire_all()
    assert question.options == ["A", "B"]


# Reordering ------------------------------------------------------------------------------------


def test_reorder_up_and_down_with_plain_forms(db, organizer_client, make_retreat):
    retreat = make_retreat()
    first, second, third = (add_question(retreat, label=label) for label in ("One", "Two", "Three"))
    section = questions_section(editor_page(organizer_client, retreat))
    assert section.count('value="up"') == 2 and section.count('value="down"') == 2

    assert move(organizer_client, retreat, third, "up").status_code == 303
    assert labels_asked(db, retreat) == ["One", "Three", "Two"]
    assert move(organizer_client, retreat, first, "down").status_code == 303
    assert labels_asked(db, retreat) == ["Three", "One", "Two"]
    # Already at the top or the bottom: nothing moves.
    move(organizer_client, retreat, third, "up")
    move(organizer_client, retreat, second, "down")
    assert labels_asked(db, retreat) == ["Three", "One", "Two"]
    section = questions_section(editor_page(organizer_client, retreat))
    assert section.index("Three") < section.index("One") < section.index("Two")
    assert audit_actions_for_retreat(db, retreat.id) == ["question.moved", "question.moved"]


def test_a_move_in_no_direction_changes_nothing(db, organizer_client, make_retreat):
    retreat = make_retreat()
    add_question(retreat, label="One")
    second = add_question(retreat, label="Two")
    response = move(organizer_client, retreat, second, "sideways")
    assert response.status_code == 303
    assert "Please move it up or down." in organizer_client.get(response.headers["Location"]).text
    assert labels_asked(db, retreat) == ["One", "Two"]
    assert audit_actions_for_retreat(db, retreat.id) == []


# Removing --------------------------------------------------------------------------------------


def test_removing_an_answered_question_keeps_it_with_its_answers(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    health = add_question(retreat, label="Health")
    booking = held_booking(retreat, answers=[answered(health, "Asthma")])
    section = questions_section(editor_page(organizer_client, retreat))
    assert "The 1 answer already given stay" in section and "Stop asking “Health”" in section

    response = remove(organizer_client, retreat, health)
    assert response.status_code == 303
    db.session.expire_all()
    assert health.removed_at is not None
    assert asked_questions(retreat) == []
    (answer,) = booking.answers
    assert (answer.question_id, answer.label, answer.shown) == (health.id, "Health", "Asthma")
    section = questions_section(editor_page(organizer_client, retreat))
    assert "No longer asked" in section and "Health" in section
    assert f"/questions/{health.id}/edit" not in section
    assert audit_actions_for_retreat(db, retreat.id) == ["question.removed"]
    # A removed question cannot be edited any more.
    edit = organizer_client.get(questions_url(retreat, health))
    assert edit.status_code == 303


def test_removing_an_unanswered_question_deletes_it(db, organizer_client, make_retreat):
    retreat = make_retreat()
    couple = ticket_for(retreat, 2)
    question = add_question(retreat, label="Boundaries", ticket_types=[couple])
    section = questions_section(editor_page(organizer_client, retreat))
    assert "Nobody has answered it yet, so it is deleted." in section
    assert remove(organizer_client, retreat, question).status_code == 303
    assert counts(db) == (0, 1)
    assert audit_actions_for_retreat(db, retreat.id) == ["question.deleted"]
    token = csrf_token_from(editor_page(organizer_client, retreat))
    url = questions_url(retreat, question, "remove")
    assert organizer_client.post(url, data={"csrf_token": token}).status_code == 404


# Another organizer -----------------------------------------------------------------------------


def test_another_organizers_question_is_not_found(
    db, sign_in, other_organizer, organizer_client, make_retreat
):
    retreat = make_retreat()
    question = add_question(retreat, label="Health of A's guests")
    theirs = make_retreat(organizer=other_organizer)
    stranger = sign_in(other_organizer)
    token = form_values(
        stranger.get(editor_url(theirs)).get_data(as_text=True), editor_url(theirs)
    )["csrf_token"]
    for url in (
        questions_url(retreat, question),
        f"/organizer/retreats/{retreat.id}/questions/new",
    ):
        assert stranger.get(url).status_code == 404
    for action, data in (("edit", FIELDS), ("remove", {}), ("move", {"direction": "up"})):
        response = stranger.post(
            questions_url(retreat, question, action), data={"csrf_token": token, **data}
        )
        assert response.status_code == 404
    # A's question named under B's own retreat: not B's either.
    for action in ("edit", "remove"):
        url = questions_url(theirs, question, action)
        assert stranger.post(url, data={"csrf_token": token}).status_code == 404
    assert stranger.get(f"/organizer/retreats/{retreat.id}/questions/preview").status_code == 404
    db.session.expire_all()
    assert (question.label, question.removed_at) == ("Health of A's guests", None)
    assert db.session.query(AuditEntry).count() == 0


def test_a_question_of_another_retreat_of_the_same_organizer_is_not_found(
    db, organizer_client, make_retreat
):
    retreat, other = make_retreat(), make_retreat()
    question = add_question(other)
    assert organizer_client.get(questions_url(retreat, question)).status_code == 404


def test_a_duplicate_asks_the_questions_still_asked(db, organizer_client, make_retreat):
    retreat = make_retreat()
    couple = ticket_for(retreat, 2)
    add_question(retreat, label="Gone", removed_at=utcnow())
    add_question(
        retreat,
        label="Experience",
        kind=QuestionKind.SINGLE_CHOICE,
        options=["None", "Some"],
        ticket_types=[couple],
        required=True,
    )
    add_question(retreat, label="Health")
    url = f"/organizer/retreats/{retreat.id}/duplicate"
    response = editor_action(organizer_client, retreat, url)
    copy_id = int(re.search(r"/retreats/(\d+)/edit", response.headers["Location"]).group(1))
    db.session.expire_all()
    copy = db.session.get(Retreat, copy_id)
    experience, health = asked_questions(copy)
    assert [experience.label, health.label] == ["Experience", "Health"]
    assert (experience.options, experience.required) == (["None", "Some"], True)
    (ticket,) = experience.ticket_types
    assert ticket.retreat_id == copy.id and ticket.name == couple.name
    assert (health.privacy, health.asked_of) == (Privacy.PRIVATE, AskedOf.PERSON)
    assert labels_asked(db, retreat) == ["Experience", "Health"]  # the original keeps its own


# The library -----------------------------------------------------------------------------------


def library_add(client, retreat, key: str):
    url = f"/organizer/retreats/{retreat.id}/questions/library"
    return editor_action(client, retreat, url, key=key)


def test_add_ready_questions_from_the_library(db, organizer_client, make_retreat):
    retreat = make_retreat()
    section = questions_section(editor_page(organizer_client, retreat))
    for entry in LIBRARY:
        assert f'value="{entry["key"]}"' in section

    assert library_add(organizer_client, retreat, "health").status_code == 303
    assert library_add(organizer_client, retreat, "code-of-conduct").status_code == 303
    assert library_add(organizer_client, retreat, "experience").status_code == 303
    db.session.expire_all()
    health, conduct, experience = asked_questions(retreat)
    assert (health.kind, health.privacy, health.asked_of) == (
        QuestionKind.LONG_TEXT,
        Privacy.PRIVATE,
        AskedOf.PERSON,
    )
    assert conduct.kind == QuestionKind.CONSENT and conduct.required
    assert "boundaries" in conduct.consent_text
    assert experience.options == ["None", "Some", "A lot"]
    assert experience.privacy == Privacy.ORDINARY
    section = questions_section(editor_page(organizer_client, retreat))
    assert 'value="health"' not in section and "Already asked" in section

    # A second click adds nothing; a key that is no ready question neither.
    before = counts(db)
    response = library_add(organizer_client, retreat, "health")
    assert response.status_code == 303
    assert "already asks" in organizer_client.get(response.headers["Location"]).text
    library_add(organizer_client, retreat, "not-a-question")
    assert counts(db) == before


def test_a_new_retreat_starts_with_the_four_intake_questions(db, organizer_client):
    response = post_page_form(organizer_client, "/organizer/retreats/new", new_retreat_data())
    assert response.status_code == 303, response.get_data(as_text=True)
    retreat_id = int(re.search(r"/retreats/(\d+)/edit", response.headers["Location"]).group(1))
    retreat = db.session.get(Retreat, retreat_id)

    asked = asked_questions(retreat)
    assert [question.label for question in asked] == [
        "Dietary needs",
        "Accessibility needs",
        "Emergency contact",
        "What do you hope for from this time?",
    ]
    assert [question.privacy for question in asked] == [Privacy.ORDINARY] + [Privacy.PRIVATE] * 3
    assert all(q.asked_of == AskedOf.PERSON and not q.required for q in asked)
    section = questions_section(editor_page(organizer_client, retreat))
    for key in STARTING_KEYS:
        assert f'value="{key}"' not in section  # already asked: not offered again
    before = counts(db)
    library_add(organizer_client, retreat, "hopes")
    assert counts(db) == before


def test_every_ready_question_is_one_the_editor_accepts():
    from retreats.organizer.listings.question_editor import library_details, question_problems

    for entry in LIBRARY:
        details = library_details(entry["key"])
        assert question_problems(details) == [], entry["key"]
    private = {entry["key"] for entry in LIBRARY if entry["privacy"] == Privacy.PRIVATE}
    assert {"relationship-status", "health", "boundaries", "accessibility"} <= private
    assert {"emergency-contact", "hopes"} <= private


# The preview -----------------------------------------------------------------------------------


def every_kind(retreat) -> dict[str, Question]:
    return {
        "short": add_question(
            retreat, label="Dietary needs", kind=QuestionKind.SHORT_TEXT, help_text="Allergies"
        ),
        "long": add_question(retreat, label="Health", kind=QuestionKind.LONG_TEXT, required=True),
        "single": add_question(
            retreat,
            label="Experience",
            kind=QuestionKind.SINGLE_CHOICE,
            options=["None", "Some"],
            asked_of=AskedOf.BOOKING,
        ),
        "several": add_question(
            retreat, label="Practices", kind=QuestionKind.MULTIPLE_CHOICE, options=["Yoga", "Zen"]
        ),
        "yes_no": add_question(retreat, label="First time?", kind=QuestionKind.YES_NO),
        "number": add_question(retreat, label="Years together", kind=QuestionKind.NUMBER),
        "date": add_question(retreat, label="Birthday", kind=QuestionKind.DATE),
        "consent": add_question(
            retreat,
            label="Code of conduct",
            kind=QuestionKind.CONSENT,
            consent_text="I ask before touching anyone.",
            required=True,
            asked_of=AskedOf.BOOKING,
        ),
    }


def test_the_preview_shows_each_kind_as_the_person_booking_sees_it(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    q = every_kind(retreat)
    section = questions_section(editor_page(organizer_client, retreat))
    assert f"/organizer/retreats/{retreat.id}/questions/preview" in section
    response = organizer_client.get(f"/organizer/retreats/{retreat.id}/questions/preview")
    assert response.status_code == 200
    page = response.get_data(as_text=True)

    short, long = f"q{q['short'].id}-p0", f"q{q['long'].id}-p0"
    assert f'<input type="text" id="{short}" name="{short}"' in page
    assert f'aria-describedby="{short}-help"' in page and ">Allergies</small>" in page
    assert f'<textarea id="{long}" name="{long}" required' in page
    single = f"q{q['single'].id}"
    assert f'<input type="radio" id="{single}-1" name="{single}" value="None"' in page
    assert re.search(r"<fieldset[^>]*>\s*<legend>Experience", page)
    several = f"q{q['several'].id}-p0"
    assert f'<input type="checkbox" id="{several}-2" name="{several}" value="Zen"' in page
    yes_no = f"q{q['yes_no'].id}-p0"
    assert f'name="{yes_no}" value="yes"' in page and f'name="{yes_no}" value="no"' in page
    assert f'<input type="number" step="any" inputmode="decimal" id="q{q["number"].id}-p0"' in page
    assert f'<input type="date" id="q{q["date"].id}-p0"' in page
    consent = f"q{q['consent'].id}"
    assert "<p>I ask before touching anyone.</p>" in page
    assert f'<input type="checkbox" id="{consent}" name="{consent}" value="yes"' in page
    assert f'<label for="{consent}">I have read and accept this</label>' in page
    assert page.count('<span class="required">(required)</span>') == 2


def test_the_preview_of_a_couple_ticket_asks_each_person(db, organizer_client, make_retreat):
    retreat = make_retreat()
    couple, single = ticket_for(retreat, 2), ticket_for(retreat, 1)
    health = add_question(retreat, label="Health")
    rooms = add_question(
        retreat, label="Bed", asked_of=AskedOf.BOOKING, privacy=Privacy.ORDINARY,
        ticket_types=[single],
    )  # fmt: skip
    url = f"/organizer/retreats/{retreat.id}/questions/preview?ticket={couple.id}"
    page = organizer_client.get(url).get_data(as_text=True)
    assert f'name="q{health.id}-p0"' in page and f'name="q{health.id}-p1"' in page
    assert "(Person 1)" in page and "(Person 2)" in page
    assert f'name="q{rooms.id}"' not in page  # asked with the single ticket only
    other = make_retreat()
    wrong = f"/organizer/retreats/{retreat.id}/questions/preview?ticket={other.ticket_types[0].id}"
    assert organizer_client.get(wrong).status_code == 404


def test_answers_tried_in_the_preview_are_checked_and_never_stored(
    db, organizer_client, make_retreat
):
    retreat = make_retreat()
    q = every_kind(retreat)
    url = f"/organizer/retreats/{retreat.id}/questions/preview"
    token = form_values(organizer_client.get(url).get_data(as_text=True), url)["csrf_token"]
    response = organizer_client.post(
        url,
        data={
            "csrf_token": token,
            f"q{q['single'].id}": "Plenty",
            f"q{q['number'].id}-p0": "many",
            f"q{q['short'].id}-p0": "No nuts",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, f"q{q['long'].id}-p0") == "Please answer this question."
    assert field_error(page, f"q{q['single'].id}") == "Please choose one of the answers offered."
    assert "Please enter a number" in field_error(page, f"q{q['number'].id}-p0")
    assert field_error(page, f"q{q['consent'].id}") == "Please read and accept this to book."
    assert 'value="No nuts"' in page  # what was typed stays
    good = {
        "csrf_token": token,
        f"q{q['long'].id}-p0": "All well",
        f"q{q['consent'].id}": "yes",
        f"q{q['several'].id}-p0": ["Yoga", "Zen"],
    }
    response = organizer_client.post(url, data=good)
    assert response.status_code == 200
    assert "would be accepted" in response.get_data(as_text=True)
    assert db.session.query(Answer).count() == 0
    assert audit_actions_for_retreat(db, retreat.id) == []
