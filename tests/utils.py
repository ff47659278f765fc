"""Small helpers shared by tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action: Callable[[], Any]) -> int:
    """How many SQL queries `action` runs."""
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)
