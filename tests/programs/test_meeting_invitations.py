"""Scheduling, moving or cancelling a meeting emails the other members a calendar invitation
(METHOD:REQUEST) or cancellation (METHOD:CANCEL) that calendar programs accept: checked with the
`icalendar` parser, and read as the recipient would read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from mentorship.notifications.kinds import Delivery, Kind
from mentorship.notifications.models import Notification, Status
from mentorship.notifications.services import notification_deliver, preference_set
from programs.models import AgreementVersion
from programs.services.meetings import meeting_cancel, meeting_reschedule, meeting_schedule
from tests.relationship_fixtures import upcoming_meeting

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TUESDAY_3PM_UTC = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def london_mentor(mentor):
    mentor.profile.time_zone = "Europe/London"
    mentor.profile.save(update_fields=["time_zone"])
    return mentor


def invitation_of(message) -> tuple[str, icalendar.Calendar]:
    (part,) = [a for a in message.attachments if a.get_content_type() == "text/calendar"]
    body = part.get_payload(decode=True).decode()
    return part.get_param("method"), icalendar.Calendar.from_ical(body)


def schedule(pair, by, **kwargs):
    return meeting_schedule(
        relationship=pair,
        starts_at=TUESDAY_3PM_UTC,
        time_zone="America/Toronto",
        location="Room 4, Fleming Building",
        by=by,
        **kwargs,
    )


def test_scheduling_invites_the_other_party_with_a_calendar_request(
    pair, mentee, london_mentor, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(pair, mentee)
    (message,) = mail.outbox
    assert message.to == [london_mentor.email]
    method, calendar = invitation_of(message)
    assert method == "REQUEST"
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.pk}@testserver"
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == TUESDAY_3PM_UTC
    assert event.decoded("DTEND") == TUESDAY_3PM_UTC + timedelta(hours=1)
    assert str(event["ORGANIZER"]) == f"mailto:{mentee.email}"
    assert event["ORGANIZER"].params["CN"] == mentee.profile.display_name
    attendees = event["ATTENDEE"]
    assert sorted(str(a) for a in attendees) == sorted(
        f"mailto:{u.email}" for u in (mentee, london_mentor)
    )


def test_each_person_reads_the_time_in_their_own_zone(
    pair, mentee, london_mentor, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(pair, london_mentor)
    (message,) = mail.outbox
    assert message.to == [mentee.email]
    # 15:00 UTC is 10:00 in Toronto (the mentee); the London mentor would have read 15:00 GMT.
    assert "Tuesday 1 December 2026, 10:00 EST (America/Toronto)" in message.body
    assert "until 11:00" in message.body
    assert "Tuesday 1 December 2026, 10:00 EST" in message.subject
    print(message.message().as_string())  # the whole email, as a mail program receives it

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_reschedule(
            meeting=meeting,
            starts_at=TUESDAY_3PM_UTC + timedelta(hours=1),
            duration_minutes=60,
            time_zone="America/Toronto",
            mode="in_person",
            by=mentee,
        )
    (message,) = mail.outbox
    assert message.to == [london_mentor.email]
    assert "Was: Tuesday 1 December 2026, 15:00 GMT (Europe/London)" in message.body
    assert "Now: Tuesday 1 December 2026, 16:00 GMT (Europe/London), until 17:00" in message.body


def test_moving_sends_an_update_with_the_same_uid_and_a_higher_sequence(
    pair, mentee, mentor, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(pair, mentee)
    with django_capture_on_commit_callbacks(execute=True):
        meeting_reschedule(
            meeting=meeting,
            starts_at=TUESDAY_3PM_UTC + timedelta(days=1),
            duration_minutes=30,
            time_zone="America/Toronto",
            mode="video",
            video_url="https://meet.example/abc",
            by=mentor,
        )
    first, second = mail.outbox
    assert first.to == [mentor.email]
    assert second.to == [mentee.email]
    assert "Moved: meeting with" in second.subject
    _, calendar = invitation_of(second)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.pk}@testserver"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == TUESDAY_3PM_UTC + timedelta(days=1)
    # The organiser stays whoever scheduled it, even when the other person moves it.
    assert str(event["ORGANIZER"]) == f"mailto:{mentee.email}"


def test_cancelling_sends_a_calendar_cancellation(
    pair, mentee, mentor, frozen, django_capture_on_commit_callbacks
):
    meeting = schedule(pair, mentee)
    with django_capture_on_commit_callbacks(execute=True):
        meeting_cancel(meeting=meeting, by=mentee)
    cancellation = [m for m in mail.outbox if "Cancelled" in m.subject]
    (message,) = cancellation
    method, calendar = invitation_of(message)
    assert method == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert str(event["UID"]) == f"meeting-{meeting.pk}@testserver"


def test_an_invitation_overtaken_by_a_later_change_is_not_sent(pair, mentee, mentor, frozen):
    meeting = schedule(pair, mentee)
    meeting_cancel(meeting=meeting, by=mentee)
    first, cancellation = Notification.objects.filter(kind=Kind.MEETING_INVITATION).order_by("pk")
    assert notification_deliver(notification_id=first.pk) == "skipped: no longer relevant"
    assert notification_deliver(notification_id=cancellation.pk) == "sent"
    assert len(mail.outbox) == 1


def test_logging_a_past_meeting_emails_nobody(pair, mentee, frozen):
    meeting_schedule(
        relationship=pair, starts_at=NOW - timedelta(days=1), already_held=True, by=mentee
    )
    assert not Notification.objects.filter(kind=Kind.MEETING_INVITATION).exists()


def test_a_group_meeting_reaches_every_other_member(group, mentor, frozen):
    meeting_schedule(relationship=group, starts_at=TUESDAY_3PM_UTC, by=mentor)
    recipients = set(
        Notification.objects.filter(kind=Kind.MEETING_INVITATION).values_list(
            "recipient", flat=True
        )
    )
    members = set(group.members.values_list("person__user", flat=True))
    assert recipients == members - {mentor.pk}
    assert len(recipients) == 3


def test_invitations_can_be_switched_off_but_not_digested(pair, mentee, mentor, frozen):
    preference_set(user=mentor, kind=Kind.MEETING_INVITATION, delivery=Delivery.DAILY)
    schedule(pair, mentee)
    (n,) = Notification.objects.filter(kind=Kind.MEETING_INVITATION)
    assert notification_deliver(notification_id=n.pk) == "sent"
    preference_set(user=mentor, kind=Kind.MEETING_INVITATION, delivery=Delivery.OFF)
    meeting = schedule(pair, mentee)
    n = Notification.objects.get(kind=Kind.MEETING_INVITATION, subject=f"meeting:{meeting.pk}")
    notification_deliver(notification_id=n.pk)
    n.refresh_from_db()
    assert n.status == Status.SKIPPED


def test_the_feed_carries_the_same_uid_sequence_and_organizer(pair, mentee, mentor, client, frozen):
    from programs.services.meetings import calendar_feed_create

    meeting = schedule(pair, mentee)
    meeting_cancel(meeting=meeting, by=mentor)
    token = calendar_feed_create(person=mentor.profile, by=mentor).token
    body = client.get(reverse("calendar_feed", args=[token])).content
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{meeting.pk}@testserver"
    assert event["SEQUENCE"] == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["ORGANIZER"]) == f"mailto:{mentee.email}"


def test_the_download_parses_as_icalendar(pair, mentee, client_for):
    meeting = upcoming_meeting(pair, scheduled_by=mentee)
    body = client_for(mentee).get(reverse("meeting_ics", args=[meeting.pk])).content
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert len(event["ATTENDEE"]) == 2


def new_meeting_mode(client, pair) -> str:
    return client.get(reverse("meeting_new", args=[pair.pk])).context["form"]["mode"].value()


def test_a_new_meeting_defaults_to_the_mode_the_agreement_in_force_names(pair, mentee, client_for):
    draft = AgreementVersion.objects.get(agreement__relationship=pair)
    AgreementVersion.objects.filter(pk=draft.pk).update(modes=["phone", "video"], confirmed_at=NOW)
    AgreementVersion.objects.create(
        agreement=draft.agreement,
        number=2,
        cadence_days=30,
        modes=["messaging"],
        review_on=NOW.date() + timedelta(days=90),
    )
    # The confirmed version is in force; the draft of version 2 is not agreed yet.
    assert new_meeting_mode(client_for(mentee), pair) == "phone"


def test_before_anything_is_confirmed_the_draft_names_the_mode(pair, mentee, client_for):
    AgreementVersion.objects.filter(agreement__relationship=pair).update(modes=["video"])
    assert new_meeting_mode(client_for(mentee), pair) == "video"


def test_without_an_agreement_a_new_meeting_defaults_as_before(pair, mentee, client_for):
    AgreementVersion.objects.filter(agreement__relationship=pair).delete()
    expected = "video" if pair.is_remote else "in_person"
    assert new_meeting_mode(client_for(mentee), pair) == expected
