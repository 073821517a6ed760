"""Scoring: which kind each answer moves, the shares shown, and how ties are settled."""

from __future__ import annotations

import pytest

from retreats.finder.questions import ALL_QUESTIONS, SCORING_QUESTIONS
from retreats.finder.scoring import Scores, score
from retreats.listings.models import Focus

from .helpers import answers

EMO, BODY, MIND, SPIRIT = Focus.EMOTIONAL, Focus.PHYSICAL, Focus.INTELLECTUAL, Focus.SPIRITUAL

# The scoring table, written out by hand: question, answer, points it gives.
TABLE = [
    ("wish", "talk", {EMO: 3}),
    ("wish", "touch", {BODY: 3}),
    ("wish", "ideas", {MIND: 3}),
    ("wish", "meaning", {SPIRIT: 3}),
    ("evening", "heart_to_heart", {EMO: 2}),
    ("evening", "massage", {BODY: 2}),
    ("evening", "big_question", {MIND: 2}),
    ("evening", "stars", {SPIRIT: 2}),
    ("missing", "understood", {EMO: 2}),
    ("missing", "affection", {BODY: 2}),
    ("missing", "interest", {MIND: 2}),
    ("missing", "purpose", {SPIRIT: 2}),
    ("missing", "time", {EMO: 1, BODY: 1}),
    ("first_step", "questions", {EMO: 2, MIND: 1}),
    ("first_step", "breath", {BODY: 2}),
    ("first_step", "talk", {MIND: 2}),
    ("first_step", "ritual", {SPIRIT: 2, EMO: 1}),
]

# For each kind, the answers that lean to it (only the emotional and spiritual leans add a
# point elsewhere: "questions" one intellectual, "ritual" one emotional).
LEANING = {
    kind: dict(zip(("wish", "evening", "missing", "first_step"), values, strict=True))
    for kind, values in {
        EMO: ("talk", "heart_to_heart", "understood", "questions"),
        BODY: ("touch", "massage", "affection", "breath"),
        MIND: ("ideas", "big_question", "interest", "talk"),
        SPIRIT: ("meaning", "stars", "purpose", "ritual"),
    }.items()
}


def test_the_table_covers_every_scoring_answer_and_no_more():
    offered = {(q.name, c.value) for q in SCORING_QUESTIONS for c in q.choices}
    assert offered == {(name, value) for name, value, _ in TABLE}
    assert len(ALL_QUESTIONS) <= 8


@pytest.mark.parametrize(("question", "value", "points"), TABLE)
def test_each_answer_moves_its_own_kinds(question, value, points):
    # The other answers all lean to a kind this answer does not touch, so what it adds shows.
    background = next(kind for kind in (BODY, MIND, SPIRIT, EMO) if kind not in points)
    others = LEANING[background] | {question: value}
    scores = score(answers(**others)).points
    for kind in Focus:
        if kind != background:
            assert scores[kind] == points.get(kind, 0), kind


@pytest.mark.parametrize("kind", list(Focus))
def test_leaning_all_one_way_gives_that_kind_every_point(kind):
    # "questions" and "ritual" add a point elsewhere, so the pure lean is 9 or 8 to 1.
    scores = score(answers(**LEANING[kind]))
    assert scores.leading == (kind,)
    assert scores.points[kind] >= 8
    assert scores.percent(kind) >= 88


def test_no_kind_is_favoured_by_the_questions():
    for kind in Focus:
        most = sum(max(c.points.get(kind, 0) for c in q.choices) for q in SCORING_QUESTIONS)
        assert most == 9, kind


def test_a_tie_leads_with_both_kinds_in_a_fixed_order():
    # spiritual 3 + 2 from wish and first step; emotional 2 + 2 + 1 from evening, missing, ritual
    tied = answers(
        wish="meaning", evening="heart_to_heart", missing="understood", first_step="ritual"
    )
    scores = score(tied)
    assert scores.points == {EMO: 5, BODY: 0, MIND: 0, SPIRIT: 5}
    assert scores.leading == (EMO, SPIRIT)
    assert [row.percent for row in scores.rows()] == [50, 0, 0, 50]


def test_shares_add_up_to_100_and_leftovers_go_to_earlier_kinds():
    thirds = Scores({EMO: 1, BODY: 1, MIND: 1, SPIRIT: 0})
    assert [row.percent for row in thirds.rows()] == [34, 33, 33, 0]
    assert thirds.leading == (EMO, BODY, MIND)
    mixed = score(
        answers(wish="touch", evening="big_question", missing="time", first_step="ritual")
    )
    assert mixed.points == {EMO: 2, BODY: 4, MIND: 2, SPIRIT: 2}
    assert [row.percent for row in mixed.rows()] == [20, 40, 20, 20]
    assert sum(row.percent for row in mixed.rows()) == 100
