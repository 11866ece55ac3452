"""What the records count in the figures (`base.tally`), and how the rebuild recounts it from what
they keep: a record's first version says who contributed it, to which database, in which crime
category and under which restriction; a withdrawn record says when. The hooks and the recount
make their counts with the same functions, so a figure kept live and a figure recounted agree.

Counted at the hub, where records are written (`services`, `imports`, `bulk`), and on the
contributing bureau's node when the hub's acceptance arrives (`contribution`, `imports`): the
node's own figures of its contributions. Withdrawals are counted at the hub."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Count as Counted

from ncbnet.base import iccs
from ncbnet.base.node import node_id
from ncbnet.base.tally import Count, day_of

from .models import Access, BulkImport, Contribution, ImportRow, Record, RecordVersion


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


def imported(job: BulkImport, batch: int | None, at: datetime) -> list[Count]:
    """On the contributing node: the rows of a bulk contribution's batch the hub accepted, whose
    answer arrived `at`, counted by category (one count a batch)."""
    rows = ImportRow.objects.filter(bulk_import=job, status=ImportRow.Status.ACCEPTED, answered_at=at)
    if batch is not None:
        rows = rows.filter(batch=batch)
    access = (job.restriction or {}).get("access") or Access.ALL
    return [
        dataclasses.replace(contributed(node_id(), job.database, {"iccs": code}, access, at), n=n)
        for code, n in rows.values_list("iccs").annotate(n=Counted("id")).order_by("iccs")
    ]


def recount(start: datetime, end: datetime) -> Iterator[Count]:
    """The counts of the records contributed and withdrawn from `start` to `end` (excluded): at
    the hub the records written, on a node the contributions the hub accepted."""
    answered = Contribution.objects.filter(status="accepted", answered_at__gte=start, answered_at__lt=end)
    for c in answered.iterator(chunk_size=2000):
        if c.answered_at is not None:  # as the filter says: for the types
            yield contributed(node_id(), c.database, {"iccs": c.iccs}, c.access, c.answered_at)
    imports = (
        ImportRow.objects.filter(
            status=ImportRow.Status.ACCEPTED, answered_at__gte=start, answered_at__lt=end
        )
        .values_list("bulk_import_id", "answered_at")
        .order_by()
        .distinct()
    )
    for job_id, at in imports:  # each answer of a batch (or of several, at one moment)
        if at is not None:  # as the filter says: for the types
            yield from imported(BulkImport.objects.get(pk=job_id), None, at)
    first = RecordVersion.objects.filter(version=1, at__gte=start, at__lt=end).values_list(
        "record__owner", "record__database", "data", "restriction", "at"
    )
    for owner, database, data, restriction, at in first.iterator(chunk_size=2000):
        yield contributed(owner, database, data, (restriction or {}).get("access", Access.ALL), at)
    withdrawn_then = Record.objects.filter(deleted_at__gte=start, deleted_at__lt=end).order_by()
    for record in withdrawn_then.only("owner", "database", "iccs", "access", "deleted_at"):
        yield withdrawn(record)
