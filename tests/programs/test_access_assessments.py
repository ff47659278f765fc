"""Who may open a self-evaluation: the cast against every new page."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from programs.access import OWNER, SHARED, STRUCTURED, get_assessment_for_user
from programs.models import MentorTraining
from programs.services.assessments import assessment_share, assessment_start_draft
from tests.assessment_factories import REFLECTIONS, draft, full_data, goal, submitted

pytestmark = pytest.mark.django_db

SECRET = "Confidential-reflection-42"


@pytest.fixture
def version(mentee):
    return submitted(
        mentee.profile,
        mission=SECRET,
        challenges=f"{SECRET} challenges",
        goals=[goal("short", f"{SECRET} goal")],
    )


@pytest.fixture
def new_draft(mentee, version):
    return assessment_start_draft(person=mentee.profile, by=mentee)


OWNER_ONLY_GETS = [
    ("assessments:step", ["mission"]),
    ("assessments:step", ["needs"]),
    ("assessments:review", []),
]


@pytest.mark.parametrize(("name", "extra"), OWNER_ONLY_GETS)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mentee", 200),
        ("mentor", 404),
        ("director", 404),
        ("other_director", 404),
        ("admin", 404),
        ("outsider", 404),
    ],
)
def test_a_draft_is_the_owners_alone(cast, client_for, new_draft, name, extra, who, status):
    response = client_for(cast[who]).get(reverse(name, args=[new_draft.pk, *extra]))
    assert response.status_code == status


@pytest.mark.parametrize("who", ["mentor", "director", "other_director", "admin", "outsider"])
def test_nobody_else_can_autosave_discard_or_share(cast, client_for, new_draft, version, who):
    client = client_for(cast[who])
    autosave = reverse("assessments:autosave", args=[new_draft.pk, "mission"])
    assert client.post(autosave, {"mission": "x", "revision": 0}).status_code == 404
    assert client.post(reverse("assessments:discard", args=[new_draft.pk])).status_code == 404
    assert client.get(reverse("assessments:sharing", args=[version.pk])).status_code == 404


@pytest.mark.parametrize(
    ("who", "status", "sees_secret"),
    [
        ("mentee", 200, True),
        ("director", 200, False),
        ("admin", 200, False),
        ("mentor", 404, False),
        ("other_director", 404, False),
        ("outsider", 404, False),
    ],
)
def test_a_version_page(cast, client_for, version, who, status, sees_secret):
    response = client_for(cast[who]).get(reverse("assessments:version", args=[version.pk]))
    assert response.status_code == status
    assert (SECRET in response.content.decode()) is sees_secret


def test_a_director_sees_only_the_structured_parts(client_for, director, version):
    html = client_for(director).get(reverse("assessments:version", args=[version.pk])).content
    html = html.decode()
    assert "Areas where they want mentoring" in html
    assert "Sponsor" in html  # roles wanted
    for text in REFLECTIONS.values():
        assert text not in html
    assert SECRET not in html


@pytest.mark.parametrize("name", ["assessments:print", "assessments:pdf"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mentee", 200),
        ("director", 404),
        ("admin", 404),
        ("mentor", 404),
        ("other_director", 404),
        ("outsider", 404),
    ],
)
def test_print_and_pdf_are_for_the_owner(cast, client_for, version, name, who, status):
    response = client_for(cast[who]).get(reverse(name, args=[version.pk]))
    assert response.status_code == status


@pytest.mark.parametrize("name", ["assessments:version", "assessments:print", "assessments:pdf"])
def test_a_mentor_it_is_shared_with_sees_the_whole_version(
    client_for, mentee, mentor, version, name
):
    assessment_share(assessment=version, mentor=mentor.profile, by=mentee)
    response = client_for(mentor).get(reverse(name, args=[version.pk]))
    assert response.status_code == 200
    if name != "assessments:pdf":
        assert SECRET in response.content.decode()


def test_revoking_a_share_closes_the_version_again(client_for, mentee, mentor, version):
    share = assessment_share(assessment=version, mentor=mentor.profile, by=mentee)
    client_for(mentee).post(reverse("assessments:unshare", args=[version.pk, share.pk]))
    response = client_for(mentor).get(reverse("assessments:version", args=[version.pk]))
    assert response.status_code == 404


def test_sharing_a_version_does_not_share_the_draft(mentee, mentor, version, new_draft):
    assessment_share(assessment=version, mentor=mentor.profile, by=mentee)
    assert get_assessment_for_user(mentor, version.pk).level == SHARED
    with pytest.raises(Exception, match="No such"):
        get_assessment_for_user(mentor, new_draft.pk)


def test_access_levels(mentee, director, version):
    assert get_assessment_for_user(mentee, version.pk).level == OWNER
    assert get_assessment_for_user(director, version.pk).level == STRUCTURED


def test_a_stranger_cannot_stop_a_share(client_for, mentee, mentor, outsider, version):
    share = assessment_share(assessment=version, mentor=mentor.profile, by=mentee)
    url = reverse("assessments:unshare", args=[version.pk, share.pk])
    assert client_for(outsider).post(url).status_code == 404
    assert client_for(mentor).post(url).status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None


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
def test_the_needs_page_is_for_the_programs_directors(
    cast, client_for, program, version, who, status
):
    response = client_for(cast[who]).get(reverse("programs:needs", args=[program.pk]))
    assert response.status_code == status


def test_the_needs_page_and_member_list_show_no_reflections(client_for, director, program, version):
    for name in ("programs:needs", "programs:members"):
        html = client_for(director).get(reverse(name, args=[program.pk])).content.decode()
        assert "Completed v1" in html or "1</strong>" in html
        assert SECRET not in html
        for text in REFLECTIONS.values():
            assert text not in html


@pytest.mark.parametrize("who", ["mentee", "mentor", "director", "outsider"])
def test_everyone_has_their_own_pages(cast, client_for, who):
    client = client_for(cast[who])
    for name in ("assessments:hub", "assessments:compare", "assessments:mentor_offer"):
        assert client.get(reverse(name)).status_code == 200


def test_the_pages_need_sign_in(client, version):
    for url in (
        reverse("assessments:hub"),
        reverse("assessments:version", args=[version.pk]),
        reverse("assessments:mentor_offer"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_stranger_cannot_remove_someone_elses_training(client_for, mentor, outsider):
    training = MentorTraining.objects.create(
        person=mentor.profile, name="Workshop", completed_on=date(2024, 1, 1)
    )
    url = reverse("assessments:training_remove", args=[training.pk])
    assert client_for(outsider).post(url).status_code == 404
    assert MentorTraining.objects.filter(pk=training.pk).exists()


def test_compare_only_loads_ones_own_versions(client_for, mentee, outsider, version):
    other = draft(outsider.profile, **full_data(mission="Outsider's own"))
    response = client_for(mentee).get(
        reverse("assessments:compare"), {"a": other.pk, "b": version.pk}
    )
    assert "Outsider's own" not in response.content.decode()
