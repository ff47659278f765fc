"""A meeting as an iCalendar event: one definition for the invitation emails, the download and
the subscribable feed, so every copy of a meeting carries the same UID, SEQUENCE and STATUS and
calendar programs replace (or cancel) the event they already hold instead of adding another."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from mentorship.emails import absolute_url
from programs.exports import ics
from programs.models import Meeting, MeetingStatus, RelationshipMember


def meeting_uid(meeting: Meeting) -> str:
    # The host without its port: a local run on another port must not duplicate every event.
    host = urlsplit(settings.SITE_URL).hostname or "mentorship.invalid"
    return f"meeting-{meeting.pk}@{host}"


def _person(member: RelationshipMember) -> ics.Person:
    return ics.Person(name=member.person.display_name, email=member.person.user.email)


def _organizer(meeting: Meeting, members: Sequence[RelationshipMember]) -> ics.Person | None:
    """Whoever scheduled it stays the organiser through every change: calendar programs ignore
    updates from someone other than the organiser they first saw."""
    for member in members:
        if member.person.user_id == meeting.scheduled_by_id:
            return _person(member)
    user = meeting.scheduled_by
    return ics.Person(name=user.email, email=user.email) if user else None


def meeting_event(meeting: Meeting, members: Sequence[RelationshipMember]) -> ics.Event:
    """`members` are the relationship's active members with `person__user` loaded."""
    names = " & ".join(m.person.display_name for m in members)
    program = meeting.relationship.program.name
    where = meeting.location or meeting.video_url or meeting.get_mode_display()
    url = absolute_url(reverse("meeting_detail", args=[meeting.pk]))
    description = (
        f"Mentoring meeting in {program} ({meeting.get_mode_display().lower()}).\n"
        f"Agenda and notes: {url}"
    )
    if meeting.video_url:
        description += f"\nVideo link: {meeting.video_url}"
    return ics.Event(
        uid=meeting_uid(meeting),
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        summary=f"Mentoring: {names}",
        description=description,
        location=where,
        url=url,
        sequence=meeting.sequence,
        cancelled=meeting.status == MeetingStatus.CANCELLED,
        organizer=_organizer(meeting, members),
        attendees=tuple(_person(m) for m in members),
    )


def invitation(meeting: Meeting, members: Sequence[RelationshipMember]) -> tuple[str, str]:
    """(method, calendar text) for an email: a REQUEST adds or updates, a CANCEL removes."""
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    return method, ics.calendar([meeting_event(meeting, members)], method=method)
