"""Reading a program's matching problem: who is in it, and which pairs are excluded and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from matching.engine.scoring import exclusion_reasons, score_pairs
from matching.models import ConflictOfInterest, PairRule, PairRuleKind
from matching.sources import load_problem
from programs.models import Department, Division, Role
from tests.factories import MembershipFactory, person
from tests.matching.conftest import offer
from tests.relationship_fixtures import make_relationship, program_mentor
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def reasons(program, mentee, mentor):
    problem = load_problem(
        program=program, mentee_ids=[mentee.profile.pk], mentor_ids=[mentor.profile.pk]
    )
    return exclusion_reasons(problem.features, 0, 0)


def test_a_fitting_pair_is_eligible_and_scored(program, ready_mentee, ready_mentor):
    problem = load_problem(program=program)
    assert problem.mentee_ids == [ready_mentee.profile.pk]
    assert problem.mentor_ids == [ready_mentor.profile.pk]
    scored = score_pairs(problem.features)
    assert scored.eligible[0, 0]
    assert 50 < scored.scores[0, 0] <= 100


def test_the_mentees_boss_is_excluded_as_reporting_line(program, mentee, mentor):
    mentee.profile.reports_to = mentor.profile
    mentee.profile.save()
    assert reasons(program, mentee, mentor) == ["reporting_line"]


def test_an_indirect_supervisor_is_excluded(program, mentee, mentor):
    chief = person()
    mentee.profile.reports_to = chief
    mentee.profile.save()
    chief.reports_to = mentor.profile
    chief.save()
    assert reasons(program, mentee, mentor) == ["reporting_line"]


def test_department_heads_and_division_chiefs_are_excluded(program, mentee, mentor):
    department = Department.objects.create(
        institution=mentee.profile.institution, name="Medicine", head=mentor.profile
    )
    mentee.profile.department = department
    mentee.profile.save()
    assert reasons(program, mentee, mentor) == ["reporting_line"]
    other_mentor = program_mentor(program)
    division = Division.objects.create(
        department=department, name="GIM", chief=other_mentor.profile
    )
    mentee.profile.division = division
    mentee.profile.save()
    assert reasons(program, mentee, other_mentor) == ["reporting_line"]


def test_a_declared_conflict_excludes_both_ways(program, mentee, mentor):
    ConflictOfInterest.objects.create(person=mentor.profile, other=mentee.profile)
    assert reasons(program, mentee, mentor) == ["conflict_of_interest"]


def test_a_pair_that_ended_before_is_excluded_unless_a_director_allows_it(
    program, mentee, mentor, director
):
    relationship = make_relationship(program=program, mentees=[mentee], mentors=[mentor])
    from programs.services.relationships import relationship_end

    relationship_end(relationship=relationship, by=mentee)
    assert reasons(program, mentee, mentor) == ["ended_before"]
    PairRule.objects.create(
        program=program, mentee=mentee.profile, mentor=mentor.profile, kind=PairRuleKind.ALLOW_AGAIN
    )
    assert reasons(program, mentee, mentor) == []


def test_a_forbidden_pair_is_excluded(program, mentee, mentor):
    PairRule.objects.create(
        program=program, mentee=mentee.profile, mentor=mentor.profile, kind=PairRuleKind.FORBID
    )
    assert reasons(program, mentee, mentor) == ["forbidden"]


def test_a_full_mentor_has_no_capacity(program, mentee, mentor):
    membership = mentor.profile.memberships.get(program=program)
    membership.mentor_capacity = 1
    membership.save()
    other = person()
    MembershipFactory(program=program, person=other, role=Role.MENTEE)
    make_relationship(program=program, mentees=[other], mentors=[mentor])
    assert reasons(program, mentee, mentor) == ["no_capacity"]


def test_a_paused_mentor_is_unavailable_until_the_pause_ends(program, mentee, mentor):
    offer(mentor, accepting=False, paused_until=timezone.localdate() + timedelta(days=10))
    assert reasons(program, mentee, mentor) == ["no_capacity"]
    offer(mentor, accepting=False, paused_until=timezone.localdate() - timedelta(days=1))
    assert reasons(program, mentee, mentor) == []


def test_a_local_only_mentor_is_excluded_for_a_remote_mentee(program, mentee, mentor):
    from tests.factories import InstitutionFactory

    offer(mentor, mentors_remotely=False)
    mentee.profile.institution = InstitutionFactory(name="Lakeside", email_domains=[])
    mentee.profile.save()
    assert reasons(program, mentee, mentor) == ["no_remote"]


def test_loading_runs_a_fixed_number_of_queries(program, ready_mentee, ready_mentor):
    few = count_queries(lambda: load_problem(program=program))
    for _ in range(15):
        m = person()
        MembershipFactory(program=program, person=m, role=Role.MENTEE)
        offer(program_mentor(program))
    assert count_queries(lambda: load_problem(program=program)) == few
