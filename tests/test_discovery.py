"""The crawls' own guarantee (tests/discovery.py): a page that reads a relation once per row —
an N+1, the thing each list page's query-count test guards against — comes back as a 500
naming it, so the hostile-input crawl fails on any page, for any role, that has one."""

from __future__ import annotations

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from programs.models import Relationship
from tests.discovery import crawl
from tests.relationship_fixtures import make_relationship

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_discovery")]


@login_not_required
def one_query_per_row(request):
    names = [r.program.name for r in Relationship.objects.all()]  # no select_related
    return HttpResponse(f"<p>{len(names)}</p><a href='/joined/'>joined</a>")


@login_not_required
def joined(request):
    names = [r.program.name for r in Relationship.objects.select_related("program")]
    return HttpResponse(f"<p>{len(names)}</p>")


urlpatterns = [path("per-row/", one_query_per_row), path("joined/", joined)]


@pytest.fixture
def pairs(program, mentor):
    from tests.relationship_fixtures import program_mentee

    for i in range(3):
        make_relationship(
            program=program,
            mentees=[program_mentee(program, f"z{i}@northbridge.test")],
            mentors=[mentor],
        )


def test_a_page_with_an_n_plus_one_is_a_500_and_a_joined_one_is_not(pairs):
    visits = {v.url: v.status for v in crawl(Client(raise_request_exception=False))}
    assert visits == {"/per-row/": 500, "/joined/": 200}
