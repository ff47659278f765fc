"""The demo gives directors a lively dashboard: reviews answered, some pairs at risk, quiet
ones, people waiting."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from programs.models import FacultyProfile, Program, RelationshipRisk, ReviewResponse

pytestmark = pytest.mark.django_db


def test_the_demo_dashboard_is_lively(demo_world):
    assert ReviewResponse.objects.count() >= 10
    assert RelationshipRisk.objects.count() >= 1
    director = FacultyProfile.objects.get(user__email="director@northbridge.example").user
    program = Program.objects.get(name="Junior Faculty Mentoring Program")
    client = Client()
    client.force_login(director)
    d = client.get(reverse("program_dashboard", args=[program.pk])).context["d"]
    assert d.at_risk_total >= 1
    assert d.quiet_total >= 1
    assert d.reviews_done > 0
    assert d.unmatched_total >= 1
