"""Confidentiality in a real browser: a mentor reads a mentee's goals only from the version she
shared with them, on the relationship page and in the meeting's goal menu."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from programs.models import AssessmentShare
from tests.relationship_fixtures import submitted_assessment, upcoming_meeting

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mentor_reads_goals_only_from_the_shared_version(
    page, live_server, login, pair, mentee, mentor, axe
):
    shared = submitted_assessment(mentee, goals=("Submit the K award",), version=1)
    AssessmentShare.objects.create(assessment=shared, shared_with=mentor.profile)
    submitted_assessment(mentee, goals=("Leave academic medicine",), version=2)
    meeting = upcoming_meeting(pair)

    login(mentor)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    goals = page.get_by_role("region", name="Goals and progress")
    expect(goals).to_contain_text("Submit the K award")
    expect(goals).not_to_contain_text("Leave academic medicine")
    axe(page, context="on the mentor's relationship page")

    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    menu = page.get_by_role("region", name="Agenda").get_by_label("Linked goal (optional)")
    expect(menu).to_contain_text("Submit the K award")
    expect(menu).not_to_contain_text("Leave academic medicine")
    expect(page.locator("body")).not_to_contain_text("Leave academic medicine")
    axe(page, context="on the mentor's meeting page")
