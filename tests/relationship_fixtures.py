"""Helpers and fixtures for relationship tests, on top of the shared cast in conftest.

Import the fixtures you use by name (`from tests.relationship_fixtures import pair`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from programs.models import (
    AssessmentStatus,
    Goal,
    Meeting,
    MeetingStatus,
    MentoringNeed,
    NeedArea,
    Program,
    Relationship,
    RelationshipKind,
    RelationshipSource,
    Role,
    SelfAssessment,
)
from programs.services.pairing import Overrides
from programs.services.relationships import relationship_create
from tests.factories import MembershipFactory, person

# For tests that need many pairs around one person (query counts): deliberately past the load
# and one-mentor rules, as a director would do with a reason.
MANY_PAIRS = Overrides.of(
    ["capacity", "one_mentor_per_mentee"], "Many pairs around one person for a query-count test."
)


def senior_facilitator(profile: Any) -> Any:
    """Long enough on the faculty to facilitate the factory's members (who joined in 2020)."""
    if profile.year_joined_faculty is None or profile.year_joined_faculty > 1995:
        profile.year_joined_faculty = 1995
        profile.save(update_fields=["year_joined_faculty"])
    return profile


def make_relationship(
    *,
    program: Program,
    mentees: list[Any],
    mentors: Sequence[Any] = (),
    facilitator: Any = None,
    kind: str = RelationshipKind.ONE_TO_ONE,
    by: Any = None,
    **kwargs: Any,
) -> Relationship:
    """Users or profiles in; a relationship out (no welcome emails unless asked)."""

    def profile(x: Any) -> Any:
        return getattr(x, "profile", x)

    kwargs.setdefault("notify", False)
    kwargs.setdefault("source", RelationshipSource.MANUAL)
    if facilitator is not None:
        senior_facilitator(profile(facilitator))
    return relationship_create(
        program=program,
        kind=kind,
        mentees=[profile(m) for m in mentees],
        mentors=[profile(m) for m in mentors],
        facilitator=profile(facilitator) if facilitator else None,
        by=by,
        **kwargs,
    )


def program_mentee(program: Program, email: str | None = None, **fields: Any) -> Any:
    profile = person(email, **fields)
    MembershipFactory(program=program, person=profile, role=Role.MENTEE)
    return profile.user


def program_mentor(program: Program, email: str | None = None, capacity: int = 3) -> Any:
    profile = person(email)
    MembershipFactory(program=program, person=profile, role=Role.MENTOR, mentor_capacity=capacity)
    return profile.user


def submitted_assessment(
    user: Any,
    *,
    needs: tuple[str, ...] = ("research", "promotion"),
    goals: tuple[str, ...] = ("Submit a K award", "Publish two first-author papers"),
    roles: tuple[str, ...] = ("sponsor", "coach"),
    version: int = 1,
) -> SelfAssessment:
    assessment = SelfAssessment.objects.create(
        person=user.profile,
        version=version,
        status=AssessmentStatus.SUBMITTED,
        submitted_at=timezone.now(),
        roles_wanted=list(roles),
    )
    for slug in needs:
        area, _ = NeedArea.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
        MentoringNeed.objects.create(assessment=assessment, area=area)
    for order, text in enumerate(goals):
        Goal.objects.create(assessment=assessment, horizon="short", text=text, order=order)
    return assessment


def past_meeting(relationship: Relationship, *, days_ago: int = 7, **fields: Any) -> Meeting:
    """A meeting that already took place, created directly (services refuse past schedules)."""
    fields.setdefault("status", MeetingStatus.HELD)
    return Meeting.objects.create(
        relationship=relationship,
        starts_at=timezone.now() - timedelta(days=days_ago),
        duration_minutes=60,
        time_zone="America/Toronto",
        **fields,
    )


def upcoming_meeting(relationship: Relationship, *, days_ahead: int = 7, **fields: Any) -> Meeting:
    return Meeting.objects.create(
        relationship=relationship,
        starts_at=timezone.now() + timedelta(days=days_ahead),
        duration_minutes=60,
        time_zone="America/Toronto",
        **fields,
    )


@pytest.fixture
def pair(mentee, mentor, director, program) -> Relationship:
    """A one-to-one relationship between the cast's mentee and mentor in program A, started a
    month ago."""
    return make_relationship(
        program=program,
        mentees=[mentee],
        mentors=[mentor],
        by=director,
        started_on=timezone.localdate() - timedelta(days=30),
    )


@pytest.fixture
def group(mentor, director, program) -> Relationship:
    """A facilitated group of three mentees with the cast's mentor as facilitator."""
    mentees = [program_mentee(program, f"group{i}@northbridge.test") for i in range(3)]
    return make_relationship(
        program=program,
        kind=RelationshipKind.FACILITATED_GROUP,
        mentees=mentees,
        facilitator=mentor,
        by=director,
        started_on=timezone.localdate() - timedelta(days=30),
    )
