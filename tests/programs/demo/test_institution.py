"""The demo institution is realistic and can be seeded twice without duplicates."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from programs.models import FacultyProfile, Membership, Program, Role

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        FacultyProfile.objects.count(),
        Program.objects.count(),
        sorted(Membership.objects.values_list("program__name", "person__user__email", "role")),
    )


def test_the_demo_is_realistic_and_idempotent(capsys):
    call_command("seed_demo")
    first = snapshot()
    out = capsys.readouterr().out
    assert "admin@northbridge.example" in out
    assert "mentor-demo-2026" in out

    faculty, programs, memberships = first
    assert faculty >= 150
    assert programs >= 2
    assert {role for *_, role in memberships} >= {Role.MENTEE, Role.MENTOR, Role.DIRECTOR}
    people = FacultyProfile.objects.all()
    assert people.exclude(reports_to=None).count() > 100
    assert people.values("rank").distinct().count() == 4
    assert people.values("stream").distinct().count() >= 4
    assert people.values("department").distinct().count() >= 7

    call_command("seed_demo")
    assert snapshot() == first
