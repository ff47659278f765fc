"""Template helpers of the oversight pages (dashboard, table, reports)."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

from programs.domain.figures import DEFINITIONS
from programs.exports.reports import text_of

register = template.Library()


@register.filter
def split(value: str, separator: str = ",") -> list[str]:
    return value.split(separator)


@register.simple_tag(takes_context=True)
def with_query(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (and the page reset)."""
    query: QueryDict = context["request"].GET.copy()
    query.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + query.urlencode()


@register.filter
def row_cells(row: Any, columns: list[str]) -> list[dict[str, Any]]:
    """A roster row's cells in column order, with their errors and changes."""
    return row.cells(columns)


@register.simple_tag
def definition(figure: str) -> str:
    """The short definition of a figure, shown wherever the figure is (`domain.figures`)."""
    return DEFINITIONS[figure]


@register.filter
def report_cell(value: Any) -> str:
    """A report cell as the PDF and CSV write it (62%, 3.4, 2026-05-01, — for none)."""
    return text_of(value)
