"""Scheduling, agendas, notes (with conflicts), action items, recaps, check-ins, feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from programs.models import ActionItemStatus, MeetingStatus, PrivateNote
from programs.services.meetings import (
    NotesConflict,
    action_item_create,
    action_item_set_status,
    agenda_item_add,
    agenda_item_remove,
    calendar_feed_create,
    calendar_feed_lookup,
    calendar_feed_revoke,
    checkin_log,
    meeting_cancel,
    meeting_log,
    meeting_reschedule,
    meeting_schedule,
    meeting_update_notes,
    private_note_save,
    recap_confirm,
    recap_write,
)
from programs.services.relationships import relationship_end
from tests.relationship_fixtures import past_meeting, submitted_assessment, upcoming_meeting

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


# --- Scheduling ----------------------------------------------------------------------------


def test_it_schedules_in_utc_and_keeps_the_schedulers_zone(pair, mentee, frozen):
    starts = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.get_fixed_timezone(-300))
    meeting = meeting_schedule(
        relationship=pair, starts_at=starts, time_zone="America/Toronto", by=mentee
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert meeting.time_zone == "America/Toronto"
    assert meeting.status == MeetingStatus.SCHEDULED


def test_a_past_time_cannot_be_scheduled_as_upcoming(pair, mentee, frozen):
    with pytest.raises(ValidationError) as error:
        meeting_schedule(relationship=pair, starts_at=NOW - timedelta(hours=1), by=mentee)
    assert "already passed" in str(error.value.message_dict["starts_at"])


def test_a_past_meeting_can_be_logged_as_held(pair, mentee, frozen):
    meeting = meeting_schedule(
        relationship=pair, starts_at=NOW - timedelta(days=2), already_held=True, by=mentee
    )
    assert meeting.status == MeetingStatus.HELD


def test_a_future_meeting_cannot_be_logged_as_held(pair, mentee, frozen):
    with pytest.raises(ValidationError, match="still to come"):
        meeting_schedule(
            relationship=pair, starts_at=NOW + timedelta(days=2), already_held=True, by=mentee
        )


def test_a_meeting_must_last_a_sensible_time(pair, mentee, frozen):
    with pytest.raises(ValidationError) as error:
        meeting_schedule(
            relationship=pair, starts_at=NOW + timedelta(days=1), duration_minutes=0, by=mentee
        )
    assert "ends_at" in error.value.message_dict


def test_only_members_schedule(pair, director, outsider, frozen):
    for user in (director, outsider):
        with pytest.raises(ValidationError):
            meeting_schedule(relationship=pair, starts_at=NOW + timedelta(days=1), by=user)


def test_rescheduling_bumps_the_calendar_sequence(pair, mentor, frozen):
    meeting = meeting_schedule(relationship=pair, starts_at=NOW + timedelta(days=1), by=mentor)
    meeting = meeting_reschedule(
        meeting=meeting,
        starts_at=NOW + timedelta(days=2),
        duration_minutes=45,
        time_zone="Europe/London",
        mode="video",
        video_url="https://meet.example/abc",
        by=mentor,
    )
    assert meeting.sequence == 1
    assert meeting.duration_minutes == 45
    meeting = meeting_cancel(meeting=meeting, by=mentor)
    assert meeting.status == MeetingStatus.CANCELLED
    assert meeting.sequence == 2


def test_no_meetings_in_an_ended_relationship(pair, mentee, frozen):
    relationship_end(relationship=pair, by=mentee)
    with pytest.raises(ValidationError, match="has ended"):
        meeting_schedule(relationship=pair, starts_at=NOW + timedelta(days=1), by=mentee)


# --- Agenda --------------------------------------------------------------------------------


def test_the_mentee_builds_an_agenda_linked_to_goals(pair, mentee):
    goal = submitted_assessment(mentee).goals.first()
    meeting = upcoming_meeting(pair)
    first = agenda_item_add(
        meeting=meeting, topic="  K award  aims ", goal=goal, analysis="Draft ready.", by=mentee
    )
    second = agenda_item_add(meeting=meeting, topic="Teaching load", by=mentee)
    assert first.topic == "K award aims"
    assert first.goal == goal
    assert (first.order, second.order) == (1, 2)


def test_an_agenda_goal_must_be_the_mentees(pair, mentee, mentor):
    goal = submitted_assessment(mentor, goals=("Mentor's own",)).goals.first()
    with pytest.raises(ValidationError, match="mentee's own goals"):
        agenda_item_add(meeting=upcoming_meeting(pair), topic="x", goal=goal, by=mentee)


def test_only_the_author_removes_an_agenda_topic(pair, mentee, mentor):
    item = agenda_item_add(meeting=upcoming_meeting(pair), topic="Mine", by=mentee)
    with pytest.raises(ValidationError, match="Only the person who added"):
        agenda_item_remove(item=item, by=mentor)
    agenda_item_remove(item=item, by=mentee)


# --- Notes ---------------------------------------------------------------------------------


def test_shared_notes_save_and_mark_the_meeting_held(pair, mentee):
    meeting = past_meeting(pair, status=MeetingStatus.SCHEDULED)
    meeting = meeting_update_notes(meeting=meeting, revision=0, text="We talked.", by=mentee)
    assert meeting.notes_revision == 1
    assert meeting.status == MeetingStatus.HELD
    assert meeting.notes_updated_by == mentee.profile


def test_overlapping_note_edits_raise_a_conflict_carrying_the_saved_text(pair, mentee, mentor):
    meeting = past_meeting(pair)
    meeting_update_notes(meeting=meeting, revision=0, text="Mentee's version", by=mentee)
    with pytest.raises(NotesConflict) as conflict:
        meeting_update_notes(meeting=meeting, revision=0, text="Mentor's version", by=mentor)
    assert conflict.value.current_text == "Mentee's version"
    assert conflict.value.current_revision == 1
    assert conflict.value.updated_by == "Maya Mentee"
    meeting.refresh_from_db()
    assert meeting.shared_notes == "Mentee's version"  # nothing overwritten
    meeting_update_notes(meeting=meeting, revision=1, text="Merged", by=mentor)


def test_private_notes_are_one_per_author(pair, mentee, mentor):
    meeting = past_meeting(pair)
    private_note_save(meeting=meeting, text="first", by=mentee)
    private_note_save(meeting=meeting, text="second", by=mentee)
    private_note_save(meeting=meeting, text="mentor's", by=mentor)
    assert PrivateNote.objects.get(meeting=meeting, author=mentee.profile).text == "second"
    assert PrivateNote.objects.filter(meeting=meeting).count() == 2


def test_logging_needs_a_started_meeting_and_a_later_next_date(pair, mentee):
    with pytest.raises(ValidationError, match="has not started"):
        meeting_log(meeting=upcoming_meeting(pair), checklist=[], next_meeting_on=None, by=mentee)
    meeting = past_meeting(pair, days_ago=3)
    with pytest.raises(ValidationError) as error:
        meeting_log(
            meeting=meeting,
            checklist=["career"],
            next_meeting_on=timezone.localdate() - timedelta(days=5),
            by=mentee,
        )
    assert "next_meeting_on" in error.value.message_dict
    meeting = meeting_log(
        meeting=meeting,
        checklist=["career", "personal", "career"],
        next_meeting_on=timezone.localdate() + timedelta(days=30),
        by=mentee,
    )
    assert meeting.checklist == ["career", "personal"]


# --- Action items --------------------------------------------------------------------------


def test_action_items_belong_to_members(pair, mentee, mentor, outsider):
    item = action_item_create(
        relationship=pair, owner=mentor.profile, title="Intro to Dr. X", by=mentee
    )
    assert item.owner == mentor.profile
    with pytest.raises(ValidationError) as error:
        action_item_create(relationship=pair, owner=outsider.profile, title="x", by=mentee)
    assert "not in this relationship" in str(error.value.message_dict["owner"])


def test_a_due_date_in_the_past_is_refused(pair, mentee):
    with pytest.raises(ValidationError) as error:
        action_item_create(
            relationship=pair,
            owner=mentee.profile,
            title="Late",
            due_on=timezone.localdate() - timedelta(days=1),
            by=mentee,
        )
    assert "due_on" in error.value.message_dict


def test_action_items_are_done_and_reopened(pair, mentee, mentor):
    item = action_item_create(
        relationship=pair, owner=mentee.profile, title="Draft aims", by=mentee
    )
    item = action_item_set_status(item=item, status=ActionItemStatus.DONE, by=mentor)
    assert item.completed_at is not None
    item = action_item_set_status(item=item, status=ActionItemStatus.OPEN, by=mentee)
    assert item.completed_at is None


def test_action_items_from_another_relationships_meeting_are_refused(pair, group, mentee):
    with pytest.raises(ValidationError, match="another relationship"):
        action_item_create(
            relationship=pair,
            owner=mentee.profile,
            title="x",
            meeting=past_meeting(group),
            by=mentee,
        )


# --- Recap ---------------------------------------------------------------------------------


def test_one_writes_the_recap_and_another_confirms(pair, mentee, mentor):
    meeting = past_meeting(pair)
    recap = recap_write(meeting=meeting, text="We agreed on aims.", by=mentee)
    with pytest.raises(ValidationError, match="someone other than its writer"):
        recap_confirm(meeting=meeting, by=mentee)
    recap = recap_confirm(meeting=meeting, by=mentor)
    assert recap.confirmed_by == mentor.profile
    with pytest.raises(ValidationError, match="can no longer be changed"):
        recap_write(meeting=meeting, text="Changed", by=mentor)


def test_the_other_party_may_rewrite_an_unconfirmed_recap(pair, mentee, mentor):
    meeting = past_meeting(pair)
    recap_write(meeting=meeting, text="Mentee's view", by=mentee)
    recap = recap_write(meeting=meeting, text="Mentor's view", by=mentor)
    assert recap.written_by == mentor.profile
    assert recap_confirm(meeting=meeting, by=mentee).confirmed_by == mentee.profile


def test_no_recap_before_the_meeting(pair, mentee):
    with pytest.raises(ValidationError, match="once the meeting has taken place"):
        recap_write(meeting=upcoming_meeting(pair), text="Too soon", by=mentee)


def test_a_group_member_confirms_the_facilitators_recap(group, mentor):
    meeting = past_meeting(group)
    recap_write(meeting=meeting, text="Group recap", by=mentor)
    member = group.members.filter(side="mentee").first().person.user
    assert recap_confirm(meeting=meeting, by=member).confirmed_at is not None


# --- Check-ins -----------------------------------------------------------------------------


def test_a_check_in_is_logged(pair, mentor, frozen):
    meeting = checkin_log(
        relationship=pair,
        occurred_at=NOW - timedelta(days=1),
        mode="email",
        summary="Sent comments on the draft.",
        by=mentor,
    )
    assert meeting.status == MeetingStatus.CHECK_IN
    assert meeting.shared_notes == "Sent comments on the draft."


def test_a_check_in_cannot_be_in_the_future(pair, mentor, frozen):
    with pytest.raises(ValidationError, match="after it happened"):
        checkin_log(
            relationship=pair,
            occurred_at=NOW + timedelta(days=1),
            mode="email",
            summary="x",
            by=mentor,
        )


# --- Calendar feeds ------------------------------------------------------------------------


def test_a_feed_token_is_stored_only_as_a_hash(mentee):
    created = calendar_feed_create(person=mentee.profile, by=mentee)
    assert created.token not in created.feed.token_hash
    assert calendar_feed_lookup(created.token) == created.feed


def test_a_new_feed_revokes_the_old_one(mentee):
    old = calendar_feed_create(person=mentee.profile, by=mentee).token
    new = calendar_feed_create(person=mentee.profile, by=mentee).token
    assert calendar_feed_lookup(old) is None
    assert calendar_feed_lookup(new) is not None


def test_revoking_the_feed(mentee):
    token = calendar_feed_create(person=mentee.profile, by=mentee).token
    calendar_feed_revoke(person=mentee.profile, by=mentee)
    assert calendar_feed_lookup(token) is None
