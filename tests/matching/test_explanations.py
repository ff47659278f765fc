"""Breakdowns in plain words that add up to the score."""

from __future__ import annotations

import pytest

from matching.engine.scoring import score_pairs
from matching.explanations import explain_pairs
from matching.sources import load_problem
from programs.services.people import topics_get_or_create

pytestmark = pytest.mark.django_db


def test_the_breakdown_explains_and_adds_up(program, ready_mentee, ready_mentor):
    mentee, mentor = ready_mentee.profile, ready_mentor.profile
    shared = topics_get_or_create(["Health equity", "Qualitative methods"])
    mentee.interests.set(shared)
    mentor.expertise.set(shared)
    mentee.communication_modes = ["video", "email"]
    mentee.year_joined_faculty, mentor.year_joined_faculty = 2021, 2009
    mentor.communication_modes = ["video"]
    mentee.save()
    mentor.save()
    problem = load_problem(program=program)
    (breakdown,) = explain_pairs(problem, [(0, 0)])
    sentences = {item["criterion"]: item["sentence"] for item in breakdown}
    assert sentences["needs"] == "Covers all 2 of your need areas (Research and Promotion)."
    assert sentences["interests"] == "Shares 2 interests: Health equity and Qualitative methods."
    assert sentences["communication"] == "Prefers video, as you do."
    assert "about half a generation" in sentences["career_stage"]
    assert sentences["locality"].startswith("Same institution — good for Promotion")
    score = score_pairs(problem.features).scores[0, 0]
    assert sum(item["points"] for item in breakdown) == pytest.approx(score, abs=0.5)


def test_directors_read_about_the_mentee_not_to_them(program, ready_mentee, ready_mentor):
    mentee = ready_mentee.profile
    mentee.communication_modes = ["video"]
    mentee.save()
    ready_mentor.profile.communication_modes = ["video"]
    ready_mentor.profile.save()
    problem = load_problem(program=program)
    (breakdown,) = explain_pairs(problem, [(0, 0)], about_the_mentee=True)
    sentences = {item["criterion"]: item["sentence"] for item in breakdown}
    assert sentences["needs"] == "Covers all 2 of the mentee's need areas (Research and Promotion)."
    assert sentences["communication"] == "Prefers video, as the mentee does."
    for item in breakdown:
        assert " you" not in item["sentence"].lower()
        assert "your" not in item["sentence"].lower()
        assert item["points"] <= item["max_points"]


def test_every_sentence_template_has_a_third_person_form():
    from matching.engine.explain import EXCLUSION_SENTENCES, about_the_mentee

    for sentence in EXCLUSION_SENTENCES.values():
        rewritten = about_the_mentee(sentence).lower()
        assert " you" not in f" {rewritten}", rewritten
        assert "your" not in rewritten, rewritten


def test_a_criterions_points_never_show_above_its_maximum():
    from django.template.loader import render_to_string

    breakdown = [
        {
            "criterion": "needs",
            "label": "Need areas",
            "points": 4.2,
            "max_points": 4.2,
            "sentence": "Covers all of the mentee's need areas.",
        }
    ]
    html = render_to_string("matching/_breakdown.html", {"score": 4.2, "breakdown": breakdown})
    assert "4.2 <span" in html
    assert "/ 4.2<" in html
    assert "/ 4<" not in html


def test_whole_maximums_show_without_decimals():
    from django.template.loader import render_to_string

    item = {"criterion": "needs", "label": "Need areas", "points": 30, "max_points": 30.0}
    html = render_to_string("matching/_breakdown.html", {"score": 30, "breakdown": [item]})
    assert "/ 30<" in html
