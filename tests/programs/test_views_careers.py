"""The career record page: who may open it, recording, correcting and withdrawing a departure
from it (errors by the field, nothing typed lost), the links to it, and its query count."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import Departure
from programs.services.careers import departure_record

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC), tick=False):
        yield


def _career(user):
    return reverse("person_career", args=[user.profile.pk])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("other_director", 404),
        ("mentee", 404),  # the person themself: the institution's record, not their page
        ("mentor", 404),
        ("outsider", 404),
    ],
)
def test_only_admins_and_the_persons_directors_open_the_career_record(
    cast, mentee, client_for, who, status
):
    assert client_for(cast[who]).get(_career(mentee)).status_code == status


@pytest.mark.parametrize("who", ["other_director", "mentee", "mentor", "outsider"])
def test_nobody_else_can_post_a_departure(cast, mentee, client_for, who):
    url = reverse("departure_new", args=[mentee.profile.pk])
    response = client_for(cast[who]).post(url, {"left_on": "2026-05-31", "reason": "retired"})
    assert response.status_code == 404
    assert not Departure.objects.exists()


def test_a_director_records_a_departure_and_sees_it(director, mentee, client_for):
    response = client_for(director).post(
        reverse("departure_new", args=[mentee.profile.pk]),
        {"left_on": "2026-05-31", "reason": "moved", "note": "To Lakeside University"},
        follow=True,
    )
    text = response.content.decode()
    assert "Recorded that Maya Mentee left on 31 May 2026." in text
    assert "Moved to another institution" in text
    assert "To Lakeside University" in text


def test_markup_in_the_note_is_refused_by_the_field(director, mentee, client_for):
    response = client_for(director).post(
        reverse("departure_new", args=[mentee.profile.pk]),
        {"left_on": "2026-05-31", "reason": "moved", "note": "<script>x</script>"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["note"]
    assert not Departure.objects.exists()


def test_a_future_date_is_refused_by_the_field_and_the_typing_kept(director, mentee, client_for):
    response = client_for(director).post(
        reverse("departure_new", args=[mentee.profile.pk]),
        {"left_on": "2026-07-01", "reason": "retired", "note": "Retiring to the coast"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "on or before today (15 June 2026)" in form.errors["left_on"][0]
    text = response.content.decode()
    assert 'value="2026-07-01"' in text
    assert "Retiring to the coast" in text
    assert not Departure.objects.exists()


def test_a_date_before_they_joined_is_refused_by_the_field(director, mentor, client_for, program):
    response = client_for(director).post(
        reverse("departure_new", args=[mentor.profile.pk]),
        {"left_on": "2001-03-01", "reason": "moved"},
    )
    assert response.status_code == 400
    assert "joined the faculty in 2005" in response.context["form"].errors["left_on"][0]


def test_a_missing_reason_is_named(director, mentee, client_for):
    response = client_for(director).post(
        reverse("departure_new", args=[mentee.profile.pk]), {"left_on": "2026-05-31"}
    )
    assert response.context["form"].errors["reason"] == ["Choose why they left."]


def test_a_departure_is_corrected_from_its_own_page(director, mentee, client_for):
    departure = departure_record(
        person=mentee.profile, left_on=D(2026, 1, 31), source="roster", by=director
    )
    url = reverse("departure_edit", args=[mentee.profile.pk, departure.pk])
    client = client_for(director)
    assert 'value="2026-01-31"' in client.get(url).content.decode()
    response = client.post(url, {"left_on": "2026-02-28", "reason": "retired"})
    assert response.status_code == 302
    departure.refresh_from_db()
    assert (departure.left_on, departure.reason) == (D(2026, 2, 28), "retired")


def test_a_departure_of_someone_else_is_not_found_under_this_person(
    director, mentee, mentor, client_for
):
    theirs = departure_record(
        person=mentor.profile, left_on=D(2026, 1, 31), source="roster", by=director
    )
    url = reverse("departure_edit", args=[mentee.profile.pk, theirs.pk])
    assert client_for(director).get(url).status_code == 404


def test_withdrawing_marks_it_and_it_stops_counting(director, mentee, client_for):
    departure = departure_record(
        person=mentee.profile, left_on=D(2026, 1, 31), source="roster", by=director
    )
    response = client_for(director).post(
        reverse("departure_withdraw", args=[mentee.profile.pk, departure.pk]), follow=True
    )
    text = response.content.decode()
    assert "no longer counts in the outcomes" in text
    assert "Withdrawn" in text
    departure.refresh_from_db()
    assert departure.is_withdrawn


def test_the_profile_links_to_the_career_record_for_its_managers_only(
    director, mentor, mentee, client_for
):
    url = reverse("profile_detail", args=[mentee.profile.pk])
    link = _career(mentee)
    assert link in client_for(director).get(url).content.decode()
    assert link not in client_for(mentor).get(url).content.decode()
    assert link not in client_for(mentee).get(url).content.decode()


def test_the_members_page_and_the_faculty_directory_link_to_it(
    director, admin, mentee, program, client_for
):
    members = client_for(director).get(reverse("programs:members", args=[program.pk]))
    assert _career(mentee) in members.content.decode()
    people = client_for(admin).get(reverse("institution:people"))
    assert _career(mentee) in people.content.decode()


def test_the_page_uses_a_fixed_number_of_queries(director, mentee, client_for):
    client = client_for(director)
    url = _career(mentee)
    departure_record(person=mentee.profile, left_on=D(2020, 1, 31), source="roster", by=director)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for year in range(2010, 2020):
        departure_record(
            person=mentee.profile, left_on=D(year, 1, 31), source="roster", by=director
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
