"""Template helpers for relationship pages: times in another person's zone, small labels."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from programs.models import (
    ActionItemStatus,
    CommunicationMode,
    MenteeCommitment,
    MentorCommitment,
)

register = template.Library()


@register.filter
def in_zone(value: datetime | None, zone: str) -> datetime | None:
    """`{{ meeting.starts_at|in_zone:person.time_zone|date:"H:i" }}`: the time where they are.

    Returned naive on purpose: the `date` filter would otherwise convert an aware value back
    into the viewer's zone."""
    if value is None:
        return None
    try:
        return timezone.localtime(value, zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return value


@register.filter
def is_overdue(item: Any) -> bool:
    return bool(
        item.status == ActionItemStatus.OPEN and item.due_on and item.due_on < timezone.localdate()
    )


@register.filter
def names(members: Any) -> str:
    """ "Robert Lindqvist and Ana Silva" from a list of relationship members."""
    people = [m.person.display_name for m in members]
    if len(people) <= 2:
        return " and ".join(people)
    return ", ".join(people[:-1]) + " and " + people[-1]


@register.filter
def commitment(value: str, side: str) -> str:
    enum = MenteeCommitment if side == "mentee" else MentorCommitment
    return dict(enum.choices).get(value, value)  # type: ignore[return-value]


@register.filter
def mode_labels(values: list[str]) -> str:
    labels = dict(CommunicationMode.choices)
    return ", ".join(labels.get(v, v) for v in values or [])
