"""Template helpers for relationship pages: times in another person's zone, small labels."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from programs.models import (
    ActionItemStatus,
    CommunicationMode,
    MenteeCommitment,
    MentorCommitment,
    MentorRole,
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
    return str(dict(enum.choices).get(value, value))


@register.filter
def mode_labels(values: list[str]) -> str:
    labels = dict(CommunicationMode.choices)
    return ", ".join(labels.get(v, v) for v in values or [])


@register.inclusion_tag("people/_avatar.html")
def avatar(person: Any, size: str = "medium") -> dict[str, Any]:
    """The person's photo (served through the access check) or their initials. Decorative:
    the name is always written next to it, so screen readers are not told twice."""
    url = ""
    if person.photo:
        # The stored name changes with every upload, so browsers never show an old photo.
        version = person.photo.name.rsplit("/", 1)[-1][:8]
        url = f"{reverse('person_photo', args=[person.pk])}?v={version}"
    return {"url": url, "initials": person.initials, "size": size}


@register.filter
def role_labels(values: list[str] | None) -> list[str]:
    """Mentor role codes ("sponsor") as their words ("Sponsor")."""
    labels = dict(MentorRole.choices)
    return [str(labels[v]) for v in values or [] if v in labels]
