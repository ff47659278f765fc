"""Numbers and search terms from query strings, posted fields and URLs, where a missing or
mistyped value is ordinary (a hand-edited URL, a stale form): anything else means "not given", so
no value a person (or a tampered link) sends can overflow a database column or become a 500."""

from __future__ import annotations

import re
from typing import overload

# The largest value of a BigAutoField (PostgreSQL bigint, SQLite integer).
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")
_ALL_DIGITS = re.compile(r"[0-9]+")


_INTEGER = re.compile(r"[-+]?[0-9]{1,19}")


@overload
def parse_int(value: str | None) -> int | None: ...
@overload
def parse_int(value: str | None, default: int) -> int: ...
def parse_int(value: str | None, default: int | None = None) -> int | None:
    """The whole number `value` spells, or `default` when it is empty, not a whole number, or
    beyond a 64-bit column."""
    text = (value or "").strip()
    if not _INTEGER.fullmatch(text):
        return default
    number = int(text)
    return number if -MAX_ID <= number <= MAX_ID else default


def id_param(value: str | None) -> int | None:
    """A positive database id, or None for anything else (empty, negative, huge, not a number)."""
    text = (value or "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = parse_int(text)
    return number if number is not None and number >= 1 else None


def path_ids_in_range(path: str) -> bool:
    """Whether every all-digit segment of a URL path fits an id (`<int:pk>` has no bound)."""
    for segment in path.split("/"):
        stem = segment.split(".", 1)[0]
        if _ALL_DIGITS.fullmatch(stem) and (len(stem) > 19 or int(stem) > MAX_ID):
            return False
    return True


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def text_param(value: str | None, *, limit: int = 100) -> str:
    """A search term from a query string: control characters (NUL, which PostgreSQL refuses in
    any query, tabs, newlines) removed, trimmed, at most `limit` characters."""
    return _CONTROL.sub("", value or "").strip()[:limit]
