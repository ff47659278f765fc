"""Program pages for members and directors."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from programs.models import Membership, Program, Role
from tests.factories import CohortFactory, MembershipFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def test_members_see_how_the_program_works(client_for, mentee, program, director):
    html = client_for(mentee).get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "You take part as <strong>mentee</strong>" in html
    assert "Helen Director" in html
    assert reverse("programs:members", args=[program.pk]) not in html


def test_the_member_list_query_count_does_not_grow(client_for, director, program):
    client = client_for(director)
    url = reverse("programs:members", args=[program.pk])
    client.get(url)
    few = count_queries(lambda: client.get(url))
    cohort = CohortFactory(program=program)
    MembershipFactory.create_batch(50, program=program, cohort=cohort)
    assert count_queries(lambda: client.get(url)) == few


def test_the_member_list_filters_by_role_and_search(client_for, director, mentee, mentor, program):
    client = client_for(director)
    url = reverse("programs:members", args=[program.pk])
    html = client.get(url, {"role": "mentors"}).content.decode()
    assert "Robert Mentor" in html
    assert "Maya Mentee" not in html
    html = client.get(url, {"q": "maya"}).content.decode()
    assert "Maya Mentee" in html
    assert "Robert Mentor" not in html


def test_a_director_adds_an_existing_person(client_for, director, outsider, program):
    response = client_for(director).post(
        reverse("programs:member_add", args=[program.pk]),
        {"email": outsider.email, "role": Role.MENTOR},
    )
    assert response.status_code == 302
    assert Membership.objects.get(program=program, person=outsider.profile).role == Role.MENTOR


def test_a_director_invites_a_new_person(
    client_for, director, program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(director).post(
            reverse("programs:member_add", args=[program.pk]),
            {"email": "newbie@northbridge.test", "given_name": "Nia", "role": Role.MENTEE},
        )
    assert response.status_code == 302
    assert mail.outbox[0].to == ["newbie@northbridge.test"]


def test_adding_with_a_bad_email_keeps_the_form(client_for, director, program):
    response = client_for(director).post(
        reverse("programs:member_add", args=[program.pk]),
        {"email": "not-an-email", "given_name": "Nia", "role": Role.MENTEE},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address" in html
    assert 'value="Nia"' in html


def test_a_director_cannot_edit_members_of_another_program(
    client_for, director, other_director, other_program
):
    membership = Membership.objects.get(program=other_program, person=other_director.profile)
    url = reverse("programs:member_edit", args=[other_program.pk, membership.pk])
    assert client_for(director).get(url).status_code == 404


def test_a_member_id_from_another_program_is_not_found(
    client_for, director, program, other_director, other_program
):
    membership = Membership.objects.get(program=other_program, person=other_director.profile)
    url = reverse("programs:member_edit", args=[program.pk, membership.pk])
    assert client_for(director).get(url).status_code == 404


def test_a_director_pauses_a_mentor(client_for, director, mentor, program):
    membership = Membership.objects.get(program=program, person=mentor.profile)
    response = client_for(director).post(
        reverse("programs:member_edit", args=[program.pk, membership.pk]),
        {"role": Role.MENTOR, "mentor_capacity": "1", "status": "paused", "cohort": ""},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.status, membership.mentor_capacity) == ("paused", 1)


def test_an_absurd_capacity_is_refused(client_for, director, mentor, program):
    membership = Membership.objects.get(program=program, person=mentor.profile)
    response = client_for(director).post(
        reverse("programs:member_edit", args=[program.pk, membership.pk]),
        {"role": Role.MENTOR, "mentor_capacity": "500", "status": "active", "cohort": ""},
    )
    assert "Enter a number from 0 to 20" in response.content.decode()


def test_removing_the_last_director_is_explained(client_for, director, program):
    membership = Membership.objects.get(program=program, person=director.profile)
    response = client_for(director).post(
        reverse("programs:member_remove", args=[program.pk, membership.pk]), follow=True
    )
    assert "needs at least one director" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_director_changes_program_settings(client_for, director, program):
    response = client_for(director).post(
        reverse("programs:settings", args=[program.pk]),
        {
            "name": "Program A renamed",
            "description": "Better",
            "meeting_cadence_days": "91",
            "review_cadence_months": "6",
            "pilot_length_days": "90",
            "allowed_models": ["one_to_one", "mosaic"],
            "max_pending_requests": "3",
            "request_expiry_days": "14",
            "reassessment_months": "",
        },
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.name == "Program A renamed"
    assert program.allowed_models == ["one_to_one", "mosaic"]


def test_program_settings_refuse_a_silly_pilot(client_for, director, program):
    response = client_for(director).post(
        reverse("programs:settings", args=[program.pk]),
        {
            "name": "Program A",
            "meeting_cadence_days": "30",
            "review_cadence_months": "0",
            "pilot_length_days": "2",
            "allowed_models": [],
            "max_pending_requests": "3",
            "request_expiry_days": "14",
        },
    )
    html = response.content.decode()
    assert "Enter a number from 14 to 365" in html
    assert "Enter a number from 1 to 24" in html
    assert Program.objects.get(pk=program.pk).pilot_length_days == 90


def test_a_director_creates_a_cohort_with_dates_in_order(client_for, director, program):
    url = reverse("programs:cohort_new", args=[program.pk])
    bad = client_for(director).post(
        url, {"name": "2026", "starts_on": "2026-07-01", "ends_on": "2026-01-01"}
    )
    assert "The cohort must end after it starts" in bad.content.decode()
    good = client_for(director).post(
        url, {"name": "2026", "starts_on": "2026-07-01", "ends_on": "2027-06-30"}
    )
    assert good.status_code == 302
    assert program.cohorts.get().name == "2026"


def test_appointing_an_unknown_director_is_explained(client_for, admin, program):
    response = client_for(admin).post(
        reverse("programs:directors", args=[program.pk]), {"email": "ghost@northbridge.test"}
    )
    assert "Invite them first" in response.content.decode()


def test_program_list_query_count_does_not_grow(client_for, admin):
    client = client_for(admin)
    url = reverse("programs:list")
    client.get(url)
    few = count_queries(lambda: client.get(url))
    for i in range(20):
        MembershipFactory(program__name=f"P{i}")
    assert count_queries(lambda: client.get(url)) == few


@pytest.mark.parametrize("who", ["director", "admin"])
def test_the_member_list_keeps_the_main_navigation(client_for, program, director, admin, who):
    """The page's own role filter must not take the place of the navigation's roles."""
    user = {"director": director, "admin": admin}[who]
    html = client_for(user).get(reverse("programs:members", args=[program.pk])).content.decode()
    nav = html.split('<nav class="site-nav" aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse("programs:list")}"' in nav
    if who == "admin":
        assert f'href="{reverse("institution:home")}"' in nav
