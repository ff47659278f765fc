"""Following an invitation link, setting a password and arriving signed in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.models import Role
from programs.services.invitations import faculty_invite, invitation_revoke, invitation_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(program, admin):
    return faculty_invite(
        email="nia@northbridge.test",
        given_name="Nia",
        family_name="New",
        program=program,
        role=Role.MENTEE,
        by=admin,
    ).invitation


def test_the_link_shows_the_program_and_asks_for_a_password(client, invitation, program):
    response = client.get(reverse("invitation_accept", args=[invitation_token(invitation)]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Welcome, Nia" in html
    assert program.name in html


def test_setting_a_password_signs_in(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    response = client.post(
        url, {"password1": "a-long-new-password", "password2": "a-long-new-password"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_mismatched_passwords_are_explained(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    response = client.post(url, {"password1": "a-long-new-password", "password2": "another-one"})
    assert "The two passwords differ" in response.content.decode()


def test_a_weak_password_is_explained(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    response = client.post(url, {"password1": "12345", "password2": "12345"})
    assert "too short" in response.content.decode()


def test_a_withdrawn_link_explains_itself(client, invitation, admin):
    token = invitation_token(invitation)
    invitation_revoke(invitation=invitation, by=admin)
    response = client.get(reverse("invitation_accept", args=[token]))
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_a_used_link_cannot_be_used_again(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    client.post(url, {"password1": "a-long-new-password", "password2": "a-long-new-password"})
    client.logout()
    response = client.get(url)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
