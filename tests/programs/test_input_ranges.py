"""Dates and numbers are checked against sensible ranges at the form, so no value reaches a
500: a meeting is within a few years of today, and one stored before that rule (year 9999)
no longer breaks the pages that show it in any time zone."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from programs.models import Meeting
from programs.services.meetings import meeting_schedule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _schedule(client, pair, **overrides):
    data = {"on": "2026-11-30", "starts": "09:00", "ends": "10:00", "mode": "video"}
    data.update(overrides)
    return client.post(reverse("meeting_new", args=[pair.pk]), data)


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Kiritimati", "UTC"])
@pytest.mark.parametrize(
    ("on", "starts"), [("9999-12-31", "23:00"), ("9999-12-31", "09:00"), ("0001-01-01", "00:30")]
)
def test_a_meeting_in_year_9999_or_1_is_refused_next_to_the_date(
    pair, mentee, client_for, zone, on, starts
):
    mentee.profile.time_zone = zone
    mentee.profile.save()
    response = _schedule(
        client_for(mentee), pair, on=on, starts=starts, ends="23:45", location="Room 4"
    )
    assert response.status_code == 400  # the form, shown again with its errors
    html = response.content.decode()
    assert "Choose a date between 2021 and 2029" in html
    assert 'value="Room 4"' in html  # nothing else the person typed is lost
    assert not Meeting.objects.exists()


def test_the_service_refuses_a_meeting_far_ahead(pair, mentee):
    with pytest.raises(ValidationError) as caught:
        meeting_schedule(
            relationship=pair, starts_at=datetime(2400, 1, 1, 9, tzinfo=UTC), by=mentee
        )
    assert "starts_at" in caught.value.error_dict


def test_a_stored_year_9999_meeting_no_longer_breaks_far_east_pages(
    pair, mentee, mentor, client_for
):
    meeting = Meeting.objects.create(
        relationship=pair,
        starts_at=datetime(9999, 12, 31, 9, 0, tzinfo=UTC),
        duration_minutes=60,
        time_zone="UTC",
        mode="video",
        scheduled_by=mentee,
    )
    migration = importlib.import_module(
        "programs.migrations.0013_meetings_out_of_range_are_clamped"
    )
    migration.clamp(apps, None)
    mentor.profile.time_zone = "Pacific/Kiritimati"  # UTC+14
    mentor.profile.save()
    client = client_for(mentor)
    for url in (
        reverse("relationship_detail", args=[pair.pk]),
        reverse("meeting_detail", args=[meeting.pk]),
        "/",
    ):
        assert client.get(url).status_code == 200, url
    client.post(reverse("meeting_cancel", args=[meeting.pk]))
    assert client.get(reverse("relationship_detail", args=[pair.pk])).status_code == 200


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "abc", "1e9", "٣"])
@pytest.mark.parametrize("name", ["department", "cohort", "mentor", "rank", "stream"])
def test_list_filters_take_bounded_integers(client_for, director, program, name, value):
    client = client_for(director)
    for url in (
        reverse("program_relationships", args=[program.pk]),
        reverse("programs:members", args=[program.pk]),
    ):
        assert client.get(url, {name: value}).status_code == 200, url


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "abc"])
def test_the_people_directory_filter_takes_bounded_integers(client_for, admin, value):
    response = client_for(admin).get(reverse("institution:people"), {"department": value})
    assert response.status_code == 200
