"""Nothing a person typed is rendered unescaped, and names refuse markup, spreadsheet formulas
and text-direction overrides on every path: the app's forms, the Django admin (reference data)
and roster import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from programs.models import AcademicRank, Department, NeedArea
from programs.services.roster import roster_plan
from tests.assessment_factories import draft
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>document.title='owned'</script>"
RLO_NAME = "Smith\u202eevil"

HOSTILE_NAMES = {
    "<b>Boss</b>": "remove the HTML tags",
    '=HYPERLINK("http://x")': "cannot start with =, +, - or @",
    "@SUM(A1)": "cannot start with =, +, - or @",
    RLO_NAME: "text-direction characters",
}


@pytest.fixture
def staff(admin):
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    return admin


def test_markup_already_stored_in_a_need_area_is_shown_as_text(client_for, mentee):
    """Data that predates the validators (or came in any other way) is still escaped."""
    NeedArea.objects.filter(slug="research").update(description=SCRIPT)
    assessment = draft(mentee.profile)
    html = (
        client_for(mentee)
        .get(reverse("assessments:step", args=[assessment.pk, "needs"]))
        .content.decode()
    )
    assert SCRIPT not in html
    assert "&lt;script&gt;document.title=&#x27;owned&#x27;&lt;/script&gt;" in html


@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES.items())
def test_the_django_admin_refuses_hostile_reference_names(client_for, staff, name, message):
    response = client_for(staff).post(
        reverse("admin:programs_academicrank_add"), {"name": name, "order": "7", "is_active": "on"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AcademicRank.objects.filter(order=7).exists()


def test_the_django_admin_refuses_markup_in_a_need_area_description(client_for, staff):
    response = client_for(staff).post(
        reverse("admin:programs_needarea_add"),
        {"name": "Grants", "slug": "grants", "description": SCRIPT, "order": "3"},
    )
    assert "remove the HTML tags" in response.content.decode()
    assert not NeedArea.objects.filter(slug="grants").exists()


def test_the_django_admin_refuses_hostile_department_names(client_for, staff):
    institution = InstitutionFactory()
    response = client_for(staff).post(
        reverse("admin:programs_department_add"),
        {"institution": institution.pk, "name": "=cmd|' /C calc'!A0"},
    )
    assert "cannot start with" in response.content.decode()
    assert not Department.objects.exists()


@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES.items())
def test_the_profile_form_refuses_hostile_names(client_for, mentee, name, message):
    profile = mentee.profile
    response = client_for(mentee).post(
        reverse("profile_edit"),
        {
            "given_name": name,
            "family_name": "Mentee",
            "time_zone": "America/Toronto",
            "year_joined_faculty": "2015",
            "rank": profile.rank_id or "",
            "stream": profile.stream_id or "",
            "department": profile.department_id or "",
        },
    )
    html = response.content.decode()
    assert message in html
    profile.refresh_from_db()
    assert profile.given_name == "Maya"


@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES.items())
def test_roster_import_refuses_what_every_form_refuses(admin, name, message):
    institution = InstitutionFactory()
    Department.objects.create(institution=institution, name="Medicine")
    rank = AcademicRank.objects.order_by("order").first()
    row = {
        "row": 2,
        "email": "new.person@northbridge.test",
        "given_name": name,
        "family_name": "Silva",
        "department": "Medicine",
        "rank": rank.name,
        "stream": "Clinician scientist",
    }
    plan = roster_plan(
        rows=[row], columns=list(row)[1:], program=None, institution=institution, by=admin
    )
    assert plan.has_errors
    assert message in " ".join(plan.rows[0].errors["given_name"])


ALLOWED_SAFE = {
    # Trusted, developer-written SVG whose every interpolated text is escaped first.
    "mentorship/charts.py",
}


def test_no_template_or_module_marks_typed_data_safe():
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in (root / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"\|\s*safe\b|{%\s*autoescape\s+off", text):
            offenders.append(str(path.relative_to(root)))
    for package in ("programs", "matching", "mentorship"):
        for path in (root / package).rglob("*.py"):
            rel = str(path.relative_to(root))
            if "migrations" in rel or rel in ALLOWED_SAFE:
                continue
            if re.search(r"\bmark_safe\(|SafeString\(", path.read_text()):
                offenders.append(rel)
    assert offenders == []
