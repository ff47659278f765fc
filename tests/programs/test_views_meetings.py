"""Meeting pages: scheduling across time zones, the agenda, notes with conflicts, the recap."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from programs.models import AgendaItem, Meeting, MeetingStatus, Recap
from programs.services.meetings import meeting_update_notes
from tests.relationship_fixtures import past_meeting, submitted_assessment, upcoming_meeting

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in Toronto


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _schedule(client, pair, **overrides):
    data = {"on": "2026-11-30", "starts": "09:00", "ends": "10:00", "mode": "video"}
    data.update(overrides)
    return client.post(reverse("meeting_new", args=[pair.pk]), data)


def test_a_meeting_is_scheduled_in_the_viewers_zone_and_stored_in_utc(
    pair, mentee, client_for, frozen
):
    response = _schedule(client_for(mentee), pair)  # the mentee's profile is in Toronto
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("meeting_detail", args=[meeting.pk])
    assert meeting.starts_at == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert meeting.duration_minutes == 60
    assert meeting.time_zone == "America/Toronto"


def test_each_person_sees_the_time_in_their_own_zone(pair, mentee, mentor, client_for, frozen):
    mentor.profile.time_zone = "Europe/London"
    mentor.profile.save()
    _schedule(client_for(mentee), pair)
    meeting = Meeting.objects.get()
    url = reverse("meeting_detail", args=[meeting.pk])
    mentee_html = client_for(mentee).get(url).content.decode()
    mentor_html = client_for(mentor).get(url).content.decode()
    assert "09:00–10:00 your time (America/Toronto)" in mentee_html
    assert "Mon 14:00 for Robert Mentor (Europe/London)" in mentee_html
    assert "14:00–15:00 your time (Europe/London)" in mentor_html
    assert "Mon 09:00 for Maya Mentee (America/Toronto)" in mentor_html


def test_a_past_time_scheduled_as_upcoming_is_a_clear_error(pair, mentee, client_for, frozen):
    response = _schedule(client_for(mentee), pair, on="2026-11-20")
    assert response.status_code == 400
    html = response.content.decode()
    assert "That time has already passed" in html
    assert 'value="2026-11-20"' in html  # what was typed is kept
    assert not Meeting.objects.exists()


def test_an_end_before_the_start_is_a_clear_error(pair, mentee, client_for, frozen):
    response = _schedule(client_for(mentee), pair, starts="11:00", ends="10:30")
    assert response.status_code == 400
    assert "The meeting must end after it starts" in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_past_meeting_can_be_logged(pair, mentee, client_for, frozen):
    response = _schedule(client_for(mentee), pair, on="2026-11-20", already_held="on")
    assert response.status_code == 302
    assert Meeting.objects.get().status == MeetingStatus.HELD


def test_rescheduling_from_the_page(pair, mentor, client_for, frozen):
    _schedule(client_for(mentor), pair)
    meeting = Meeting.objects.get()
    response = client_for(mentor).post(
        reverse("meeting_edit", args=[meeting.pk]),
        {"on": "2026-12-01", "starts": "13:00", "ends": "13:30", "mode": "phone"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert meeting.duration_minutes == 30


def test_the_mentee_prepares_an_agenda_the_mentor_sees(pair, mentee, mentor, client_for):
    goal = submitted_assessment(mentee).goals.first()
    meeting = upcoming_meeting(pair)
    client_for(mentee).post(
        reverse("agenda_add", args=[meeting.pk]),
        {"topic": "Aims page", "goal": goal.pk, "analysis": "Two options for Aim 2."},
    )
    html = client_for(mentor).get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Aims page" in html
    assert "Two options for Aim 2." in html
    assert goal.text in html


def test_the_agenda_starts_from_last_time(pair, mentee, mentor, client_for):
    from programs.models import ActionItem

    previous = past_meeting(pair)
    ActionItem.objects.create(
        relationship=pair, meeting=previous, owner=mentee.profile, title="Draft the budget"
    )
    meeting = upcoming_meeting(pair)
    html = client_for(mentee).get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Start from last time" in html
    assert "Draft the budget" in html
    client_for(mentee).post(
        reverse("agenda_add", args=[meeting.pk]), {"topic": "Follow up: Draft the budget"}
    )
    assert AgendaItem.objects.get().topic == "Follow up: Draft the budget"


def test_overlapping_note_edits_lose_nothing(pair, mentee, mentor, client_for):
    meeting = past_meeting(pair)
    meeting_update_notes(meeting=meeting, revision=0, text="MENTOR-SAVED", by=mentor)
    response = client_for(mentee).post(
        reverse("meeting_notes", args=[meeting.pk]), {"revision": "0", "text": "MENTEE-TYPED"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "saved the notes while you were editing" in html
    assert re.search(r"<textarea[^>]*>\s*MENTEE-TYPED</textarea>", html)  # kept in the box
    assert "MENTOR-SAVED" in html  # shown beside it
    assert 'name="revision" value="1"' in html  # the next save goes through
    meeting.refresh_from_db()
    assert meeting.shared_notes == "MENTOR-SAVED"
    client_for(mentee).post(
        reverse("meeting_notes", args=[meeting.pk]),
        {"revision": "1", "text": "MENTOR-SAVED\nMENTEE-TYPED"},
    )
    meeting.refresh_from_db()
    assert meeting.shared_notes == "MENTOR-SAVED\nMENTEE-TYPED"


def test_both_log_the_meeting_and_confirm_the_recap(pair, mentee, mentor, client_for):
    meeting = past_meeting(pair, status=MeetingStatus.SCHEDULED)
    client_for(mentee).post(
        reverse("meeting_log", args=[meeting.pk]),
        {"checklist": ["career", "research"], "next_meeting_on": ""},
    )
    client_for(mentee).post(reverse("recap_write", args=[meeting.pk]), {"text": "We agreed X."})
    # The confirm button names the recap's revision the mentor read.
    client_for(mentor).post(reverse("recap_confirm", args=[meeting.pk]), {"revision": 1})
    meeting.refresh_from_db()
    recap = Recap.objects.get(meeting=meeting)
    assert meeting.status == MeetingStatus.HELD
    assert meeting.checklist == ["career", "research"]
    assert recap.confirmed_by == mentor.profile
    html = client_for(mentee).get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Confirmed by Robert Mentor" in html


def test_an_empty_recap_is_a_field_error(pair, mentee, client_for):
    meeting = past_meeting(pair)
    response = client_for(mentee).post(reverse("recap_write", args=[meeting.pk]), {"text": ""})
    assert response.status_code == 400
    assert not Recap.objects.exists()


def test_a_next_meeting_date_before_this_one_is_refused(pair, mentee, client_for):
    meeting = past_meeting(pair, days_ago=3)
    response = client_for(mentee).post(
        reverse("meeting_log", args=[meeting.pk]),
        {"next_meeting_on": (meeting.starts_at - timedelta(days=10)).date().isoformat()},
    )
    assert response.status_code == 400
    assert "must come after this one" in response.content.decode()


def test_a_cancelled_meeting_is_read_only(pair, mentee, client_for):
    meeting = upcoming_meeting(pair)
    client_for(mentee).post(reverse("meeting_cancel", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    response = client_for(mentee).post(reverse("agenda_add", args=[meeting.pk]), {"topic": "x"})
    assert response.status_code == 400
    assert "was cancelled" in response.content.decode()


def test_the_meeting_page_runs_a_bounded_number_of_queries(
    pair, mentee, client_for, django_assert_max_num_queries
):
    meeting = past_meeting(pair)
    for i in range(20):
        AgendaItem.objects.create(meeting=meeting, topic=f"Topic {i}", order=i)
    client = client_for(mentee)
    client.get(reverse("meeting_detail", args=[meeting.pk]))
    with django_assert_max_num_queries(30):
        client.get(reverse("meeting_detail", args=[meeting.pk]))
