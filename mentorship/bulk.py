"""Fast set-based reads and writes for sweeps over the whole database.

On PostgreSQL, `insert_ignoring_conflicts` sends any number of rows as one
`INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING` statement (no per-row model objects,
one round trip), and `fetch_rows` runs a query set's SQL and returns plain tuples without Django's
per-row conversion. Elsewhere (SQLite in the local demo) both fall back to the ORM, which gives
the same results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def insert_ignoring_conflicts(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Insert rows (values in the order of `columns`, field names), skipping any that would
    break a unique constraint. Fields not named take their model default (computed once)."""
    if not rows:
        return 0
    fields = {f.name: f for f in model._meta.concrete_fields}
    named = [fields[c] for c in columns]
    if connection.vendor != "postgresql":
        attnames = [f.attname for f in named]
        objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=500, ignore_conflicts=True)
        return len(rows)
    others = [f for f in model._meta.concrete_fields if f.name not in columns and not f.primary_key]
    defaults = [_default(f) for f in others]
    arrays = []
    selects = []
    for i, field in enumerate(named):
        values = [row[i] for row in rows]
        if isinstance(field, models.JSONField):
            values = [json.dumps(v) for v in values]
            selects.append(f"c{i}::jsonb")
            arrays.append(("text[]", values))
        else:
            arrays.append((f"{field.db_type(connection)}[]", values))
            selects.append(f"c{i}")
    placeholders = ", ".join(f"%s::{kind}" for kind, _ in arrays)
    aliases = ", ".join(f"c{i}" for i in range(len(arrays)))
    constants = [f"%s::{f.db_type(connection)}" for f in others]
    # Only identifiers and types from the model's own metadata are interpolated; values are
    # passed as parameters.
    sql = (
        f'INSERT INTO "{model._meta.db_table}" '  # noqa: S608
        f"({', '.join(_quote(f.column) for f in [*named, *others])}) "  # type: ignore[arg-type]
        f"SELECT {', '.join([*selects, *constants])} "
        f"FROM unnest({placeholders}) AS t({aliases}) ON CONFLICT DO NOTHING"
    )
    # The constants' placeholders come first in the statement (in the SELECT list).
    params = [
        json.dumps(v) if isinstance(f, models.JSONField) else v
        for f, v in zip(others, defaults, strict=True)
    ] + [values for _, values in arrays]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(rows)


def fetch_rows(queryset: Any) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` query set as plain tuples. On PostgreSQL the SQL is run
    directly (values come back as psycopg2 makes them: aware UTC datetimes, dates, ints); list
    the plain fields before any annotation, which is the order Django selects them in."""
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _auto_now(field: models.Field) -> bool:
    return bool(getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False))


def _default(field: models.Field) -> Any:
    if _auto_now(field):
        from django.utils import timezone

        return timezone.now()
    return field.get_default()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)
