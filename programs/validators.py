"""Field validators shared by forms and services: the pure rules of `programs/domain/validators.py`
raising Django's `ValidationError`, so forms show the message next to the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from programs.domain import validators as rules
from programs.domain.validators import (
    EARLIEST_DATE_YEAR,
    EARLIEST_FACULTY_YEAR,
    LATEST_DATE_YEARS_AHEAD,
    MEETING_YEARS_AHEAD,
    MEETING_YEARS_BACK,
    available_time_zones,
)

__all__ = [
    "EARLIEST_DATE_YEAR",
    "EARLIEST_FACULTY_YEAR",
    "LATEST_DATE_YEARS_AHEAD",
    "MEETING_YEARS_AHEAD",
    "MEETING_YEARS_BACK",
    "available_time_zones",
    "validate_description",
    "validate_email_domain",
    "validate_meeting_date",
    "validate_name",
    "validate_no_bidi_controls",
    "validate_plain_text",
    "validate_sensible_date",
    "validate_time_zone",
    "validate_year_joined",
]


def _django(check: Callable[..., None]) -> Callable[..., None]:
    @wraps(check)
    def validate(value: Any) -> None:
        try:
            check(value)
        except rules.Invalid as problem:
            raise ValidationError(
                problem.message, code=problem.code, params=problem.params or None
            ) from None

    return validate


validate_time_zone = _django(rules.check_time_zone)
validate_plain_text = _django(rules.check_plain_text)
validate_email_domain = _django(rules.check_email_domain)


def validate_year_joined(value: int) -> None:
    _django(lambda year: rules.check_year_joined(year, this_year=timezone.now().year))(value)


validate_no_bidi_controls = _django(rules.check_no_bidi_controls)
validate_name = _django(rules.check_name)
validate_description = _django(rules.check_description)


def validate_sensible_date(value: date) -> None:
    _django(lambda day: rules.check_sensible_date(day, this_year=timezone.localdate().year))(value)


def validate_meeting_date(value: date) -> None:
    _django(lambda day: rules.check_meeting_date(day, this_year=timezone.localdate().year))(value)
