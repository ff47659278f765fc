"""Institution admin pages: programs, invitations, the directory, the home page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from programs.models import Invitation, Program
from tests.factories import InstitutionFactory, person
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_program_then_appoints_directors(client_for, admin):
    institution = InstitutionFactory()
    response = client_for(admin).post(
        reverse("institution:program_new"),
        {
            "institution": institution.pk,
            "name": "Research Mentoring",
            "description": "",
            "meeting_cadence_days": "61",
            "review_cadence_months": "6",
            "pilot_length_days": "90",
            "allowed_models": ["one_to_one"],
            "max_pending_requests": "3",
            "request_expiry_days": "14",
        },
    )
    program = Program.objects.get(name="Research Mentoring")
    assert response["Location"] == reverse("programs:directors", args=[program.pk])


def test_an_admin_invites_faculty(client_for, admin, program, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(
            reverse("institution:invite"),
            {
                "email": "Fresh.Face@Northbridge.test",
                "given_name": "Fresh",
                "family_name": "Face",
                "program": program.pk,
                "role": "mentee",
                "message": "Welcome aboard!",
            },
            follow=True,
        )
    assert "Invitation sent to" in response.content.decode()
    assert Invitation.objects.get().email == "fresh.face@northbridge.test"
    assert "Welcome aboard!" in mail.outbox[0].body


def test_inviting_to_a_program_needs_a_role(client_for, admin, program):
    response = client_for(admin).post(
        reverse("institution:invite"),
        {
            "email": "x@northbridge.test",
            "given_name": "X",
            "family_name": "Y",
            "program": program.pk,
        },
    )
    assert "Choose the role they will have" in response.content.decode()


def test_resend_and_withdraw(client_for, admin, program, django_capture_on_commit_callbacks):
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("institution:invite"),
            {"email": "a@northbridge.test", "given_name": "A", "family_name": "B"},
        )
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("institution:invitation_action", args=[invitation.pk, "resend"]))
    assert len(mail.outbox) == 2
    client.post(reverse("institution:invitation_action", args=[invitation.pk, "revoke"]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_the_directory_query_count_does_not_grow(client_for, admin):
    client = client_for(admin)
    url = reverse("institution:people")
    client.get(url)
    few = count_queries(lambda: client.get(url))
    for _ in range(50):
        person()
    assert count_queries(lambda: client.get(url)) == few


def test_the_directory_searches(client_for, admin, mentee, mentor):
    html = client_for(admin).get(reverse("institution:people"), {"q": "robert"}).content.decode()
    assert "Robert Mentor" in html
    assert "Maya Mentee" not in html


@pytest.mark.parametrize("who", ["mentee", "director", "admin"])
def test_home_page_query_count_is_constant(client_for, cast, who, program):
    client = client_for(cast[who])
    client.get("/")
    few = count_queries(lambda: client.get("/"))
    for i in range(10):
        Program.objects.create(institution=program.institution, name=f"Extra {i}")
    assert count_queries(lambda: client.get("/")) == few


def test_home_pages_by_role(client_for, cast):
    assert "Your programs" in client_for(cast["mentee"]).get("/").content.decode()
    assert "Programs you direct" in client_for(cast["director"]).get("/").content.decode()
    assert "All programs" in client_for(cast["admin"]).get("/").content.decode()
    outsider_home = client_for(cast["outsider"]).get("/").content.decode()
    assert "not in a mentorship program yet" in outsider_home
    assert "All programs" not in outsider_home


def test_a_directors_home_shows_what_needs_attention(client_for, director, program, mentee):
    html = client_for(director).get("/").content.decode()
    assert 'data-figure="unmatched">1</span> mentee <abbr' in html
    assert ">without a mentor</abbr>" in html
