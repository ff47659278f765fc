"""The pairing gate in a real browser: a director's new relationship refused with every reason,
then made deliberately; a reassignment confirmed; a stale proposal published without its
conflicting suggestions. axe-core checks each page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from matching.models import (
    ConflictOfInterest,
    MatchRun,
    MatchSuggestion,
    RunMode,
    RunStatus,
)
from programs.models import (
    FacultyProfile,
    MentorOffer,
    Relationship,
    RelationshipOutcome,
)
from tests.relationship_fixtures import make_relationship, program_mentee, program_mentor

pytestmark = pytest.mark.django_db(transaction=True)


def _named(user, given, family):
    FacultyProfile.objects.filter(user=user).update(given_name=given, family_name=family)
    user.profile.refresh_from_db()
    return user


def test_a_directors_new_relationship_is_refused_with_every_reason(
    page, live_server, login, director, program, mentee, mentor, axe
):
    _named(mentor, "Robert", "Lindqvist")
    until = timezone.localdate() + timedelta(days=40)
    MentorOffer.objects.create(person=mentor.profile, accepting=False, paused_until=until)
    mentor.profile.memberships.filter(program=program).update(mentor_capacity=0)
    ConflictOfInterest.objects.create(
        person=mentee.profile, other=program_mentor(program).profile, declared_by=mentee
    )
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/relationships/new/")
    page.locator("#rel_mentees").select_option(str(mentee.profile.pk))
    page.locator("#rel_mentors").select_option(str(mentor.profile.pk))
    page.locator("#rel_focus_area").select_option(index=1)
    page.get_by_role("button", name="Create the relationship").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text(f"Robert Lindqvist has paused until {until:%-d %B %Y}.")
    expect(summary).to_contain_text("Robert Lindqvist is full: 0 of 0 places taken in Program A.")
    expect(page.locator("#rel_mentors")).to_have_values([str(mentor.profile.pk)])
    axe(page, context="on the refused new relationship")

    page.get_by_label("Assign although the mentor has paused").check()
    page.get_by_label("Assign although the mentor is full").check()
    page.get_by_role("button", name="Create the relationship").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("Say why these rules are set")
    expect(page.get_by_label("Assign although the mentor has paused")).to_be_checked()

    page.get_by_label("Why (required when setting a rule aside)").fill(
        "Robert asked to take Maya before his sabbatical; he has room by then."
    )
    page.get_by_role("button", name="Create the relationship").click()
    expect(page.get_by_role("heading", name="Rules set aside")).to_be_visible()
    expect(page.get_by_text("he has room by then")).to_be_visible()
    axe(page, context="on the relationship with rules set aside")


def test_a_director_reassigns_after_confirming(
    page, live_server, login, director, program, mentee, mentor, axe
):
    relationship = make_relationship(
        program=program, mentees=[mentee], mentors=[mentor], by=director
    )
    nadia = _named(program_mentor(program), "Nadia", "Newmentor")
    login(director)
    page.goto(f"{live_server.url}/relationships/{relationship.pk}/")
    page.get_by_text("Reassign: replace a mentor").click()
    page.get_by_label("New mentor").select_option(label="Nadia Newmentor")
    page.get_by_label("Note for the program directors").fill("Too busy this year.")
    page.get_by_role("button", name="Review the reassignment").click()

    expect(page.get_by_role("heading", name="What happens when you confirm")).to_be_visible()
    expect(page.get_by_text("This relationship ends without fault")).to_be_visible()
    expect(page.get_by_label("Note for the program directors")).to_have_value("Too busy this year.")
    axe(page, context="on the reassignment confirmation")
    relationship.refresh_from_db()
    assert relationship.is_open

    page.get_by_role("button", name="Confirm the reassignment").click()
    expect(page.get_by_text("Nadia Newmentor now mentors in a new relationship")).to_be_visible()
    expect(page.get_by_text("continues an earlier relationship")).to_be_visible()
    successor = Relationship.objects.get(previous=relationship)
    assert successor.members.filter(person=nadia.profile).exists()
    relationship.refresh_from_db()
    assert relationship.outcome == RelationshipOutcome.REASSIGNED


def test_publishing_a_stale_proposal_lists_every_conflict_and_publishes_the_rest(
    page, live_server, login, director, program, axe
):
    mentees = [program_mentee(program) for _ in range(3)]
    mentors = [program_mentor(program) for _ in range(3)]
    run = MatchRun.objects.create(
        program=program, mode=RunMode.ONE_TO_ONE, status=RunStatus.READY, created_by=director
    )
    for mentee, mentor in zip(mentees, mentors, strict=True):
        MatchSuggestion.objects.create(
            run=run, mentee=mentee.profile, mentor=mentor.profile, score=70
        )
    # Since the proposal was computed: one mentee got a mentor by hand, one mentor paused.
    make_relationship(
        program=program, mentees=[mentees[0]], mentors=[program_mentor(program)], by=director
    )
    MentorOffer.objects.create(
        person=mentors[1].profile,
        accepting=False,
        paused_until=timezone.localdate() + timedelta(days=90),
    )
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/matching/runs/{run.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"Publish 3 relationships")).click()

    expect(page.get_by_role("heading", name="2 suggestions in conflict")).to_be_visible()
    conflicts = page.locator("[data-error-summary]")
    expect(conflicts).to_contain_text(mentees[0].profile.display_name)
    expect(conflicts).to_contain_text("gives each mentee one mentor")
    expect(conflicts).to_contain_text(f"{mentors[1].profile.display_name} has paused until")
    axe(page, context="on the publishing conflicts page")

    page.get_by_role(
        "button", name="Drop the 2 conflicting suggestions and publish the other 1"
    ).click()
    expect(page.get_by_text("Published: 1 relationship start")).to_be_visible()
    assert Relationship.objects.filter(source="match_run").count() == 1
