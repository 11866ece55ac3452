"""What the records count in the figures (`base.tally`), and how the rebuild recounts it from what
they keep: a record's first version says who contributed it, to which database, in which crime
category and under which restriction; a withdrawn record says when. The hooks and the recount
make their counts with the same functions, so a figure kept live and a figure recounted agree.

Counted at the hub, where records are written (`services`, `imports`, `bulk`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from ncbnet.base import iccs
from ncbnet.base.tally import Count, day_of

from .models import Access, Record, RecordVersion


def restricted(access: str) -> bool:
    """A record listed for some countries only (or kept from some) is not every country's to see."""
    return access != Access.ALL


def contributed(owner: str, database: str, data: Mapping[str, Any], access: str, at: datetime) -> Count:
    return Count(
        "record.contributed",
        day_of(at),
        country=owner,
        owner=owner,
        database=database,
        iccs=iccs.of(data),
        restricted=restricted(access),
    )


def withdrawn(record: Record) -> Count:
    if record.deleted_at is None:
        raise ValueError("a record not withdrawn")
    return Count(
        "record.withdrawn",
        day_of(record.deleted_at),
        country=record.owner,
        owner=record.owner,
        database=record.database,
        iccs=record.iccs,
        restricted=restricted(record.access),
    )


def recount(start: datetime, end: datetime) -> Iterator[Count]:
    """The counts of the records contributed and withdrawn from `start` to `end` (excluded)."""
    first = RecordVersion.objects.filter(version=1, at__gte=start, at__lt=end).values_list(
        "record__owner", "record__database", "data", "restriction", "at"
    )
    for owner, database, data, restriction, at in first.iterator(chunk_size=2000):
        yield contributed(owner, database, data, (restriction or {}).get("access", Access.ALL), at)
    for record in Record.objects.filter(deleted_at__gte=start, deleted_at__lt=end).only(
        "owner", "database", "iccs", "access", "deleted_at"
    ):
        yield withdrawn(record)
