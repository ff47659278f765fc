"""The demo institution is realistic and can be seeded twice without duplicates."""

from __future__ import annotations

import pytest

from programs.models import FacultyProfile, Membership, Program, Role

pytestmark = pytest.mark.django_db


def test_seeding_twice_adds_no_row_of_any_kind_and_moves_nobody(demo_world):
    first, second = demo_world.first, demo_world.second
    changed = {
        model: (rows, second.rows[model])
        for model, rows in first.rows.items()
        if second.rows[model] != rows
    }
    assert not changed, f"Seeding the demo again changed these row counts: {changed}"
    assert second.memberships == first.memberships


def test_the_demo_is_realistic_and_prints_where_to_sign_in(demo_world):
    assert "admin@northbridge.example" in demo_world.output
    assert "mentor-demo-2026" in demo_world.output

    assert FacultyProfile.objects.count() >= 150
    assert Program.objects.count() >= 2
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles >= {Role.MENTEE, Role.MENTOR, Role.DIRECTOR}
    people = FacultyProfile.objects.all()
    assert people.exclude(reports_to=None).count() > 100
    assert people.values("rank").distinct().count() == 4
    assert people.values("stream").distinct().count() >= 4
    assert people.values("department").distinct().count() >= 7
