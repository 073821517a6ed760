"""The /find page: the questions, the results, nothing stored, and bad answers handled."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest

from retreats.finder.questions import ALL_QUESTIONS
from retreats.listings.models import Audience, Focus, RetreatStatus
from tests.factories import attendee, held_booking

from .helpers import EMOTIONAL_ANSWERS


class _Controls(HTMLParser):
    """The page's radio inputs, labels, fieldsets and legends, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.radios: list[dict[str, str]] = []
        self.label_targets: set[str] = set()
        self.fieldsets = 0
        self.legends = 0

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "input" and attributes.get("type") == "radio":
            self.radios.append(attributes)
        elif tag == "label" and "for" in attributes:
            self.label_targets.add(attributes["for"])
        elif tag == "fieldset":
            self.fieldsets += 1
        elif tag == "legend":
            self.legends += 1


def controls(html: str) -> _Controls:
    parser = _Controls()
    parser.feed(html)
    return parser


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


def test_without_answers_the_page_asks_every_question_with_labels(client):
    response = client.get("/find")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    found = controls(page)
    assert found.fieldsets == found.legends == len(ALL_QUESTIONS) <= 8
    assert {radio["name"] for radio in found.radios} == {q.name for q in ALL_QUESTIONS}
    assert len(found.radios) == sum(len(q.choices) for q in ALL_QUESTIONS)
    for radio in found.radios:
        assert radio["id"] in found.label_targets, radio
    assert 'method="get" action="/find"' in page
    assert "Recommended for you" not in page
    assert "Please answer" not in page
    assert 'name="csrf_token"' not in page
    assert "Set-Cookie" not in response.headers


def test_answers_show_the_four_scores_and_the_retreats_that_fit(
    client, make_retreat, count_statements
):
    make_retreat(title="Listening Weekend", audience=Audience.COUPLES, starts_in=timedelta(days=20))
    make_retreat(title="Body Day", focus=Focus.PHYSICAL, starts_in=timedelta(days=10))
    answers = EMOTIONAL_ANSWERS | {"budget": "500", "when": "month"}

    with count_statements() as statements:
        response = client.get("/find", query_string=answers)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = text_of(page)
    # Emotional 9, intellectual 1 of 10 points; the bar is drawn, the number is read.
    assert "Your strongest wish: emotional closeness." in text
    for name, share in (("Emotional", 90), ("Physical", 0), ("Intellectual", 10), ("Spiritual", 0)):
        assert f"{name} {share}%" in text
    assert page.count("<meter") == 4
    assert text.index("Listening Weekend") < text.index("Body Day")
    assert "Focuses on emotional closeness, your strongest wish" in text
    assert "For couples, as you'll come together" in text
    assert "Focuses on physical closeness, 0% of your answers" in text
    assert "From €450.00 for two (€225.00 each), within your budget" in text
    # The answers stay chosen, so the visitor can change one and look again.
    assert 'checked id="wish-0" name="wish"' in page
    # Nothing stored: one read, no writes, no cookie.
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("SELECT")
    assert "Set-Cookie" not in response.headers


def test_a_relaxed_filter_is_named_on_the_page(client, make_retreat):
    make_retreat(title="Far Away", starts_in=timedelta(days=150))

    page = client.get("/find", query_string=EMOTIONAL_ANSWERS | {"when": "month"})

    text = text_of(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "so we looked beyond your dates" in text
    assert "Far Away" in text
    assert "later than you hoped" in text


def test_when_nothing_fits_the_page_points_to_the_catalog(client, make_retreat):
    make_retreat(title="Couples Only", audience=Audience.COUPLES, tickets=[("Couple", 45_000, 2)])

    response = client.get("/find", query_string=EMOTIONAL_ANSWERS | {"company": "alone"})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing open for booking fits you as a person coming on your own" in text_of(page)
    assert 'href="/">See every upcoming retreat and workshop</a>' in page
    assert "Couples Only" not in page


def test_sold_out_past_draft_and_cancelled_retreats_never_appear(client, make_retreat):
    sold_out = make_retreat(title="Sold Out Retreat", capacity=1)
    held_booking(sold_out, attendee("ada@example.org", "Ada"))
    make_retreat(title="Past Retreat", starts_in=-timedelta(days=2))
    make_retreat(title="Draft Retreat", status=RetreatStatus.DRAFT)
    make_retreat(title="Cancelled Retreat", status=RetreatStatus.CANCELLED)

    for company in ("couple", "alone"):
        response = client.get("/find", query_string=EMOTIONAL_ANSWERS | {"company": company})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        for title in ("Sold Out", "Past", "Draft", "Cancelled"):
            assert f"{title} Retreat" not in page
        assert "Nothing open for booking fits you" in page


@pytest.mark.parametrize(
    ("changes", "bad_fields"),
    [
        ({"wish": "money"}, ["wish"]),  # not an answer we offer
        ({"budget": ""}, ["budget"]),  # empty
        ({"when": "x" * 100_000}, ["when"]),  # huge
        ({"format": "<script>alert(1)</script>"}, ["format"]),
        ({"company": "both", "first_step": "☃"}, ["first_step", "company"]),
    ],
)
def test_unknown_answers_reshow_the_form_with_messages_beside_them(client, changes, bad_fields):
    response = client.get("/find", query_string=EMOTIONAL_ANSWERS | changes)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please answer every question below" in page
    for name in bad_fields:
        assert (
            f'<p class="error" id="{name}-error">Please choose one of the answers shown.</p>'
            in (page)
            or f'<p class="error" id="{name}-error">Please choose an answer.</p>' in page
        )
        assert re.search(f'<fieldset [^>]*aria-describedby="[^"]*{name}-error"', page)
    assert page.count('class="error"') == len(bad_fields)
    assert "x" * 1000 not in page
    assert "<script>alert" not in page
    assert "Recommended for you" not in page
    assert "Set-Cookie" not in response.headers


def test_missing_answers_are_each_asked_for(client):
    response = client.get("/find", query_string={"wish": "talk", "company": "couple"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count("Please choose an answer.") == len(ALL_QUESTIONS) - 2
    assert "6 are missing or not one of the answers shown" in text_of(page)
    # The given answers are kept.
    assert 'checked id="wish-0" name="wish"' in page
    assert 'checked id="company-0" name="company"' in page


def test_a_repeated_or_unknown_parameter_is_harmless(client, make_retreat):
    make_retreat(title="Listening Weekend")
    query = list(EMOTIONAL_ANSWERS.items()) + [("wish", "touch"), ("utm_source", "x" * 5000)]

    response = client.get("/find", query_string=query)

    assert response.status_code == 200
    assert "Listening Weekend" in response.get_data(as_text=True)
