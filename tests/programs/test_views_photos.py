"""Profile photos on the web: uploading and removing one's own, who may see whose, and the
cards that show them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from programs.services.photos import profile_photo_set
from tests.matching.conftest import offer
from tests.photo_files import SVG, jpeg_with_metadata, png_bomb
from tests.programs.test_views_dashboards import _mentors_for

pytestmark = pytest.mark.django_db


def _give_photo(user) -> None:
    profile_photo_set(
        profile=user.profile,
        name="me.jpg",
        size=1000,
        stream=io.BytesIO(jpeg_with_metadata()),
        by=user,
    )
    user.profile.refresh_from_db()


def _upload(client, data: bytes, name: str, content_type: str = "image/jpeg"):
    return client.post(
        reverse("profile_photo"), {"photo": SimpleUploadedFile(name, data, content_type)}
    )


def test_a_person_uploads_a_photo_and_sees_it(mentee, client_for):
    client = client_for(mentee)
    response = _upload(client, jpeg_with_metadata(), "holiday.jpg")
    assert response.status_code == 302
    mentee.profile.refresh_from_db()
    assert mentee.profile.photo
    page = client.get(reverse("profile_edit")).content.decode()
    assert "Your photo is saved." in page
    assert reverse("person_photo", args=[mentee.profile.pk]) in page
    served = client.get(reverse("person_photo", args=[mentee.profile.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert image.size == (400, 400)
    assert not image.getexif()


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (SVG, "me.svg", "SVG drawings cannot be used"),
        (b"not an image at all", "me.jpg", "not a JPEG, PNG or WebP image"),
        (png_bomb(), "bomb.png", "larger than 50 megapixels"),
        (jpeg_with_metadata(), "me.exe", "ends in “.exe”"),
    ],
)
def test_a_refused_upload_says_why_next_to_the_field(mentee, client_for, data, name, says):
    response = _upload(client_for(mentee), data, name)
    assert response.status_code == 400
    html = response.content.decode()
    assert says in html
    assert 'aria-invalid="true"' in html
    mentee.profile.refresh_from_db()
    assert not mentee.profile.photo


def test_uploading_nothing_asks_for_a_file(mentee, client_for):
    response = client_for(mentee).post(reverse("profile_photo"), {})
    assert response.status_code == 400
    assert "Choose a photo to upload." in response.content.decode()


def test_an_upload_over_the_limit_is_refused_unread(mentee, client_for, settings):
    settings.MENTORSHIP_MAX_UPLOAD_BYTES = 100 * 1024
    big = jpeg_with_metadata() + b"\0" * (300 * 1024)
    response = _upload(client_for(mentee), big, "big.jpg")
    assert response.status_code == 413
    assert "so it was not read. Choose a smaller photo." in response.content.decode()


def test_removing_the_photo_brings_back_the_initials(mentee, client_for):
    _give_photo(mentee)
    client = client_for(mentee)
    assert client.post(reverse("profile_photo_remove")).status_code == 302
    mentee.profile.refresh_from_db()
    assert not mentee.profile.photo
    page = client.get(reverse("profile_detail", args=[mentee.profile.pk])).content.decode()
    assert 'avatar-initials" aria-hidden="true">MM<' in page.replace("\n", "")
    assert client.get(reverse("person_photo", args=[mentee.profile.pk])).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mentor", 200),  # their own
        ("mentee", 200),  # a mentor of the mentee's program
        ("director", 200),  # directs the program
        ("admin", 200),
        ("other_director", 404),
        ("outsider", 404),
    ],
)
def test_a_mentors_photo_is_seen_by_who_may_see_their_profile(cast, client_for, who, status):
    _give_photo(cast["mentor"])
    url = reverse("person_photo", args=[cast["mentor"].profile.pk])
    assert client_for(cast[who]).get(url).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("mentor", 404), ("director", 200), ("other_director", 404), ("outsider", 404)],
)
def test_a_mentees_photo_is_not_shown_to_mentors_they_have_no_link_with(
    cast, client_for, who, status
):
    _give_photo(cast["mentee"])
    url = reverse("person_photo", args=[cast["mentee"].profile.pk])
    assert client_for(cast[who]).get(url).status_code == status


def test_a_mentor_sees_the_photo_of_a_mentee_they_are_paired_with(pair, mentee, mentor, client_for):
    _give_photo(mentee)
    url = reverse("person_photo", args=[mentee.profile.pk])
    assert client_for(mentor).get(url).status_code == 200


def test_only_one_self_can_change_a_photo(mentee, mentor, client_for):
    """The upload and removal URLs act on the signed-in person only: there is no id to swap."""
    _give_photo(mentee)
    client_for(mentor).post(reverse("profile_photo_remove"))
    mentee.profile.refresh_from_db()
    assert mentee.profile.photo


def test_the_board_card_shows_photo_title_department_and_chips(
    mentee, mentor, director, program, client_for
):
    from tests.relationship_fixtures import make_relationship

    offer(mentor, areas=("research",), roles=("sponsor",))
    _give_photo(mentor)
    make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    html = client_for(mentee).get(reverse("mentee_board")).content.decode()
    assert reverse("person_photo", args=[mentor.profile.pk]) in html
    assert 'class="chip">Research<' in html
    assert 'class="chip chip-role">Sponsor<' in html
    if mentor.profile.department:
        assert mentor.profile.department.name in html


def test_the_board_runs_the_same_queries_with_photos_and_offers_on_every_card(
    mentee, director, program, client_for
):
    from programs.models import RelationshipMember

    client = client_for(mentee)
    url = reverse("mentee_board")

    def dress_every_mentor() -> None:
        for member in RelationshipMember.objects.filter(side="mentor").select_related(
            "person__user"
        ):
            offer(member.person)
            if not member.person.photo:
                _give_photo(member.person.user)

    _mentors_for(mentee, program, director, 1)
    dress_every_mentor()
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _mentors_for(mentee, program, director, 9)
    dress_every_mentor()
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url)
    print(f"board: {len(one)} queries with 1 dressed card, {len(ten)} with 10")
    assert len(ten) == len(one)
    assert response.content.decode().count('class="avatar avatar-medium"') == 10
