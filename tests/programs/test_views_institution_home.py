"""The institution admin's home: institution-wide counts, programs needing attention first, links
to each, and no mentee prompts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.access import concerns_for_director, programs_visible_to, risks_for_director
from programs.models import Concern
from programs.selectors.figures import institution_figures
from tests.factories import ProgramFactory
from tests.oversight_fixtures import flag_at_risk, populate

pytestmark = pytest.mark.django_db


def _home(client):
    return client.get(reverse("home"))


def test_admin_home_shows_no_mentee_prompts(admin, client_for):
    response = _home(client_for(admin))
    titles = [s.title for s in response.context["next_steps"]]
    assert titles == []
    text = response.content.decode()
    assert "Join a program" not in text
    assert "Start your self-evaluation" not in text


def test_faculty_in_no_program_still_see_join_a_program(outsider, program, client_for):
    titles = [s.title for s in _home(client_for(outsider)).context["next_steps"]]
    assert "Join a program" in titles


def test_admin_home_counts_programs_faculty_mentored_at_risk_and_concerns(
    admin, director, program, client_for
):
    made = populate(program, director, 3, meetings=1)  # the first is at risk
    Concern.objects.create(
        relationship=made[1],
        raised_by=made[1].members.first().person,
        category="credit",
        text="CONCERN-BODY",
    )
    ProgramFactory(name="Quiet program")
    response = _home(client_for(admin))
    figures = response.context["institution"]
    assert figures.programs == 2
    assert figures.mentored == 3
    assert figures.at_risk == 1
    assert figures.open_concerns == 1
    assert figures.faculty >= 6 + 2  # 3 pairs, director and admin
    text = response.content.decode()
    assert f'data-figure="mentored_share">{figures.mentored_share}%' in text
    assert "CONCERN-BODY" not in text  # counts only


def test_programs_needing_attention_come_first_with_links(admin, director, program, client_for):
    ProgramFactory(name="AAA calm program")
    flag_at_risk(populate(program, director, 1, meetings=1)[0])
    programs = _home(client_for(admin)).context["all_programs"]
    assert [p.name for p in programs] == ["Program A", "AAA calm program"]
    text = _home(client_for(admin)).content.decode()
    assert reverse("program_relationships", args=[program.pk]) + "?at_risk=1" in text
    assert reverse("programs:detail", args=[program.pk]) in text


def test_figures_agree_with_the_selector(admin, director, program):
    populate(program, director, 2, meetings=1)
    figures = institution_figures(
        programs_visible_to(admin),
        concerns=concerns_for_director(admin),
        risks=risks_for_director(admin),
    )
    assert (figures.programs, figures.mentored, figures.at_risk) == (1, 2, 1)


@pytest.mark.parametrize("who", ["mentee", "mentor", "director", "outsider"])
def test_only_admins_see_institution_figures(cast, who, client_for):
    response = _home(client_for(cast[who]))
    assert response.context["institution"] is None
    assert "Across the institution" not in response.content.decode()


def test_admin_home_query_count_is_constant(admin, director, program, client_for):
    client = client_for(admin)
    _home(client)
    with CaptureQueriesContext(connection) as one:
        assert _home(client).status_code == 200
    for n in range(6):
        populate(ProgramFactory(name=f"Program {n}"), director, 2, meetings=1)
    with CaptureQueriesContext(connection) as many:
        assert _home(client).status_code == 200
    assert len(many) == len(one)
