"""The rules behind field validators, with no Django: each check raises `Invalid` with a message
a person can act on. `programs/validators.py` turns them into Django's `ValidationError` for forms,
models and services."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from functools import cache
from typing import Any

TAG_LIKE = re.compile(r"<\s*[a-zA-Z/!?]")
EMAIL_DOMAIN = re.compile(r"(?=.{3,253}$)([a-z0-9-]+\.)+[a-z]{2,}")
EARLIEST_FACULTY_YEAR = 1950


class Invalid(ValueError):
    """A value a rule refuses: a message with %(name)s placeholders, a code, and its params."""

    def __init__(self, message: str, *, code: str, params: Mapping[str, Any] | None = None):
        super().__init__(message % dict(params or {}))
        self.message = message
        self.code = code
        self.params = dict(params or {})


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise Invalid(
            "“%(value)s” is not a time zone we know. Choose one from the list, "
            "for example America/Toronto or Europe/London.",
            code="unknown_time_zone",
            params={"value": value},
        )


def check_year_joined(value: int, *, this_year: int) -> None:
    if not EARLIEST_FACULTY_YEAR <= value <= this_year:
        raise Invalid(
            "Enter the year you joined the faculty, between %(first)s and %(last)s.",
            code="year_out_of_range",
            params={"first": EARLIEST_FACULTY_YEAR, "last": this_year},
        )


def check_plain_text(value: str) -> None:
    """Refuse markup in text fields: it would be shown as literal text, which is never intended."""
    if TAG_LIKE.search(value or ""):
        raise Invalid(
            "Please remove the HTML tags (text between < and >); this field takes plain text only.",
            code="markup",
        )


def check_email_domain(value: str) -> None:
    """A domain like med.example.edu, without @ or scheme."""
    if not EMAIL_DOMAIN.fullmatch(value):
        raise Invalid(
            "“%(value)s” is not an email domain; enter it like med.example.edu.",
            code="bad_domain",
            params={"value": value},
        )
