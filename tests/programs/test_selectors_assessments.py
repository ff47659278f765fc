"""Reading self-evaluations: latest versions, states, re-assessment dates and comparisons."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from programs.models import GoalStatus, NeedArea, Program, SelfAssessment
from programs.selectors.assessments import (
    ADDED,
    CHANGED,
    REMOVED,
    SAME,
    AssessmentState,
    add_months,
    answered_steps,
    assessment_states,
    assessment_with_parts,
    compare_assessments,
    latest_submitted_assessments,
    program_needs_summary,
    reassessment_due,
)
from programs.services.assessments import (
    assessment_autosave,
    assessment_start_draft,
    assessment_submit,
)
from tests.assessment_factories import draft, goal, submitted

pytestmark = pytest.mark.django_db


def test_latest_submitted_versions_one_per_person(mentee, mentor):
    submitted(mentee.profile)
    v2 = submitted(mentee.profile)
    other = submitted(mentor.profile)
    assessment_start_draft(person=mentee.profile, by=mentee)
    latest = latest_submitted_assessments(person_ids=[mentee.profile.pk, mentor.profile.pk])
    assert set(latest) == {v2, other}


def test_states_tell_completed_drafts_and_not_started(mentee, mentor, outsider):
    version = submitted(mentee.profile)
    new_draft = assessment_start_draft(person=mentee.profile, by=mentee)
    draft(mentor.profile)
    states = assessment_states(
        person_ids=[mentee.profile.pk, mentor.profile.pk, outsider.profile.pk]
    )
    assert states[mentee.profile.pk] == AssessmentState(
        latest_pk=version.pk,
        latest_version=1,
        latest_submitted_at=version.submitted_at,
        draft_pk=new_draft.pk,
        draft_step=1,
    )
    assert not states[mentor.profile.pk].completed
    assert states[mentor.profile.pk].draft_pk is not None
    assert outsider.profile.pk not in states


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 15), 12, date(2026, 11, 15)),
        (date(2025, 12, 1), 3, date(2026, 3, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_reassessment_is_due_after_the_shortest_program_interval():
    submitted_at = timezone.now() - timedelta(days=200)
    state = AssessmentState(latest_pk=1, latest_version=1, latest_submitted_at=submitted_at)
    yearly, half_yearly, never = (
        Program(reassessment_months=12),
        Program(reassessment_months=6),
        Program(reassessment_months=None),
    )
    assert reassessment_due(state=state, programs=[yearly, never]) is None
    assert reassessment_due(state=state, programs=[yearly, half_yearly]) is not None
    assert reassessment_due(state=AssessmentState(), programs=[half_yearly]) is None


def test_answered_steps(mentee):
    assessment = draft(mentee.profile, mission="x", goals=[goal("long", "Lead")])
    assessment = assessment_with_parts(pk=assessment.pk)
    assert answered_steps(assessment) == {"mission", "goals"}


def test_the_comparison_follows_goals_by_lineage(mentee):
    research, leadership = NeedArea.objects.filter(slug__in=["research", "leadership"])
    v1 = submitted(
        mentee.profile,
        goals=[goal("short", "Grant"), goal("short", "Paper"), goal("long", "Lead")],
        needs={research.pk: 1, leadership.pk: 2},
        roles_wanted=["coach"],
    )
    v2 = assessment_start_draft(person=mentee.profile, by=mentee)
    grant = v2.goals.get(text="Grant")
    lead = v2.goals.get(text="Lead")
    v2 = assessment_autosave(
        assessment=v2,
        revision=v2.revision,
        by=mentee,
        data={
            "goals": [
                goal("short", "Grant", lineage=str(grant.lineage), status=GoalStatus.ACHIEVED),
                goal("short", "Course"),
                goal("long", "Lead", lineage=str(lead.lineage)),
            ],
            "needs": {research.pk: 3},
            "roles_wanted": ["coach", "sponsor"],
            "mission": "Changed",
        },
    )
    assessment_submit(assessment=v2, by=mentee)
    comparison = compare_assessments(
        assessment_with_parts(pk=v1.pk), assessment_with_parts(pk=v2.pk)
    )
    kinds = {(g.before or g.after).text: g.kind for g in comparison.goals}
    assert kinds == {"Grant": CHANGED, "Course": ADDED, "Paper": REMOVED, "Lead": SAME}
    assert next(g for g in comparison.goals if g.kind == CHANGED).changed_labels == ["status"]
    assert {n.area: n.kind for n in comparison.needs} == {
        "Research": CHANGED,
        "Leadership": REMOVED,
    }
    roles = comparison.lists[0]
    assert (roles.added, roles.removed) == (["Sponsor"], [])
    texts = {t.field: t.kind for t in comparison.texts}
    assert texts["mission"] == CHANGED
    assert texts["strengths"] == SAME


def test_the_needs_summary_counts_latest_versions_only(director, program, mentee):
    research = NeedArea.objects.get(slug="research")
    submitted(mentee.profile, needs={research.pk: 1})
    submitted(mentee.profile, needs={research.pk: 3})
    summary = program_needs_summary(program=program)
    row = next(a for a in summary.areas if a.area == research)
    assert (row.high, row.medium, row.low) == (0, 0, 1)
    assert summary.completed == 1
    assert summary.mentees[0].summary.version == 2


def test_the_needs_summary_never_loads_reflections(program, mentee):
    submitted(mentee.profile)
    summary = program_needs_summary(program=program)
    assessment = SelfAssessment.objects.get(pk=summary.mentees[0].summary.pk)
    assert assessment.mission  # it exists, but the summary does not carry it
    assert not hasattr(summary.mentees[0].summary, "mission")
