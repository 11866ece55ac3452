"""Keeping the node's own database in shape from the network worker's clock."""

from __future__ import annotations

from django.db import connection

from . import handlers


@handlers.every(5, "storage.checkpoint")
def checkpoint() -> tuple[int, int, int] | None:
    """On SQLite, copy the write-ahead log back into the database without waiting for readers or
    writers (a passive checkpoint), so that requests do not pay for it. Returns SQLite's answer
    (busy, pages in the log, pages copied); PostgreSQL needs nothing of the kind."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, logged, copied = cursor.fetchone()
    return int(busy), int(logged), int(copied)
