"""iCalendar (RFC 5545) output, written by hand: no dependency, only what calendar apps need.

Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 sequence); text values escape
backslash, semicolon, comma and newlines; times are written in UTC ("Z") so no VTIMEZONE is
needed; each event has a stable UID and a SEQUENCE that grows with every change, so a
rescheduled meeting replaces the old one instead of appearing twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
MAX_OCTETS = 75


@dataclass(frozen=True)
class Person:
    """An ORGANIZER or ATTENDEE: calendar programs match people by their mailto address."""

    name: str
    email: str


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    sequence: int = 0
    cancelled: bool = False
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces; continuation lines start with one space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= MAX_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, MAX_OCTETS - 1  # the leading space counts
        current.append(char)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def param_value(value: str) -> str:
    """A parameter value (CN=...) in double quotes, which cannot themselves be escaped."""
    cleaned = "".join(c for c in value if c >= " " and c != '"')
    return f'"{cleaned}"'


def person_line(prop: str, person: Person, *params: str) -> str:
    parts = [prop, f"CN={param_value(person.name)}", *params]
    return f"{';'.join(parts)}:mailto:{person.email}"


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: Event, stamp: datetime) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{format_utc(stamp)}",
        f"DTSTART:{format_utc(event.starts_at)}",
        f"DTEND:{format_utc(event.ends_at)}",
        f"SEQUENCE:{event.sequence}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    if event.organizer:
        lines.append(person_line("ORGANIZER", event.organizer))
    for attendee in event.attendees:
        # RSVP=FALSE: we do not read calendar replies; people answer on the meeting page.
        lines.append(
            person_line(
                "ATTENDEE", attendee, "ROLE=REQ-PARTICIPANT", "PARTSTAT=NEEDS-ACTION", "RSVP=FALSE"
            )
        )
    lines.append("END:VEVENT")
    return lines


def calendar(
    events: Iterable[Event], *, name: str = "", method: str = "", stamp: datetime | None = None
) -> str:
    stamp = stamp or datetime.now(UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Mentorship//Mentoring meetings//EN",
        "CALSCALE:GREGORIAN",
    ]
    if method:
        lines.append(f"METHOD:{method}")
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines.extend(_event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
