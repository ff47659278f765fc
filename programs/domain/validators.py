"""The rules behind field validators, with no Django: each check raises `Invalid` with a message
a person can act on. `programs/validators.py` turns them into Django's `ValidationError` for forms,
models and services."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from datetime import date
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


# Explicit direction overrides, embeddings and isolates (not the invisible marks, which some
# right-to-left names need): an override can make "Smith" display as another name entirely.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Other control characters (NUL, escape, …) have no place in a one-line value.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")
# A spreadsheet treats a cell starting with these as a formula (exports neutralise them too).
FORMULA_STARTS = ("=", "+", "-", "@")


def check_no_bidi_controls(value: str) -> None:
    if BIDI_CONTROLS.search(value or ""):
        raise Invalid(
            "Please remove the invisible text-direction characters (they can make a name display "
            "as something else).",
            code="bidi_control",
        )


def check_name(value: str) -> None:
    """A person's or a reference list's name: plain text on one line, which a spreadsheet will
    not run as a formula and whose displayed order cannot be spoofed."""
    check_plain_text(value)
    check_no_bidi_controls(value)
    if CONTROL_CHARACTERS.search(value or ""):
        raise Invalid(
            "Please remove the control characters (such as tabs or line breaks) from this name.",
            code="control_character",
        )
    if (value or "").lstrip().startswith(FORMULA_STARTS):
        raise Invalid(
            "A name cannot start with =, +, - or @ (spreadsheets would treat it as a formula).",
            code="formula_prefix",
        )


def check_description(value: str) -> None:
    """Reference data shown to everyone (e.g. a need area's description): plain text only."""
    check_plain_text(value)
    check_no_bidi_controls(value)


# Dates a person may enter anywhere: far enough back for a career, a decade ahead for plans.
# Beyond that a date is a typo, and dates near year 1 or 9999 overflow when converted between
# time zones or moved by a few days.
EARLIEST_DATE_YEAR = 1900
LATEST_DATE_YEARS_AHEAD = 10
# A meeting is scheduled or logged within a few years of today.
MEETING_YEARS_BACK = 5
MEETING_YEARS_AHEAD = 3


def check_sensible_date(value: date, *, this_year: int) -> None:
    last = this_year + LATEST_DATE_YEARS_AHEAD
    if not EARLIEST_DATE_YEAR <= value.year <= last:
        raise Invalid(
            "Enter a date between %(first)s and %(last)s.",
            code="date_out_of_range",
            params={"first": EARLIEST_DATE_YEAR, "last": last},
        )


def check_meeting_date(value: date, *, this_year: int) -> None:
    first, last = this_year - MEETING_YEARS_BACK, this_year + MEETING_YEARS_AHEAD
    if not first <= value.year <= last:
        raise Invalid(
            "Choose a date between %(first)s and %(last)s: meetings are planned or logged "
            "within a few years of today.",
            code="meeting_date_out_of_range",
            params={"first": first, "last": last},
        )


def too_long_message(limit: int, length: int) -> str:
    """One wording for every over-long text, which is kept on the page with this next to it."""
    return f"Keep this under {limit:,} characters — it is {length:,} now."
