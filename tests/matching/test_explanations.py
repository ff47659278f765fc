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
