"""Field validators shared by forms and services, with messages a person can act on."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils import timezone

TAG_LIKE = re.compile(r"<\s*[a-zA-Z/!?]")
EARLIEST_FACULTY_YEAR = 1950


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Choose one from the list, "
            "for example America/Toronto or Europe/London.",
            code="unknown_time_zone",
            params={"value": value},
        )


def validate_year_joined(value: int) -> None:
    this_year = timezone.now().year
    if not EARLIEST_FACULTY_YEAR <= value <= this_year:
        raise ValidationError(
            "Enter the year you joined the faculty, between %(first)s and %(last)s.",
            code="year_out_of_range",
            params={"first": EARLIEST_FACULTY_YEAR, "last": this_year},
        )


def validate_plain_text(value: str) -> None:
    """Refuse markup in text fields: it would be shown as literal text, which is never intended."""
    if TAG_LIKE.search(value or ""):
        raise ValidationError(
            "Please remove the HTML tags (text between < and >); this field takes plain text only.",
            code="markup",
        )


def validate_email_domain(value: str) -> None:
    """A domain like med.example.edu, without @ or scheme."""
    if not re.fullmatch(r"(?=.{3,253}$)([a-z0-9-]+\.)+[a-z]{2,}", value):
        raise ValidationError(
            "“%(value)s” is not an email domain; enter it like med.example.edu.",
            code="bad_domain",
            params={"value": value},
        )
