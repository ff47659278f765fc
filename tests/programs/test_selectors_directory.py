"""Reporting-line conflicts (issue 14): one rule — supervisor and above, division chief,
department head — refuses new pairs and lists current pairs a directory change put in conflict."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.access import relationships_overseen_by
from programs.selectors.directory import reporting_line_conflicts
from tests.factories import DivisionFactory, person
from tests.relationship_fixtures import make_relationship, program_mentee, program_mentor

pytestmark = pytest.mark.django_db


def conflicts_for(director, program):
    return reporting_line_conflicts(
        relationships=relationships_overseen_by(director).filter(program=program)
    )


def test_a_mentor_made_the_mentees_division_chief_is_listed_for_the_director(
    program, mentee, mentor, director, client_for
):
    make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    assert conflicts_for(director, program) == []
    division = DivisionFactory(chief=mentor.profile)
    mentee.profile.division = division
    mentee.profile.department = division.department
    mentee.profile.save()
    [conflict] = conflicts_for(director, program)
    assert (conflict.mentor, conflict.mentee, conflict.how) == (
        mentor.profile,
        mentee.profile,
        "division chief",
    )
    page = client_for(director).get(reverse("programs:members", args=[program.pk]))
    html = page.content.decode()
    assert "Robert Mentor is Maya Mentee's division chief" in html


def test_a_department_head_or_a_manager_further_up_is_a_conflict_too(
    program, mentee, mentor, director
):
    make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    boss = person(given_name="Bea", family_name="Boss")
    mentee.profile.reports_to = boss
    mentee.profile.save()
    boss.reports_to = mentor.profile
    boss.save()
    [conflict] = conflicts_for(director, program)
    assert conflict.how == "manager further up the reporting line"
    boss.reports_to = None
    boss.save()
    department = DivisionFactory().department
    department.head = mentor.profile
    department.save()
    mentee.profile.department = department
    mentee.profile.save()
    assert [c.how for c in conflicts_for(director, program)] == ["department head"]


def test_new_pairs_are_refused_by_the_same_rule(program, mentee, mentor, director):
    division = DivisionFactory(chief=mentor.profile)
    mentee.profile.division = division
    mentee.profile.save()
    with pytest.raises(ValidationError, match=r"reporting line \(their division chief\)"):
        make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)


def test_the_conflict_list_reads_in_a_fixed_number_of_queries(program, director):
    def pairs(n):
        for _ in range(n):
            mentee, mentor = program_mentee(program), program_mentor(program)
            make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
            mentee.profile.reports_to = mentor.profile
            mentee.profile.save()

    pairs(1)
    conflicts_for(director, program)  # the director's roles are read once and kept
    with CaptureQueriesContext(connection) as one:
        assert len(conflicts_for(director, program)) == 1
    pairs(4)
    with CaptureQueriesContext(connection) as many:
        assert len(conflicts_for(director, program)) == 5
    assert len(many) == len(one)
