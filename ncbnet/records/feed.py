"""Bulk writes at the hub reach the nodes already on the network.

A record contributed alone is fanned out in the transaction that writes it (`replication.fanout`).
Records written in bulk (`demo seed --persons`, a bureau's bulk contribution) are not: a hundred
thousand records sealed for every node in one transaction would hold the database for minutes.
Each bulk write opens (or extends) a **feed job** instead: the records whose ids lie between its
`first` and `last`, for each node on the network when they were written, only those that node may
see (`Record.objects.live().visible_to(node)`). The network worker sends them in chunks of
`CHUNK` records per node, each chunk one transaction that also moves the node's cursor (the id of
the last record sent), so a restart resumes from the last chunk. A node that joins later gets the
records in its snapshot; one that leaves meanwhile is let go (its resync on a new key covers it).

A record sent twice is harmless: a node keeps a record's version once (`apply_records`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from ncbnet.base import audit, clock, holdings
from ncbnet.network import delivery
from ncbnet.network.envelope import new_id
from ncbnet.network.handlers import every

from .models import FeedJob, FeedJobNode, Record, RecordQuerySet
from .replication import send_records

CHUNK = 2000  # records to one node in one transaction (about ten envelopes)
EVERY = 2  # seconds between the worker's runs
BUDGET = 5.0  # seconds of sending in one run, at most (then the worker's other jobs get their turn)


def _nodes() -> list[str]:
    return [n for n in delivery.connected_nodes() if n != "hub"]


def selection(job: FeedJob, node: str, first: uuid.UUID | None = None) -> RecordQuerySet:
    """The job's records that `node` may see (from `first` on, if given), in id order."""
    qs = Record.objects.live().visible_to(node).filter(pk__gte=first or job.first, pk__lte=job.last)
    return qs.order_by("pk")


def wrote(source: str, what: str, ids: Sequence[uuid.UUID]) -> FeedJob | None:
    """Record that a bulk write made the records `ids`, inside its transaction: the job for
    `source` (opened by its first write, extended by the next) feeds them to every node on the
    network. None when no node is on the network (those that join get the records in their
    snapshot)."""
    if not ids:
        return None
    nodes = _nodes()
    job = FeedJob.objects.select_for_update().filter(source=source).first()
    if job is None and not nodes:
        return None
    low, high = min(ids), max(ids)
    now = clock.now()
    if job is None:
        job = FeedJob.objects.create(
            id=uuid.UUID(new_id()), source=source, what=what[:300], started_at=now, first=low, last=high
        )
        FeedJobNode.objects.bulk_create([FeedJobNode(job=job, node=n) for n in nodes])
        audit.record("records.feed_started", subject="GS", target=job, detail={"what": what, "nodes": nodes})
    else:
        job.first, job.last = min(job.first, low), max(job.last, high)
    job.written += len(ids)
    job.finished_at = None
    job.save(update_fields=["first", "last", "written", "finished_at"])
    for row in FeedJobNode.objects.select_for_update().filter(job=job, left=False):
        seen = Record.objects.live().visible_to(row.node).filter(pk__gte=low, pk__lte=high).count()
        row.total += seen
        if row.cursor is not None and row.cursor >= low:
            # ids are time-ordered, so this batch sorts after what was sent; if not, go back
            # before it (what is sent again is kept once)
            row.cursor = uuid.UUID(int=low.int - 1)
        if seen:
            row.finished_at = None
        row.save(update_fields=["total", "cursor", "finished_at"])
    _close_if_done(job)
    return job


def _close_if_done(job: FeedJob) -> None:
    """Mark the job finished once every node has caught up (the job's row locked, so that of two
    nodes finishing at once the later one sees the other's)."""
    job = FeedJob.objects.select_for_update().get(pk=job.pk)
    if job.finished_at is None and not job.nodes.filter(finished_at__isnull=True).exists():
        job.finished_at = clock.now()
        job.save(update_fields=["finished_at"])
        audit.record(
            "records.feed_finished",
            subject="GS",
            target=job,
            detail={"what": job.what, "sent": {r.node: r.sent for r in job.nodes.all()}},
        )


def step(row_id: int) -> int:
    """Send one node its next chunk of a job, in one transaction; returns how many records."""
    with transaction.atomic():
        row = FeedJobNode.objects.select_for_update().select_related("job").filter(pk=row_id).first()
        if row is None or row.finished_at is not None:
            return 0
        now = clock.now()
        if row.node not in _nodes():
            row.left, row.finished_at = True, now
            row.save(update_fields=["left", "finished_at"])
            audit.record("records.feed_left", subject=row.node, target=row.job, detail={"sent": row.sent})
            _close_if_done(row.job)
            return 0
        qs = selection(row.job, row.node)
        if row.cursor is not None:
            qs = qs.filter(pk__gt=row.cursor)
        chunk = list(qs[:CHUNK])
        sent = send_records([row.node], chunk) if chunk else 0
        if chunk:
            row.cursor = chunk[-1].pk
            row.sent += sent
        if len(chunk) < CHUNK:
            row.finished_at = now
        row.save(update_fields=["cursor", "sent", "finished_at"])
        _close_if_done(row.job)
    return sent


@every(EVERY, "records.feed")
def periodically() -> int | None:
    """The worker's job at the hub (`run`)."""
    return run()


def run(budget: float = BUDGET) -> int | None:
    """Chunks to every node with a feed to catch up, in turns, for at most `budget` seconds.
    Returns how many records were sent."""
    if not holdings.here().keeps_originals:
        return None
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < budget:
        rows = list(
            FeedJobNode.objects.filter(finished_at__isnull=True)
            .order_by("job__started_at", "node")
            .values_list("pk", flat=True)[:50]
        )
        if not rows:
            break
        for pk in rows:
            total += step(pk)
    return total or None


def status(limit: int = 20) -> list[dict[str, Any]]:
    """The latest feed jobs, and each node's progress."""
    return [
        {
            "id": str(job.pk),
            "what": job.what,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "written": job.written,
            "nodes": [
                {
                    "node": r.node,
                    "total": r.total,
                    "sent": r.sent,
                    "done": r.finished_at is not None,
                    "left": r.left,
                }
                for r in job.nodes.all()
            ],
        }
        for job in FeedJob.objects.prefetch_related("nodes").order_by("-started_at")[:limit]
    ]
