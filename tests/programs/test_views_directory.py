"""The directory pages (issue 14): admins keep departments, divisions, heads, chiefs and
supervisors, choosing people with a type-ahead search rather than a list of everyone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import AuditEvent, Department, Division
from tests.factories import DepartmentFactory, person

pytestmark = pytest.mark.django_db


def test_the_people_search_suggests_a_few_matching_faculty_to_admins_only(
    client_for, admin, mentee, mentor, director
):
    url = reverse("institution:people_search")
    html = client_for(admin).get(url, {"head": "maya men"}).content.decode()
    assert "Maya Mentee" in html
    assert 'data-pick="Maya Mentee &lt;mentee@northbridge.test&gt;"' in html
    assert "Robert" not in html
    for n in range(12):
        person(given_name="Many", family_name=f"Namesake{n}")
    assert client_for(admin).get(url, {"q": "namesake"}).content.decode().count("<li") == 10
    assert "No faculty match" in client_for(admin).get(url, {"q": "zzzz"}).content.decode()
    assert client_for(director).get(url, {"q": "maya"}).status_code == 403


def test_an_admin_adds_a_department_with_its_head(client_for, admin, mentor):
    client = client_for(admin)
    page = client.get(reverse("institution:directory")).content.decode()
    assert "data-people-picker" in page
    assert "js/people_picker.js" in page
    assert "<select" not in page  # no list of every faculty member
    bad = client.post(
        reverse("institution:directory"), {"name": "Surgery", "head": "nobody@northbridge.test"}
    )
    html = bad.content.decode()
    assert "Nobody on the faculty list has the email “nobody@northbridge.test”" in html
    assert 'value="Surgery"' in html  # nothing typed is lost
    assert not Department.objects.exists()
    response = client.post(
        reverse("institution:directory"),
        {"name": "Surgery", "head": "Robert Mentor <mentor@northbridge.test>"},
    )
    assert response.status_code == 302
    department = Department.objects.get()
    assert department.head == mentor.profile
    assert AuditEvent.objects.filter(verb="department.save").exists()


def test_a_department_gets_divisions_with_chiefs(client_for, admin, mentor):
    department = DepartmentFactory(name="Medicine")
    url = reverse("institution:department_edit", args=[department.pk])
    client = client_for(admin)
    response = client.post(
        url,
        {"form": "division", "division-name": "Cardiology", "division-chief": mentor.email},
    )
    assert response.status_code == 302
    division = Division.objects.get()
    assert (division.name, division.chief) == ("Cardiology", mentor.profile)
    again = client.post(url, {"form": "division", "division-name": "cardiology"})
    assert "already has a division called" in again.content.decode()
    edit = reverse("institution:division_edit", args=[division.pk])
    assert client.post(edit, {"name": "Cardiology", "chief": ""}).status_code == 302
    division.refresh_from_db()
    assert division.chief is None


def test_a_supervisor_is_set_and_cycles_are_refused(client_for, admin, mentee, mentor):
    client = client_for(admin)
    url = reverse("institution:supervisor_edit", args=[mentee.profile.pk])
    assert client.post(url, {"supervisor": mentor.email}).status_code == 302
    mentee.profile.refresh_from_db()
    assert mentee.profile.reports_to == mentor.profile
    back = reverse("institution:supervisor_edit", args=[mentor.profile.pk])
    response = client.post(back, {"supervisor": mentee.email})
    assert "reporting-line cycle" in response.content.decode()
    mentor.profile.refresh_from_db()
    assert mentor.profile.reports_to is None


def test_directory_pages_are_for_admins(client_for, director, mentee):
    department = DepartmentFactory()
    for url in (
        reverse("institution:directory"),
        reverse("institution:department_edit", args=[department.pk]),
        reverse("institution:supervisor_edit", args=[mentee.profile.pk]),
    ):
        assert client_for(director).get(url).status_code == 403


def test_the_directory_list_reads_in_a_fixed_number_of_queries(client_for, admin):
    client = client_for(admin)
    first = DepartmentFactory(name="D0", head=person())
    Division.objects.create(department=first, name="Div", chief=person())
    client.get(reverse("institution:directory"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("institution:directory"))
    for n in range(1, 6):
        d = DepartmentFactory(name=f"D{n}", head=person())
        Division.objects.create(department=d, name="Div", chief=person())
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("institution:directory")).content.decode()
    assert "D5" in html
    assert len(many) == len(one)
