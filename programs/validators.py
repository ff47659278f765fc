"""Field validators shared by forms and services: the pure rules of `programs/domain/validators.py`
raising Django's `ValidationError`, so forms show the message next to the field."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from programs.domain import validators as rules
from programs.domain.validators import EARLIEST_FACULTY_YEAR, available_time_zones

__all__ = [
    "EARLIEST_FACULTY_YEAR",
    "available_time_zones",
    "validate_email_domain",
    "validate_plain_text",
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
