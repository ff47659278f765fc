"""Calendar output (RFC 5545): the pure writer, the `.ics` invite and the private feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from programs.exports import ics
from programs.models import MeetingStatus
from programs.services.meetings import calendar_feed_create, calendar_feed_revoke
from programs.services.relationships import relationship_end
from tests.relationship_fixtures import upcoming_meeting

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def parse(body: str) -> list[dict[str, str]]:
    """A small strict reader: every line ends in CRLF, continuation lines start with a space."""
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", "")
    physical = body.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            key, _, value = line.partition(":")
            current[key] = value
    return events


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


# --- The writer --------------------------------------------------------------------------------


def test_text_is_escaped():
    assert ics.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_are_folded_without_splitting_characters():
    line = "DESCRIPTION:" + "é" * 100
    folded = ics.fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in pieces)
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line


@given(st.text(min_size=0, max_size=300))
def test_any_text_survives_a_round_trip(text):
    event = ics.Event(
        uid="u1@test",
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        summary="S",
        description=text,
    )
    (parsed,) = parse(ics.calendar([event], stamp=START))
    assert unescape(parsed.get("DESCRIPTION", "")) == text.replace("\r\n", "\n").replace("\r", "\n")


def test_times_are_written_in_utc():
    toronto = datetime(2026, 12, 1, 9, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("America/Toronto")
    )
    event = ics.Event(
        uid="u", starts_at=toronto, ends_at=toronto + timedelta(minutes=30), summary="x"
    )
    (parsed,) = parse(ics.calendar([event], stamp=START))
    assert parsed["DTSTART"] == "20261201T090000Z"
    assert parsed["DTEND"] == "20261201T093000Z"
    assert parsed["DTSTAMP"] == "20261201T140000Z"


# --- The invite and the feed ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_meeting_invite_downloads_as_ics(pair, mentee, client_for):
    meeting = upcoming_meeting(pair, location="Room 4, Fleming Building")
    response = client_for(mentee).get(reverse("meeting_ics", args=[meeting.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert "METHOD:PUBLISH" in body
    (event,) = parse(body)
    assert event["UID"] == f"meeting-{meeting.pk}@testserver"
    assert event["DTSTART"] == meeting.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert unescape(event["LOCATION"]) == "Room 4, Fleming Building"
    assert event["SUMMARY"] == "Mentoring: Maya Mentee & Robert Mentor"
    assert event["STATUS"] == "CONFIRMED"


@pytest.mark.django_db
def test_the_feed_lists_all_my_meetings_without_signing_in(pair, group, mentor, client):
    mine = [upcoming_meeting(pair), upcoming_meeting(group, days_ahead=9)]
    cancelled = upcoming_meeting(pair, days_ahead=12, status=MeetingStatus.CANCELLED, sequence=1)
    token = calendar_feed_create(person=mentor.profile, by=mentor).token
    response = client.get(reverse("calendar_feed", args=[token]))
    assert response.status_code == 200
    events = {e["UID"]: e for e in parse(response.content.decode())}
    assert set(events) == {f"meeting-{m.pk}@testserver" for m in [*mine, cancelled]}
    assert events[f"meeting-{cancelled.pk}@testserver"]["STATUS"] == "CANCELLED"
    assert events[f"meeting-{cancelled.pk}@testserver"]["SEQUENCE"] == "1"


@pytest.mark.django_db
def test_a_revoked_or_replaced_token_stops_working(mentee, client):
    old = calendar_feed_create(person=mentee.profile, by=mentee).token
    new = calendar_feed_create(person=mentee.profile, by=mentee).token
    assert client.get(reverse("calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[new])).status_code == 200
    calendar_feed_revoke(person=mentee.profile, by=mentee)
    assert client.get(reverse("calendar_feed", args=[new])).status_code == 404
    assert client.get(reverse("calendar_feed", args=["guess"])).status_code == 404


@pytest.mark.django_db
def test_the_feed_page_shows_the_address_once(mentee, client_for):
    client = client_for(mentee)
    response = client.post(reverse("calendar_settings"), {"action": "create"})
    url = response.context["new_url"]
    assert "/calendar/" in url
    assert url.endswith(".ics")
    assert url not in client.get(reverse("calendar_settings")).content.decode()
    client.post(reverse("calendar_settings"), {"action": "revoke"})
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_group_member_who_left_drops_out_of_the_feed(group, client):
    leaver = group.members.filter(side="mentee").first().person
    meeting = upcoming_meeting(group)
    token = calendar_feed_create(person=leaver, by=leaver.user).token
    assert (
        f"meeting-{meeting.pk}@"
        in client.get(reverse("calendar_feed", args=[token])).content.decode()
    )
    relationship_end(relationship=group, by=leaver.user)
    assert (
        f"meeting-{meeting.pk}@"
        not in client.get(reverse("calendar_feed", args=[token])).content.decode()
    )
