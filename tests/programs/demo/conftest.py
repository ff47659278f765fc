"""The demo institution, seeded once for every test of this folder.

Seeding takes seconds and every test here used to seed it twice (the second time to show
nothing changes), in each of CI's three runs of the suite. The package's tests now share one
demo, seeded through the `seed_demo` command and then seeded again, inside a transaction that
is rolled back when the last of them ends; each test still runs in its own savepoint, so what
one test writes (an export, a page view) never reaches the next.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from programs.demo.institution import seed_demo
from tests.assessment_factories import ensure_reference_data


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, int]  # every model's row count
    memberships: list[tuple[str, str, str]]  # (program, person's email, role), sorted


@dataclass(frozen=True)
class SeededDemo:
    output: str  # what `manage.py seed_demo` printed the first time
    first: Snapshot  # after the first seeding
    second: Snapshot  # ... and after seeding again


def snapshot() -> Snapshot:
    from programs.models import Membership

    return Snapshot(
        rows={model._meta.label: model._default_manager.count() for model in apps.get_models()},
        memberships=sorted(
            Membership.objects.values_list("program__name", "person__user__email", "role")
        ),
    )


@pytest.fixture(scope="package")
def seeded_demo(django_db_setup, django_db_blocker) -> Iterator[SeededDemo]:
    with django_db_blocker.unblock(), transaction.atomic():
        # A transactional test earlier in the session may have flushed the reference data.
        ensure_reference_data()
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        first = snapshot()
        seed_demo()
        yield SeededDemo(output=out.getvalue(), first=first, second=snapshot())
        transaction.set_rollback(True)


@pytest.fixture
def demo_world(seeded_demo, db) -> SeededDemo:
    """The shared demo, inside this test's own savepoint."""
    return seeded_demo
