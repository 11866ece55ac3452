"""Snapshots by the stream: a node that joins the network receives every record its country may
see, in numbered chunks of at most `SNAPSHOT_ROWS` records and `SNAPSHOT_PACKED` bytes
compressed, in the order of the records' ids; it stores each chunk in bulk, indexes it for
screening, and keeps its cursor (the chunk's number and the last id it covered) in the same
transaction; a restart or a lost chunk resumes from that cursor.

At the hub (`SnapshotStream`, one row a node): joining opens the stream; the worker's
`records.snapshot` job reads the next records after the cursor (a keyset read on the primary
key, the node's visibility rule in the query), packs them (JSON rows, zlib, base64), seals the
chunk to the node's key and queues it, moving the cursor in the same transaction. It never runs
more than `WINDOW` chunks ahead of the last chunk the node said it stored (`replica.snapshot_stored`,
queued by the node in the chunk's own transaction), so neither the outbox nor the node's inbox
fills with chunks faster than the node stores them. A record too big for a chunk of its own
travels beside it as an ordinary change (`replication.send_records`, in parts), queued before it.

On a node (`SnapshotCursor`): a chunk is stored only if it follows the cursor (its number is the
next and it starts where the last one ended); a duplicate, or one from an older round, is refused
with an audit entry and stores nothing; one that comes after a gap (a lost chunk) is refused
likewise and the node asks the hub to resume from its cursor (`replica.snapshot_resume`), at
most once every `RESUME_EVERY`; the hub starts a new round from there. A snapshot that stopped
moving for `STALL` is resumed the same way. A chunk that is not for this node, too big once
opened, malformed or not in its own order is quarantined, never stored.

A first load (the node holds no replica yet) is written without the indexes that a record or a
person's key goes into at a random place: when the first chunk is stored, the replica's lookups
by key and the indexes other apps keep of it (`deferring_indexes`: screening's name keys) are
dropped, and they are built again once the final chunk is stored (`build_deferred`), each in one
pass over the loaded rows, in its own transaction; an index not yet built when the worker stopped
is built by `watch`. Kept up to date row by row, these indexes were most of a node's time per row
at ten million rows (each new key a random page of an index far bigger than the page cache).
Meanwhile the node finds what it holds by reading every row (slower, never wrong): it holds only
part of its replica then anyway, as its snapshot page says.

The change feed (`replication.send_changes`) runs beside it: the joining node is on the network,
so every change reaches it as it does every other node. The two cannot leave an older version
over a newer one: a node keeps a record's version only if it is newer than the one it holds, from
either path; the snapshot job and the change feed run one after the other in the hub's worker,
so a record read into a chunk before a change committed is queued before that change's envelope.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.dispatch import Signal, receiver

from ncbnet.base import audit, clock, holdings
from ncbnet.base.node import node_id
from ncbnet.network import delivery, wire
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, every, register, require_hub
from ncbnet.network.signals import node_joined

from . import packing, tables
from .bulk import persons_written
from .models import Record, ReplicaRecord, SnapshotCursor, SnapshotStream
from .replication import send_records
from .schemas import (
    SNAPSHOT_PACKED,
    SNAPSHOT_RAW,
    SNAPSHOT_ROWS,
    SNAPSHOT_ROWS_ADAPTER,
    SnapshotChunkBody,
    SnapshotResumeBody,
    SnapshotStoredBody,
)

CHUNK = "replica.snapshot_chunk"
STORED = "replica.snapshot_stored"
RESUME = "replica.snapshot_resume"
WINDOW = 6  # chunks sent and not yet stored, at most
EVERY = 0.2  # seconds between the worker's runs of `records.snapshot`
BUDGET = 1.0  # seconds of packing in one run, at most (the worker's other work waits meanwhile)
RAW_TARGET = 4 * 1024 * 1024  # a chunk's rows as JSON, about (then compressed to about a quarter)
ONE_ROW = 1024 * 1024  # a record bigger than this as a row travels as an ordinary change
RESUME_EVERY = timedelta(seconds=30)  # a node asks for a resume at most this often; the hub obeys as often
STALL = timedelta(minutes=2)  # a snapshot that stored nothing for this long is resumed
COLUMNS = (
    "id", "database", "owner", "label", "key", "data", "version", "handling", "handling_note",
    "notify_on_view", "updated_at", "retain_until", "received_at",
)  # fmt: skip


# Sent when a first load begins (the node holds no replica): each receiver drops the indexes it
# keeps of the replica that the load need not read (`tables.Tables.defer_indexes`) and returns the
# statements that build them again.
deferring_indexes = Signal()


def chunk_rows() -> int:
    return min(settings.NODE.snapshot_chunk_rows, SNAPSHOT_ROWS)


# --- at the hub ---------------------------------------------------------------------------------


@receiver(node_joined)
def start(sender: Any, node: str, **kwargs: Any) -> SnapshotStream | None:
    """A node joining the network gets every record its country may see, from the first, by the
    `records.snapshot` job (inside the registration's transaction: nothing is read here)."""
    if node == "hub":
        return None
    stream, _ = SnapshotStream.objects.update_or_create(
        node=node,
        defaults={
            "snapshot": uuid.UUID(new_id()),
            "round": 1,
            "started_at": clock.now(),
            "total": None,
            "cursor": None,
            "sent_seq": 0,
            "sent_rows": 0,
            "sent_bytes": 0,
            "sent_all_at": None,
            "stored_seq": 0,
            "stored_rows": 0,
            "stored_at": None,
            "resumes": 0,
            "resumed_at": None,
            "finished_at": None,
        },
    )
    audit.record(
        "replica.snapshot_started", subject=node, target=stream, detail={"snapshot": str(stream.snapshot)}
    )
    return stream


@every(EVERY, "records.snapshot")
def periodically() -> int | None:
    """The worker's job at the hub (`send`)."""
    return send()


def send(budget: float = BUDGET) -> int | None:
    """Chunks to every node with a snapshot to receive, each within its window, for at most
    `budget` seconds; returns how many records were sent (None at a node, or when none)."""
    if not holdings.here().keeps_originals:
        return None
    started = time.monotonic()
    total = 0
    connected = set(delivery.connected_nodes())
    while time.monotonic() - started < budget:
        moved = 0
        for pk in SnapshotStream.objects.filter(sent_all_at__isnull=True, node__in=connected).values_list(
            "pk", flat=True
        ):
            sent = send_chunk(pk)
            if sent is not None:
                total += sent
                moved += 1
        if not moved:
            break
    return total or None


def _visible(node: str) -> Any:
    return Record.objects.live().visible_to(node).order_by("pk")


def _uuid_text(value: Any) -> str:
    """A record id as the database gives it (SQLite: 32 hex digits; PostgreSQL: a UUID), as text."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def _time_text(value: Any) -> str:
    """A time as the database gives it (SQLite: UTC without its zone, as text or a naive datetime;
    PostgreSQL: a datetime with its zone), in ISO 8601 with its zone."""
    if isinstance(value, str):
        return value.replace(" ", "T") + "+00:00"
    return str(value.isoformat()) + ("+00:00" if value.tzinfo is None else "")


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _rows(read: list[Sequence[Any]]) -> tuple[list[str], list[str]]:
    """The records, as read by `send_chunk`, as a chunk's rows (JSON text, each record's data
    spliced in as the database keeps it: decoding it to encode it again was a third of the
    hub's time a row), and their ids."""
    rows, ids = [], []
    for pk, database, owner, label, key, data, version, handling, note, notify, updated, retain in read:
        rid = _uuid_text(pk)
        head = _compact([rid, database, owner, label, key])
        tail = _compact([int(version), handling, note, bool(notify), _time_text(updated), _time_text(retain)])
        rows.append(f"{head[:-1]},{data},{tail[1:]}")
        ids.append(rid)
    return rows, ids


def _pack(rows: list[str]) -> tuple[bytes, str]:
    raw = ("[" + ",".join(rows) + "]").encode("utf-8")
    return raw, packing.pack(raw)


FIELDS = (
    "pk", "database", "owner", "label", "key", "text", "version", "handling", "handling_note",
    "notify_on_view", "updated_at", "retain_until",
)  # fmt: skip
PACKED_TEXT = (SNAPSHOT_PACKED + 2) // 3 * 4  # a chunk's packed rows in base64, at most


def _read(node: str, after: uuid.UUID | None, limit: int) -> list[Sequence[Any]]:
    """The next records `node` may see after `after`, in id order, as the database gives them
    (the data as its JSON text): a keyset read on the primary key, without the ORM's
    conversions (a third of the hub's time per row)."""
    visible = _visible(node)
    if after is not None:
        visible = visible.filter(pk__gt=after)
    query = visible.annotate(text=Cast("data", TextField())).values_list(*FIELDS)[:limit]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def send_chunk(pk: int) -> int | None:
    """One transaction: the next chunk of one node's snapshot, queued, and its stream moved on;
    None when its window is full (or it is sent whole). Returns the rows sent."""
    with transaction.atomic():
        stream = SnapshotStream.objects.select_for_update().filter(pk=pk).first()
        if stream is None or stream.sent_all_at is not None or stream.sent_seq - stream.stored_seq >= WINDOW:
            return None
        if stream.total is None:
            stream.total = _visible(stream.node).count()
        after = stream.cursor
        wanted = chunk_rows()
        read = _read(stream.node, after, wanted)
        every, ids = _rows(read)
        rows: list[str] = []
        kept: list[str] = []  # the ids of `rows`
        big: list[str] = []
        size = 0
        last = str(after) if after else None
        for row, rid in zip(every, ids, strict=True):
            if len(row) > ONE_ROW:
                big.append(rid)
            else:
                if size + len(row) > RAW_TARGET and rows:
                    break
                rows.append(row)
                kept.append(rid)
                size += len(row) + 1
            last = rid
        final = len(read) < wanted and len(rows) + len(big) == len(read)
        raw, packed = _pack(rows)
        while (len(packed) > PACKED_TEXT or len(raw) > SNAPSHOT_RAW) and len(rows) > 1:
            # Barely compressible rows (photos): half as many, until the chunk is within its bounds.
            rows, kept = rows[: len(rows) // 2], kept[: len(rows) // 2]
            last = kept[-1]
            big = [b for b in big if uuid.UUID(b) < uuid.UUID(last)]
            final = False
            raw, packed = _pack(rows)
        if big:
            send_records([stream.node], Record.objects.filter(pk__in=big).order_by("pk"))
        seq = stream.sent_seq + 1
        delivery.queue(
            CHUNK,
            [stream.node],
            {
                "snapshot": str(stream.snapshot),
                "node": stream.node,
                "round": stream.round,
                "seq": seq,
                "after": str(after) if after else None,
                "last": last,
                "final": final,
                "total": stream.total,
                "rows": len(rows),
                "raw": len(raw),
                "packed": packed,
            },
        )
        stream.sent_seq, stream.cursor = seq, uuid.UUID(last) if last else None
        stream.sent_rows += len(rows) + len(big)
        stream.sent_bytes += len(packed)
        if final:
            stream.sent_all_at = clock.now()
        stream.save()
    return len(rows) + len(big)


@register(
    STORED,
    SnapshotStoredBody,
    to_hub="snapshot receipts go to the hub",
    from_bureau="snapshot receipts come from nodes",
)
def stored(envelope: Arrived, body: SnapshotStoredBody) -> None:
    """Hub: the node stored a chunk: the window moves on; with the final one, the snapshot is done."""
    stream = _stream_of(envelope.sender, body.snapshot)
    if body.round < stream.round:
        return  # a receipt from before a resume: the node's cursor, which the resume named, is later
    if body.round > stream.round or body.seq > stream.sent_seq:
        raise Rejected(
            f"{envelope.sender} says it stored chunk {body.seq} of round {body.round}; "
            f"chunk {stream.sent_seq} of round {stream.round} is the last sent"
        )
    stream.stored_seq = max(stream.stored_seq, body.seq)
    stream.stored_rows, stream.stored_at = body.rows, clock.now()
    if body.final and stream.finished_at is None:
        if stream.sent_all_at is None or body.seq != stream.sent_seq:
            raise Rejected(f"{envelope.sender} says chunk {body.seq} was the final one; it was not")
        stream.finished_at = stream.stored_at
        audit.record(
            "replica.snapshot_finished",
            subject=stream.node,
            target=stream,
            detail={
                "snapshot": str(stream.snapshot),
                "chunks": stream.sent_seq,
                "rows": body.rows,
                "sent": stream.sent_rows,
                "resumes": stream.resumes,
            },
        )
    stream.save()


def _stream_of(node: str, snapshot: uuid.UUID) -> SnapshotStream:
    stream = SnapshotStream.objects.select_for_update().filter(node=node).first()
    if stream is None or stream.snapshot != snapshot:
        raise Rejected(f"{snapshot} is not {node}'s snapshot")
    return stream


@register(
    RESUME,
    SnapshotResumeBody,
    to_hub="snapshot resumes go to the hub",
    from_bureau="snapshot resumes come from nodes",
)
def resume(envelope: Arrived, body: SnapshotResumeBody) -> None:
    """Hub: send the rest of the snapshot again from the node's cursor, as a new round (the
    chunks of the last round still on their way are refused by the node)."""
    stream = _stream_of(envelope.sender, body.snapshot)
    now = clock.now()
    if stream.finished_at is not None:
        raise Rejected(f"{envelope.sender}'s snapshot is finished: a resync puts a replica right")
    if body.seq > stream.sent_seq:
        raise Rejected(
            f"{envelope.sender} resumes after chunk {body.seq}; chunk {stream.sent_seq} is the last sent"
        )
    if stream.resumed_at is not None and now - stream.resumed_at < RESUME_EVERY:
        raise Rejected(f"{envelope.sender} asked for a resume again within {RESUME_EVERY.seconds} s")
    stream.round += 1
    stream.sent_seq = stream.stored_seq = body.seq
    stream.cursor = body.key
    stream.sent_all_at = None
    stream.resumes += 1
    stream.resumed_at = now
    stream.save()
    audit.record(
        "replica.snapshot_resumed",
        subject=stream.node,
        target=stream,
        detail={
            "snapshot": str(stream.snapshot),
            "round": stream.round,
            "after_chunk": body.seq,
            "reason": body.reason,
        },
    )


def progress_at_hub() -> list[dict[str, Any]]:
    """Every node's snapshot as the hub sees it: chunks and rows sent and stored, rate, ETA."""
    now = clock.now()
    out = []
    for s in SnapshotStream.objects.order_by("-started_at"):
        out.append(
            {
                "node": s.node,
                "snapshot": str(s.snapshot),
                "started_at": s.started_at,
                "finished_at": s.finished_at,
                "total": s.total,
                "chunks_sent": s.sent_seq,
                "chunks_stored": s.stored_seq,
                "rows_sent": s.sent_rows,
                "rows_stored": s.stored_rows,
                "resumes": s.resumes,
                **_rate(s.stored_rows, s.total, s.started_at, s.finished_at or s.stored_at or now),
            }
        )
    return out


def _rate(done: int, total: int | None, since: Any, until: Any) -> dict[str, float | None]:
    seconds = max((until - since).total_seconds(), 1e-3)
    rate = done / seconds
    left = (total - done) / rate if total is not None and rate > 0 and total >= done else None
    return {"rows_per_s": round(rate, 1), "eta_s": round(left, 1) if left is not None else None}


# --- on an NCB node -----------------------------------------------------------------------------

# What could make a row's text one the database cannot keep: a NUL (written or escaped) or an
# escaped surrogate (a pair is fine, a lone one is not: the rows are then looked at one by one).
_RISKY = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def open_rows(body: SnapshotChunkBody) -> list[Any]:
    """The chunk's rows, opened within their bounds and checked, column by column, in one pass
    of pydantic's JSON reader; raises Rejected saying what is wrong."""
    try:
        raw = packing.unpack(
            body.packed, body.raw, what="a snapshot chunk", max_packed=SNAPSHOT_PACKED, max_raw=SNAPSHOT_RAW
        )
    except packing.Unpackable as exc:
        raise Rejected(str(exc)) from exc
    try:
        rows = SNAPSHOT_ROWS_ADAPTER.validate_json(raw)
    except wire.ValidationError as exc:
        raise Rejected(f"malformed snapshot rows: {wire.problems(exc)}") from exc
    if b"\x00" in raw or (b"\\u" in raw and _RISKY.search(raw) and not all(map(_keepable, rows))):
        raise Rejected("a snapshot chunk's rows hold a NUL character or a lone surrogate")
    if len(rows) != body.rows:
        raise Rejected(f"a snapshot chunk holds {len(rows)} rows, not the {body.rows} it says")
    previous = body.after
    for r in rows:
        if (previous is not None and r[0] <= previous) or body.last is None or r[0] > body.last:
            raise Rejected(f"record {r[0]} is out of the chunk's order or range")
        previous = r[0]
    return rows


def _keepable(value: Any) -> bool:
    """Whether every text in `value` is one a database column keeps (no NUL, no lone surrogate)."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_keepable(k) and _keepable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(map(_keepable, value))
    return True


def _refuse(cursor: SnapshotCursor, body: SnapshotChunkBody, why: str, gap: bool) -> None:
    """A chunk that does not follow the cursor: nothing stored, an audit entry; after a gap, a
    resume asked of the hub (at most once every `RESUME_EVERY`)."""
    cursor.refused += 1
    cursor.save(update_fields=["refused"])
    audit.record(
        "replica.snapshot_chunk_refused",
        subject="hub",
        target=cursor,
        detail={"snapshot": str(body.snapshot), "round": body.round, "seq": body.seq, "why": why},
    )
    if gap:
        ask_resume(cursor, why)


def ask_resume(cursor: SnapshotCursor, why: str) -> bool:
    """Ask the hub to send the snapshot again from this node's cursor (inside the caller's
    transaction); not again within `RESUME_EVERY`."""
    now = clock.now()
    if cursor.asked_at is not None and now - cursor.asked_at < RESUME_EVERY:
        return False
    cursor.asked_at = now
    cursor.save(update_fields=["asked_at"])
    delivery.queue(
        RESUME,
        ["hub"],
        {
            "snapshot": str(cursor.snapshot),
            "seq": cursor.seq,
            "key": str(cursor.key) if cursor.key else None,
            "reason": why[:300],
        },
    )
    audit.record(
        "replica.snapshot_resume",
        subject=node_id(),
        target=cursor,
        detail={"snapshot": str(cursor.snapshot), "after_chunk": cursor.seq, "why": why},
    )
    return True


@register(CHUNK, SnapshotChunkBody)
def chunk_arrived(envelope: Arrived, body: SnapshotChunkBody) -> None:
    """Node: store the chunk if it follows the cursor, and move the cursor, in one transaction."""
    require_hub(envelope, "snapshots")
    me = node_id()
    if body.node != me:
        raise Rejected(f"a snapshot chunk for {body.node} reached {me}")
    now = clock.now()
    cursor = SnapshotCursor.objects.select_for_update().filter(snapshot=body.snapshot).first()
    if cursor is None:
        cursor = SnapshotCursor.objects.create(snapshot=body.snapshot, total=body.total, started_at=now)
        if not ReplicaRecord.objects.exists():
            cursor.deferred = defer_indexes()
            cursor.save(update_fields=["deferred"])
        audit.record(
            "replica.snapshot_started",
            subject="hub",
            target=cursor,
            detail={
                "snapshot": str(body.snapshot),
                "total": body.total,
                "deferred_indexes": len(cursor.deferred),
            },
        )
    if cursor.finished_at is not None or body.seq <= cursor.seq or body.round < cursor.round:
        _refuse(
            cursor,
            body,
            f"chunk {body.seq} of round {body.round} is stored already (at chunk {cursor.seq})",
            gap=False,
        )
        return
    if body.seq != cursor.seq + 1 or body.after != cursor.key:
        _refuse(
            cursor, body, f"chunk {body.seq} does not follow chunk {cursor.seq} (a chunk was lost)", gap=True
        )
        return
    rows = open_rows(body)
    written = store(rows, body.after, body.last)
    cursor.round, cursor.seq = body.round, body.seq
    if body.last is not None:
        cursor.key = body.last
    cursor.rows += written
    cursor.received += len(rows)
    cursor.stored_at = now
    cursor.asked_at = None
    if body.final:
        cursor.finished_at = now
    cursor.save()
    delivery.queue(
        STORED,
        ["hub"],
        {
            "snapshot": str(body.snapshot),
            "round": body.round,
            "seq": body.seq,
            "key": str(cursor.key) if cursor.key else None,
            "rows": cursor.received,
            "final": body.final,
        },
    )
    if body.final:
        if cursor.deferred:
            transaction.on_commit(build_deferred, robust=True)  # logged if it fails; `watch` retries
        audit.record(
            "replica.snapshot_stored",
            subject="hub",
            target=cursor,
            detail={
                "snapshot": str(body.snapshot),
                "chunks": cursor.seq,
                "rows": cursor.received,
                "refused": cursor.refused,
            },
        )


_plain = json.JSONEncoder().encode  # as Django writes a JSON field (other scripts escaped)


def store(rows: list[Any], after: uuid.UUID | None, last: uuid.UUID | None) -> int:
    """Write the rows in bulk (inside the caller's transaction): those the node lacks, or holds
    in an older version (that one removed first, with its index entries); the persons among
    them indexed for screening (`bulk.persons_written`). Returns how many were written."""
    if not rows:
        return 0
    held_rows = ReplicaRecord.objects.filter(pk__lte=last)
    if after is not None:
        held_rows = held_rows.filter(pk__gt=after)
    held = dict(held_rows.values_list("pk", "version"))
    newer = [r for r in rows if held.get(r[0], 0) < r[6]]
    older = [r[0] for r in newer if r[0] in held]
    for start in range(0, len(older), 500):  # each with its signals: the index forgets them
        ReplicaRecord.objects.filter(pk__in=older[start : start + 500]).delete()
    ops = connection.ops
    times: dict[Any, str] = {}  # the database's form of each time, once (a chunk repeats many)

    def db_time(value: Any) -> str:
        if (found := times.get(value)) is None:
            found = times[value] = str(ops.adapt_datetimefield_value(value))
        return found

    at = db_time(clock.now())
    # A UUID as `UUIDField` writes it: itself where the database has the type, else its hex.
    native = connection.features.has_native_uuid_field
    encode = _plain
    out, persons = [], []
    for pk, database, owner, label, key, data, version, handling, note, notify, updated, retain in newer:
        out.append(
            (
                pk if native else pk.hex, database, owner, label, key, encode(data), version, handling,
                note, notify, db_time(updated), db_time(retain), at,
            )
        )  # fmt: skip
        if database == "persons":
            persons.append((pk, data))
    store = tables.here()
    store.roomy()
    store.write(ReplicaRecord._meta.db_table, COLUMNS, out)
    if persons:  # raw inserts bypass post_save: say what was written, in this transaction
        persons_written.send(sender=ReplicaRecord, persons=persons)
    return len(out)


def defer_indexes() -> list[str]:
    """Node, inside the first chunk's transaction: the replica's indexes but its primary key, and
    those of the apps' `deferring_indexes` receivers, dropped; the statements that build them."""
    statements = tables.here().defer_indexes(ReplicaRecord)
    for _receiver, more in deferring_indexes.send(sender=ReplicaRecord):
        statements += cast(list[str], more)
    return statements


def build_deferred() -> int:
    """Node: the indexes a first load dropped, built again, one transaction each (so that a
    stopped worker leaves none half built and carries on with the rest), once its final chunk is
    stored, or as soon as a newer snapshot began; returns how many were built."""
    built = 0
    while True:
        with transaction.atomic():
            newest = SnapshotCursor.objects.order_by("-started_at", "-pk").values_list("pk", flat=True)[:1]
            cursor = (
                SnapshotCursor.objects.select_for_update()
                .exclude(deferred=[])
                .filter(Q(finished_at__isnull=False) | ~Q(pk=newest))
                .order_by("started_at")
                .first()
            )
            if cursor is None:
                return built
            tables.here().build_indexes(cursor.deferred[:1])
            cursor.deferred = cursor.deferred[1:]
            built += 1
            if not cursor.deferred:
                cursor.indexed_at = clock.now()
                audit.record(
                    "replica.snapshot_indexed",
                    subject=node_id(),
                    target=cursor,
                    detail={"snapshot": str(cursor.snapshot), "finished_at": str(cursor.finished_at)},
                )
            cursor.save(update_fields=["deferred", "indexed_at"])


@every(30, "records.snapshot_watch")
def watch() -> bool | None:
    """Node: a snapshot that stored nothing for `STALL` is resumed from its cursor; indexes a
    first load dropped are built if they are due and are not (the worker stopped meanwhile)."""
    if holdings.here().keeps_originals:
        return None
    if build_deferred():
        return True
    with transaction.atomic():
        cutoff = clock.now() - STALL
        for cursor in SnapshotCursor.objects.select_for_update().filter(finished_at__isnull=True):
            if (cursor.stored_at or cursor.started_at) < cutoff:
                return ask_resume(cursor, f"nothing stored since {cursor.stored_at or cursor.started_at}")
    return None


def progress_at_node() -> list[dict[str, Any]]:
    """This node's snapshots: chunks and rows stored, refused, rate, ETA."""
    now = clock.now()
    return [
        {
            "snapshot": str(c.snapshot),
            "started_at": c.started_at,
            "finished_at": c.finished_at,
            "total": c.total,
            "chunks_stored": c.seq,
            "rows_stored": c.received,
            "rows_written": c.rows,
            "chunks_refused": c.refused,
            "indexes_deferred": len(c.deferred),
            "indexed_at": c.indexed_at,
            **_rate(c.received, c.total, c.started_at, c.finished_at or c.stored_at or now),
        }
        for c in SnapshotCursor.objects.order_by("-started_at")
    ]
