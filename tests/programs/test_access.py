"""Who may see what: the shared cast against every program and profile page."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from programs.access import get_profile_for_user, programs_visible_to, roles_for

pytestmark = pytest.mark.django_db


def test_roles_are_computed_per_program(cast, program, other_program):
    assert roles_for(cast["mentee"]).mentee_in == {program.pk}
    assert roles_for(cast["mentor"]).mentor_in == {program.pk}
    assert roles_for(cast["director"]).director_of == {program.pk}
    assert roles_for(cast["other_director"]).director_of == {other_program.pk}
    assert roles_for(cast["admin"]).is_admin
    assert roles_for(cast["outsider"]).member_of == frozenset()


def test_it_shows_programs_only_to_members_and_admins(cast, program, other_program):
    assert set(programs_visible_to(cast["mentee"])) == {program}
    assert set(programs_visible_to(cast["director"])) == {program}
    assert set(programs_visible_to(cast["other_director"])) == {other_program}
    assert set(programs_visible_to(cast["admin"])) == {program, other_program}
    assert not programs_visible_to(cast["outsider"]).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mentee", 200),
        ("mentor", 200),
        ("director", 200),
        ("admin", 200),
        ("other_director", 404),
        ("outsider", 404),
    ],
)
def test_program_page(cast, program, client_for, who, status):
    response = client_for(cast[who]).get(reverse("programs:detail", args=[program.pk]))
    assert response.status_code == status


@pytest.mark.parametrize("name", ["programs:settings", "programs:members", "programs:directors"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("mentee", 403),
        ("mentor", 403),
        ("other_director", 404),
        ("outsider", 404),
    ],
)
def test_director_pages(cast, program, client_for, name, who, status):
    response = client_for(cast[who]).get(reverse(name, args=[program.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    "name",
    ["institution:home", "institution:invite", "institution:people", "institution:program_new"],
)
@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("director", 403), ("mentee", 403), ("mentor", 403), ("outsider", 403)],
)
def test_institution_pages_are_for_admins_only(cast, client_for, name, who, status):
    assert client_for(cast[who]).get(reverse(name)).status_code == status


def test_a_director_sees_profiles_of_their_members_only(cast):
    director = cast["director"]
    assert get_profile_for_user(director, cast["mentee"].profile.pk)
    for other in ("other_director", "outsider"):
        with pytest.raises(Http404):
            get_profile_for_user(director, cast[other].profile.pk)


def test_a_mentee_can_see_mentors_of_their_program_but_not_other_mentees(cast, client_for):
    client = client_for(cast["mentee"])
    mentor_url = reverse("profile_detail", args=[cast["mentor"].profile.pk])
    assert client.get(mentor_url).status_code == 200
    for other in ("director", "outsider", "other_director"):
        url = reverse("profile_detail", args=[cast[other].profile.pk])
        assert client.get(url).status_code == 404


def test_a_mentor_cannot_browse_mentee_profiles_without_a_relationship(cast, client_for):
    url = reverse("profile_detail", args=[cast["mentee"].profile.pk])
    assert client_for(cast["mentor"]).get(url).status_code == 404


def test_outsider_sees_only_their_own_profile(cast, client_for):
    client = client_for(cast["outsider"])
    assert (
        client.get(reverse("profile_detail", args=[cast["outsider"].profile.pk])).status_code == 200
    )
    assert (
        client.get(reverse("profile_detail", args=[cast["mentee"].profile.pk])).status_code == 404
    )


def test_gender_is_shown_only_to_the_person_themselves(cast, client_for):
    profile = cast["mentee"].profile
    profile.gender = "woman"
    profile.save()
    url = reverse("profile_detail", args=[profile.pk])
    assert "Gender" in client_for(cast["mentee"]).get(url).content.decode()
    assert "Gender" not in client_for(cast["director"]).get(url).content.decode()
    assert "Gender" not in client_for(cast["admin"]).get(url).content.decode()


def test_roles_read_again_after_a_director_changes_their_own_role(
    director, other_director, program
):
    """Roles are memoised for the request; a service that changes a membership in the same
    request (a director handing their program over and stepping down to mentor) is seen at once."""
    from programs.models import Membership, Role
    from programs.services.programs import membership_add, membership_update

    assert program.pk in roles_for(director).director_of
    membership_add(program=program, person=other_director.profile, role=Role.DIRECTOR, by=director)
    mine = Membership.objects.get(program=program, person__user=director)
    membership_update(
        membership=mine,
        role=Role.MENTOR,
        cohort=None,
        mentor_capacity=2,
        status=mine.status,
        by=director,
    )
    roles = roles_for(director)
    assert program.pk not in roles.director_of
    assert program.pk in roles.mentor_in


def test_roles_are_read_once_per_request(director, django_assert_num_queries):
    roles_for(director)
    with django_assert_num_queries(0):
        roles_for(director)
