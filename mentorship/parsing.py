"""Reading numbers from query strings and posted fields, where a missing or mistyped value is
ordinary (a hand-edited URL, a stale form) and must not become a server error."""

from __future__ import annotations

from typing import overload


@overload
def parse_int(value: str | None) -> int | None: ...
@overload
def parse_int(value: str | None, default: int) -> int: ...
def parse_int(value: str | None, default: int | None = None) -> int | None:
    """The integer `value` spells, or `default` when it is empty or not a whole number."""
    try:
        return int(value) if value else default
    except ValueError:
        return default
