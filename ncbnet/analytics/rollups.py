"""The daily rollups: counts (`base.tally`) added to `DailyFigure` in the transaction of the events
they count, by one upsert per batch (PostgreSQL and SQLite both have ON CONFLICT … DO UPDATE)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from ncbnet.base.tally import Count

from .models import DIMENSIONS, DailyFigure

_TABLE = DailyFigure._meta.db_table
_COLUMNS = (*DIMENSIONS, "n", "seconds", "late")
_ROWS_PER_STATEMENT = 500


def _statement(rows: int) -> str:
    q = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    table = q(_TABLE)
    added = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in ("n", "seconds", "late"))
    columns = ", ".join(q(c) for c in _COLUMNS)
    conflict = ", ".join(q(c) for c in DIMENSIONS)
    values = ", ".join([one] * rows)
    # names from the model, values as parameters
    return f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT ({conflict}) DO UPDATE SET {added}"  # noqa: S608


def add(counts: Sequence[Count]) -> None:
    """Add the counts to the figures, in the caller's transaction. Rows are written in one order
    (their key's), so two transactions adding to the same rows never wait on each other in a cycle."""
    ordered = sorted(counts, key=lambda c: c.key)
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), _ROWS_PER_STATEMENT):
            chunk = ordered[start : start + _ROWS_PER_STATEMENT]
            params: list[Any] = []
            for c in chunk:
                params += [c.day, c.event, c.country, c.owner, c.database, c.kind, c.iccs, c.outcome]
                params += [c.restricted, c.n, c.seconds, c.late]
            cursor.execute(_statement(len(chunk)), params)


def on_counted(sender: Any, counts: Sequence[Count], **kwargs: Any) -> None:
    add(counts)
