"""A director follows one figure across the pages in a real browser: the quiet count on the
home page, the dashboard (with its definition, in the program's numbers) and the table agree;
sorting the table by the lowest review score brings the pair whose mentee answered low to the
top; the fairness view hides a small group and its complement. axe-core checks each page."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from programs.models import AcademicRank
from tests.oversight_fixtures import answered_review
from tests.relationship_fixtures import (
    make_relationship,
    past_meeting,
    program_mentee,
    program_mentor,
)

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("MENTORSHIP_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _pair(program, director, days_old=200):
    mentee, mentor = program_mentee(program), program_mentor(program)
    relationship = make_relationship(
        program=program,
        mentees=[mentee],
        mentors=[mentor],
        by=director,
        started_on=timezone.localdate() - timedelta(days=days_old),
    )
    return relationship, mentee, mentor


def test_a_director_sees_the_same_quiet_count_everywhere_and_finds_a_low_score(
    page, live_server, login, director, program, axe
):
    program.meeting_cadence_days, program.checkin_grace_days = 30, 14
    program.save()
    _pair(program, director)  # never met: quiet
    troubled, mentee, mentor = _pair(program, director)
    past_meeting(troubled, days_ago=10)
    answered_review(troubled, mentee, score="2.0")
    answered_review(troubled, mentor, score="4.0")
    fine, fine_mentee, _ = _pair(program, director)
    past_meeting(fine, days_ago=10)
    answered_review(fine, fine_mentee, score="4.5")
    login(director)

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=re.compile(r"1\s+quiet relationship")).click()
    expect(page.get_by_role("heading", name=re.compile("dashboard"))).to_be_visible()
    expect(page.locator('[data-figure="quiet"]')).to_have_text("1")
    page.get_by_text("What these figures mean").click()
    expect(page.get_by_text(re.compile("For this program: 74 days"))).to_be_visible()
    _shot(page, "dashboard")
    axe(page, context="on the dashboard with its definitions open")

    page.get_by_role("link", name=re.compile("quiet")).first.click()
    expect(page.get_by_text("1 relationship matches the filters")).to_be_visible()
    page.get_by_label("Quiet").uncheck()
    page.get_by_label("Sort by").select_option(label="Lowest review score")
    page.get_by_role("button", name="Filter").click()
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("Mentee 2.0")
    expect(first).to_contain_text("Mentor 4.0")
    _shot(page, "table")
    axe(page, context="on the table sorted by the lowest score")


def test_the_fairness_view_hides_a_small_group_and_its_complement(
    page, live_server, login, director, program, axe
):
    junior, senior = AcademicRank.objects.order_by("order")[:2]
    for i in range(9):
        user = program_mentee(program)
        user.profile.rank = junior if i < 6 else senior
        user.profile.save()
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/matching/fairness/")
    expect(page.get_by_role("heading", name="Is access to mentoring fair?")).to_be_visible()
    table = page.get_by_role("table", name="Match rate by academic rank")
    expect(table.get_by_text(re.compile("fewer than 5 people"))).to_have_count(2)
    _shot(page, "fairness")
    axe(page, context="on the fairness view")
