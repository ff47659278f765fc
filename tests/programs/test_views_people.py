"""Editing one's profile: what is saved, and how bad input is answered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.models import FacultyProfile
from programs.services.people import topics_get_or_create
from tests.factories import DepartmentFactory, DivisionFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db

URL = reverse("profile_edit")


def valid_data(**overrides):
    data = {
        "given_name": "Maya",
        "family_name": "Okonkwo",
        "pronouns": "she/her",
        "year_joined_faculty": "2021",
        "time_zone": "America/Toronto",
        "location": "Toronto General",
        "gender": "",
        "gender_self_description": "",
        "bio": "I study heart failure.",
        "expertise_text": "heart failure, clinical trials",
        "interests_text": "cycling",
        "communication_modes": ["video", "email"],
        "reports_to_email": "",
    }
    data.update(overrides)
    return data


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_saves_the_profile(client_for, mentee):
    response = client_for(mentee).post(URL, valid_data())
    assert response.status_code == 302
    profile = FacultyProfile.objects.get(user=mentee)
    assert profile.location == "Toronto General"
    assert profile.communication_modes == ["video", "email"]
    assert sorted(t.name for t in profile.expertise.all()) == ["clinical trials", "heart failure"]


def test_it_sets_the_reporting_line_by_email(client_for, mentee, mentor):
    client_for(mentee).post(URL, valid_data(reports_to_email=mentor.email.upper()))
    assert FacultyProfile.objects.get(user=mentee).reports_to == mentor.profile


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus_Mons", "is not a time zone we know"),
        ("year_joined_faculty", "1850", "between 1950 and"),
        ("year_joined_faculty", "3000", "between 1950 and"),
        ("location", "x" * 121, "at most 120 characters"),
        ("given_name", "<script>alert(1)</script>", "remove the HTML tags"),
        ("reports_to_email", "nobody@northbridge.test", "Nobody with this email"),
    ],
)
def test_bad_input_is_explained_on_the_field_and_kept(client_for, mentee, field, value, message):
    response = client_for(mentee).post(URL, valid_data(**{field: value}))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'class="error-summary"' in html
    assert f'href="#id_{field}"' in html
    # what was typed comes back (escaped), so nothing is lost
    form = response.context["form"]
    assert form[field].value() == value
    assert "<script>alert(1)</script>" not in html


def test_a_reporting_line_cycle_is_refused_on_the_field(client_for, mentee, mentor):
    mentor.profile.reports_to = mentee.profile
    mentor.profile.save()
    response = client_for(mentee).post(URL, valid_data(reports_to_email=mentor.email))
    assert "reporting-line cycle" in response.content.decode()


def test_a_division_must_belong_to_the_department(client_for, mentee):
    department = DepartmentFactory(name="Medicine")
    other_division = DivisionFactory(name="Neonatology")
    response = client_for(mentee).post(
        URL, valid_data(department=department.pk, division=other_division.pk)
    )
    assert "is not a division of Medicine" in response.content.decode()


def test_the_gender_question_says_what_it_is_used_for(client_for, mentee):
    html = client_for(mentee).get(URL).content.decode()
    assert "Only used, anonymously and in groups of five or more" in html


def test_saving_the_time_zone_changes_how_times_are_shown(client_for, mentee):
    client = client_for(mentee)
    client.post(URL, valid_data(time_zone="Asia/Tokyo"))
    response = client.get(reverse("home"))
    assert response.context["TIME_ZONE"] == "Asia/Tokyo"


def test_profile_detail_escapes_the_bio(client_for, mentee):
    profile = mentee.profile
    profile.bio = "<b>bold</b> claims"
    profile.save()
    html = client_for(mentee).get(reverse("profile_detail", args=[profile.pk])).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; claims" in html


def test_profile_page_query_count_does_not_grow_with_topics(client_for, mentee):
    client = client_for(mentee)
    client.get(URL)  # the first request stores the time zone in the session
    with_one = count_queries(lambda: client.get(URL))
    mentee.profile.expertise.set(topics_get_or_create([f"topic {i}" for i in range(20)]))
    assert count_queries(lambda: client.get(URL)) == with_one


def test_name_fields_say_what_to_fill_in(client_for, mentee, director, program):
    """One's own name can be filled in by the browser (WCAG 1.3.5); someone else's never is."""
    import re

    def autocomplete(html: str, name: str) -> str:
        (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
        return re.search(r'autocomplete="([^"]+)"', tag).group(1)

    own = client_for(mentee).get(URL).content.decode()
    assert autocomplete(own, "given_name") == "given-name"
    assert autocomplete(own, "family_name") == "family-name"
    other = (
        client_for(director).get(reverse("programs:members", args=[program.pk])).content.decode()
    )
    assert autocomplete(other, "given_name") == "off"
    assert autocomplete(other, "family_name") == "off"
