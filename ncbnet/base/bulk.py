"""Many rows into one table in one statement (executemany), for the hot paths that keep
messages by the hundred: bulk_create spends most of its time on per-object, per-field work
that rows already validated at the edge do not need."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connections, models, router

# Fields whose Python value the database driver cannot take as it is (its own type on
# PostgreSQL, text on SQLite): their values go through the field's own preparation. A foreign
# key prepares its value as the key it points to (a UUID primary key, say).
_PREPARED = (models.UUIDField, models.JSONField, models.DateTimeField, models.DateField, models.ForeignKey)
_MISSING = object()


def insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert one row per mapping (field name or attname to value; a field not given takes
    its default) with a single executemany; returns how many rows were given. Runs no
    save() and sends no signals, as bulk_create does not either."""
    # The model's own connection, not the `connection` proxy: each attribute read through the
    # proxy goes through a context-local lookup, and preparing values reads several per value.
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    plan = []
    for f in fields:
        prepare = f.get_db_prep_save if isinstance(f, _PREPARED) else None
        plan.append((f.name, f.attname, prepare, f))
    values = []
    for row in rows:
        line = []
        for name, attname, prepare, f in plan:
            value = row.get(name, _MISSING)
            if value is _MISSING:
                value = row.get(attname, _MISSING)
            if value is _MISSING:
                value = f.get_default()
            if isinstance(value, models.Model):
                value = value.pk
            line.append(prepare(value, connection) if prepare is not None else value)
        values.append(line)
    if not values:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names from the model
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
    return len(values)
