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


def test_the_first_sign_in_asks_the_time_zone_with_the_browsers_guess(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    html = client.get(url).content.decode()
    assert "Your time zone" in html
    assert "js/time_zone_guess.js" in html  # the guess comes from a static file (strict CSP)
    assert 'data-guess-time-zone="UTC"' in html
    response = client.post(
        url,
        {
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
            "time_zone": "America/Toronto",
        },
    )
    assert response.status_code == 302
    invitation.person.refresh_from_db()
    assert invitation.person.time_zone == "America/Toronto"


def test_an_unknown_time_zone_is_explained_and_the_rest_kept(client, invitation):
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    response = client.post(
        url,
        {
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
            "time_zone": "Mars/Olympus",
        },
    )
    html = response.content.decode()
    assert "Mars/Olympus" in html
    assert "time zone" in html.lower()
    invitation.person.refresh_from_db()
    assert invitation.person.time_zone == "UTC"


def test_an_outside_mentor_reads_who_asks_then_answers_the_request(client, mentee, program):
    from matching.services import outside_mentor_invite
    from programs.models import Invitation, NeedArea

    request = outside_mentor_invite(
        program=program,
        mentee=mentee.profile,
        email="ada@far.example",
        given_name="Ada",
        family_name="Far",
        focus_area=NeedArea.objects.get(slug="research"),
        message="Would you guide my first R01?",
        by=mentee,
    )
    invitation = Invitation.objects.get(person=request.mentor)
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    html = client.get(url).content.decode()
    assert "Maya Mentee" in html
    assert "research" in html
    assert program.name in html
    response = client.post(
        url,
        {
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
            "time_zone": "Europe/Lisbon",
        },
    )
    assert response["Location"] == reverse("matching:request_detail", args=[request.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Maya Mentee invites you to mentor them" in page
    assert "Would you guide my first R01?" in page
    assert "Accept and start a pilot" in page
