"""The shared cast every permission test uses:

- `mentee` and `mentor`: members of program A;
- `director`: directs program A; `other_director`: directs program B;
- `admin`: an institution admin; `outsider`: a faculty member in no program.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from hypothesis import settings as hypothesis_settings

from programs.models import Role
from tests.assessment_factories import ensure_reference_data
from tests.factories import MembershipFactory, ProgramFactory, person
from tests.idps.fixtures import oidc_idp, saml_idp  # noqa: F401 - real IdP processes (session)

# Relationship fixtures (pair, group) live in their own module; helpers are imported directly.
pytest_plugins = ["tests.relationship_fixtures"]

# Live-server browser tests call the ORM from Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Property tests explore new examples on each run locally; CI (`HYPOTHESIS_PROFILE=ci`, set by
# .ci/run) runs the same examples every time, so a verdict does not depend on the draw. Loaded
# here, before the test modules build their own settings on top of it.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("HYPOTHESIS_PROFILE"):
    hypothesis_settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


# `MENTORSHIP_TEST_CLOCK=HH:MM` runs the whole session with the clock moved to that time (UTC) of
# today, still ticking: CI runs the suite at 00:30 and 23:30 UTC, the hours when "today" in UTC and
# "today" in a viewer's zone differ, so a test that reads the real clock unfrozen fails there
# rather than only in the evening.
_session_clock: time_machine.travel | None = None


def shifted_clock(value: str) -> dt.datetime:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
    if not match:
        raise pytest.UsageError(f"MENTORSHIP_TEST_CLOCK must be HH:MM (UTC), not {value!r}")
    today = dt.datetime.now(dt.UTC).date()
    return dt.datetime.combine(today, dt.time(int(match[1]), int(match[2])), tzinfo=dt.UTC)


def pytest_configure(config: pytest.Config) -> None:
    global _session_clock
    value = os.environ.get("MENTORSHIP_TEST_CLOCK")
    if value:
        _session_clock = time_machine.travel(shifted_clock(value), tick=True)
        _session_clock.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _session_clock
    if _session_clock is not None:
        _session_clock.stop()
        _session_clock = None


def pytest_report_header(config: pytest.Config) -> str | None:
    value = os.environ.get("MENTORSHIP_TEST_CLOCK")
    return f"clock: moved to {shifted_clock(value):%Y-%m-%d %H:%M} UTC (ticking)" if value else None


@pytest.fixture
def midday():
    """The clock frozen at noon UTC today, when every zone from UTC−11 to UTC+11 shares UTC's date:
    for tests that compare a date taken in UTC with the app's "today" in the viewer's zone. List
    it before the fixtures that create rows, so they are made at that time too."""
    noon = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(12), tzinfo=dt.UTC)
    with time_machine.travel(noon, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def reference_data(request):
    """Transactional (browser and service) tests end with a flush, which also empties the ranks,
    streams and need areas seeded by migration 0002; put them back for every database test."""
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        ensure_reference_data()


@pytest.fixture
def program(db):
    return ProgramFactory(name="Program A")


@pytest.fixture
def other_program(db):
    return ProgramFactory(name="Program B")


@pytest.fixture
def mentee(program):
    profile = person("mentee@northbridge.test", given_name="Maya", family_name="Mentee")
    MembershipFactory(program=program, person=profile, role=Role.MENTEE)
    return profile.user


@pytest.fixture
def mentor(program):
    profile = person(
        "mentor@northbridge.test",
        given_name="Robert",
        family_name="Mentor",
        year_joined_faculty=2005,
    )
    MembershipFactory(program=program, person=profile, role=Role.MENTOR, mentor_capacity=3)
    return profile.user


@pytest.fixture
def director(program):
    profile = person("director@northbridge.test", given_name="Helen", family_name="Director")
    MembershipFactory(program=program, person=profile, role=Role.DIRECTOR)
    return profile.user


@pytest.fixture
def other_director(other_program):
    profile = person("other.director@northbridge.test", given_name="Otto", family_name="Other")
    MembershipFactory(program=other_program, person=profile, role=Role.DIRECTOR)
    return profile.user


@pytest.fixture
def admin(db):
    profile = person("admin@northbridge.test", given_name="Aisha", family_name="Admin")
    profile.user.is_institution_admin = True
    profile.user.save(update_fields=["is_institution_admin"])
    return profile.user


@pytest.fixture
def outsider(db):
    return person("outsider@northbridge.test", given_name="Oskar", family_name="Outsider").user


@pytest.fixture
def cast(mentee, mentor, director, other_director, admin, outsider):
    return {
        "mentee": mentee,
        "mentor": mentor,
        "director": director,
        "other_director": other_director,
        "admin": admin,
        "outsider": outsider,
    }


@pytest.fixture
def client_for(db) -> Callable[[object], Client]:
    def make(user: object) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make
