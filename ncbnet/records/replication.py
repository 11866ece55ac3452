"""The change feed: the hub sends each NCB node exactly the records its country may see, and
takes back what it may no longer see. Nodes keep them as their replica.

A change at the hub does not seal anything in its own transaction: it writes a `PendingChange`
naming the nodes that could see the record before the change (`fanout`). The network worker's
`records.changes` job, every second, reads what is pending, sends the records' current state to
the nodes that may see each of them, grouped so that one envelope carries many records (bounded
by `batches`), and removals likewise to the nodes that could see a record and no longer may; it
deletes the rows it covered in the same transaction that queues those envelopes in the outbox: a
crash before that commit leaves every row to the next run, a crash after it leaves the envelopes
to the outbox (published at least once, the same id each time). What a node receives is decided
when it is sent, from the record as it is then: nothing goes to a node that may not see the
record at that moment.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction

from ncbnet.base import audit, clock, holdings
from ncbnet.base.node import node_id
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, every, register, require_hub
from ncbnet.network.models import OutboxEnvelope

from . import packing, parts, policies
from .models import (
    NodeReplica,
    OwnerAlert,
    PendingChange,
    Record,
    RecordCountry,
    ReplicaCheck,
    ReplicaCheckPage,
    ReplicaRecord,
)
from .schemas import (
    EXPECTED_PAGE,
    ExpectedPage,
    RecordsBody,
    RemoveBody,
    VerifyAnswerBody,
    VerifyRequestBody,
    ViewedBody,
)

UPSERT = "replica.record"
REMOVE = "replica.remove"
VERIFY_REQUEST = "replica.verify_request"
VERIFY_ANSWER = "replica.verify_answer"
SNAPSHOT_BATCH = 200  # records in one envelope at most (a resync's fetch; a snapshot: `snapshot`)
CHANGES_BATCH = 2000  # records in one envelope of the change feed at most (within BATCH_BYTES too)
BATCH_BYTES = 1024 * 1024  # and at most this much of them (a record bigger alone travels in parts)
# The hub answers at most this many replica checks of a node an hour (each answer is the whole
# expected set: 40 MB at 1M records).
CHECKS_AN_HOUR = 6
CHANGES_EVERY = 1.0  # seconds between the worker's runs of `records.changes`
CHANGES_ROWS = 5000  # pending changes read in one transaction
CHANGES_BUDGET = 5.0  # seconds of sending in one run, at most (then the worker's other jobs)
REMOVE_BATCH = 10_000  # record ids in one removal envelope
IN_CLAUSE = 500  # ids in one query (within every database's limit of query parameters)


# --- at the hub ---------------------------------------------------------------------------------


def audience(
    record: Record, nodes: Iterable[str] | None = None, listed: Iterable[str] | None = None
) -> set[str]:
    """The connected NCB nodes whose country may see the record (none once it is deleted, or while
    the Commission blocks it); the countries its owner listed, when the caller read them already."""
    if record.deleted_at is not None or record.blocked_at is not None:
        return set()
    candidates = [n for n in (nodes if nodes is not None else delivery.connected_nodes()) if n != "hub"]
    listed = set(listed) if listed is not None else set(record.countries)
    return {n for n in candidates if policies.may_see(record.owner, record.access, listed, n)}


def payload(record: Record) -> dict[str, Any]:
    """What a node receives: the record, its handling, but not the owner's country list."""
    return {
        "id": str(record.pk),
        "database": record.database,
        "owner": record.owner,
        "label": record.label,
        "key": record.key,
        "data": record.data,
        "version": record.version,
        "handling": record.handling,
        "handling_note": record.handling_note,
        "notify_on_view": record.notify_on_view,
        "updated_at": record.updated_at.isoformat(),
        "retain_until": record.retain_until.isoformat(),
    }


def fanout(record: Record, before: set[str]) -> None:
    """Note the change, in its transaction: the `records.changes` job sends the record, as it is
    then, to every node that may see it, and a removal to the nodes of `before` (those that could
    see it before the change) that no longer may."""
    PendingChange.objects.create(record_id=record.pk, nodes=sorted(before), at=clock.now())


@every(CHANGES_EVERY, "records.changes")
def changes_periodically() -> int | None:
    """The worker's job at the hub (`send_changes`)."""
    return send_changes()


# While changes pour in (a run covered `BUSY` or more), the job lets `BUSY_EVERY` seconds pass
# between runs, unless a full envelope's worth is waiting: fewer, fuller envelopes for every node
# to verify and open; a change made alone still goes within the second.
BUSY = 500
BUSY_EVERY = timedelta(seconds=3)
_last_run: dict[str, Any] = {"at": None, "covered": 0}  # on the node's clock


def send_changes(budget: float = CHANGES_BUDGET) -> int | None:
    """Send the pending changes, a transaction per `CHANGES_ROWS`, for at most `budget` seconds.
    Returns how many changes were covered (None at a node, or when nothing was sent)."""
    if not holdings.here().keeps_originals:
        return None
    now = clock.now()
    if (
        _last_run["covered"] >= BUSY
        and now - _last_run["at"] < BUSY_EVERY
        and PendingChange.objects.count() < CHANGES_BATCH
    ):
        return None
    started = time.monotonic()
    total = 0
    while True:
        done = _send_some()
        total += done
        if done < CHANGES_ROWS or time.monotonic() - started >= budget:
            _last_run.update(at=now, covered=total)
            return total or None


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), IN_CLAUSE):
        yield ids[start : start + IN_CLAUSE]


def _current(ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Record, list[str]]]:
    """The records as they are now (a purged one is absent), each with its listed countries."""
    found: dict[uuid.UUID, tuple[Record, list[str]]] = {}
    for chunk in _chunks(ids):
        found.update((r.pk, (r, [])) for r in Record.objects.filter(pk__in=chunk))
        listed = RecordCountry.objects.filter(record_id__in=chunk).values_list("record_id", "country")
        for rid, country in listed:
            found[rid][1].append(country)
    return found


def _send_some() -> int:
    """The oldest pending changes, grouped by the nodes that are to receive the same thing, sealed
    in envelopes of many records; then one short transaction queues those envelopes and deletes
    the rows they cover. The sealing (most of the work) is done before that transaction, so the
    database's write lock is held only for the writes and the officers' changes do not wait on it.

    Each record is read after its pending rows, so what is sent is at least as new as every change
    those rows stand for; a change made meanwhile has a row of its own, left for the next run (the
    node keeps the newest version it is sent). If another sender deleted some of the rows first,
    nothing of this run is kept and they are read again."""
    rows = list(PendingChange.objects.order_by("id")[:CHANGES_ROWS])
    if not rows:
        return 0
    targets: dict[uuid.UUID, set[str]] = {}
    for row in rows:
        targets.setdefault(row.record_id, set()).update(str(n) for n in row.nodes)
    records = _current(list(targets))
    connected = [n for n in delivery.connected_nodes() if n != "hub"]
    on_network = set(connected)
    upserts: dict[tuple[str, ...], list[Record]] = {}
    removals: dict[tuple[str, ...], list[str]] = {}
    for rid in sorted(targets):
        record, listed = records.get(rid, (None, []))
        may = audience(record, connected, listed) if record is not None else set()
        # A node that joined while the change waited has it twice (its snapshot): kept once.
        if record is not None and may:
            upserts.setdefault(tuple(sorted(may)), []).append(record)
        if gone := (targets[rid] - may) & on_network:
            removals.setdefault(tuple(sorted(gone)), []).append(str(rid))
    sealed: list[OutboxEnvelope] = []
    for group, held in upserts.items():
        sealed += seal_records(list(group), held, CHANGES_BATCH)
    for group, gone_ids in removals.items():
        for start in range(0, len(gone_ids), REMOVE_BATCH):
            sealed.append(delivery.seal(REMOVE, group, {"ids": gone_ids[start : start + REMOVE_BATCH]}))
    with transaction.atomic():
        deleted = 0
        for chunk in _chunks([row.pk for row in rows]):
            deleted += PendingChange.objects.filter(pk__in=chunk).delete()[0]
        if deleted != len(rows):
            transaction.set_rollback(True)
            return 0
        delivery.queue_sealed(sealed)
    return len(rows)


def _size(item: dict[str, Any]) -> int:
    """About the bytes of `item` in the envelope: compact JSON's length, as RFC 8785's but for
    the form of some numbers (its canonical form costs ten times as much to compute)."""
    return len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def batches(records: Iterable[Record], limit: int = SNAPSHOT_BATCH) -> Iterator[list[dict[str, Any]]]:
    """The records' payloads in batches of at most `limit` and about `BATCH_BYTES`; a record
    bigger than that alone is a batch of its own (and travels in parts)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for record in records:
        item = payload(record)
        n = _size(item) + 1
        if batch and (len(batch) == limit or size + n > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += n
    if batch:
        yield batch


def send_records(nodes: list[str], records: Iterable[Record], limit: int = SNAPSHOT_BATCH) -> int:
    """Queue the records for the nodes, bounded in size; inside the caller's transaction. Each
    envelope is queued as it is sealed. Returns how many records were queued."""
    sent = 0
    for count, sealed in _sealed_batches(nodes, records, limit):
        delivery.queue_sealed(sealed)
        sent += count
    return sent


def seal_records(nodes: list[str], records: Iterable[Record], limit: int) -> list[OutboxEnvelope]:
    """The records sealed for the nodes, for `delivery.queue_sealed` (nothing written yet)."""
    return [e for _count, sealed in _sealed_batches(nodes, records, limit) for e in sealed]


def _sealed_batches(
    nodes: list[str], records: Iterable[Record], limit: int
) -> Iterator[tuple[int, list[OutboxEnvelope]]]:
    """Each batch of the records (`batches`) with its envelopes: one for several records, which is
    well under what an envelope carries; for a record alone, one or its parts."""
    for batch in batches(records, limit):
        if len(batch) == 1:
            yield 1, parts.seal(UPSERT, nodes, {"records": batch})
        else:
            yield len(batch), [delivery.seal(UPSERT, nodes, {"packed": _packed(batch)})]


def _packed(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """A batch of records packed (`packing`): what a node opens into the same `RecordsBody`."""
    raw = json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return {"zlib": packing.pack(raw), "raw": len(raw), "rows": len(batch)}


def expected(country: str) -> dict[str, int]:
    """Every record id (with its version) a country's replica should hold."""
    return {str(pk): v for pk, v in Record.objects.live().visible_to(country).values_list("pk", "version")}


def expected_pages(country: str) -> tuple[str, list[dict[str, int]]]:
    """The expected set's digest, and the set in pages of at most `EXPECTED_PAGE` ids."""
    versions = expected(country)
    ids = sorted(versions)
    pages = [
        {k: versions[k] for k in ids[start : start + EXPECTED_PAGE]}
        for start in range(0, len(ids), EXPECTED_PAGE)
    ]
    return digest(versions), pages or [{}]


@register(
    VERIFY_REQUEST,
    VerifyRequestBody,
    to_hub="only the hub answers replica checks, from nodes",
    from_bureau="only the hub answers replica checks, from nodes",
)
def answer_verify(envelope: Arrived, body: VerifyRequestBody) -> None:
    """Hub: what the asking node should hold, in pages (the whole is 40 MB at 1M records)."""
    node = envelope.sender
    state, _ = NodeReplica.objects.select_for_update().get_or_create(node=node)
    now = clock.now()
    if state.checks_since is None or now - state.checks_since >= timedelta(hours=1):
        state.checks_since, state.checks = now, 0
    if state.checks >= CHECKS_AN_HOUR:
        raise Rejected(f"{node} asked for more than {CHECKS_AN_HOUR} replica checks within the hour")
    state.checks += 1
    state.save(update_fields=["checks_since", "checks"])
    whole, pages = expected_pages(node)
    for part, page in enumerate(pages):
        delivery.queue(
            VERIFY_ANSWER,
            [node],
            {"check": body.check, "part": part, "parts": len(pages), "digest": whole, "expected": page},
        )


# --- on an NCB node -----------------------------------------------------------------------------


@register(UPSERT, RecordsBody)
def apply_records(envelope: Arrived, body: RecordsBody) -> None:
    require_hub(envelope, "replica changes")
    now = clock.now()
    for r in body.records:
        current = ReplicaRecord.objects.filter(pk=r.id).values_list("version", flat=True).first()
        if current is not None and current >= r.version:
            continue  # an older change arriving late
        ReplicaRecord.objects.update_or_create(
            id=r.id,
            defaults={
                "database": r.database,
                "owner": r.owner,
                "label": r.label,
                "key": r.key,
                "data": r.data,
                "version": r.version,
                "handling": r.handling,
                "handling_note": r.handling_note,
                "notify_on_view": r.notify_on_view,
                "updated_at": r.updated_at,
                "retain_until": r.retain_until,
                "received_at": now,
            },
        )


@register(REMOVE, RemoveBody)
def remove_records(envelope: Arrived, body: RemoveBody) -> None:
    require_hub(envelope, "replica changes")
    for start in range(0, len(body.ids), 500):  # within every database's limit of query parameters
        ReplicaRecord.objects.filter(pk__in=body.ids[start : start + 500]).delete()


def request_check() -> ReplicaCheck:
    """Node: ask the hub what this replica should hold."""
    with transaction.atomic():
        check = ReplicaCheck.objects.create(requested_at=clock.now())
        delivery.queue(VERIFY_REQUEST, ["hub"], {"check": check.pk})
        audit.record("replica.verify_request", subject=node_id(), target=check)
    return check


def keep_page(check: ReplicaCheck, body: ExpectedPage) -> dict[str, int] | None:
    """Keep one page of an expected set; once every page is in, the whole set (its digest
    checked), else None. Pages arrive in any order; one that disagrees with the others is refused."""
    if check.answered_at is not None:
        raise Rejected(f"replica check {check.pk} is already answered")
    if body.part >= body.parts:
        raise Rejected(f"page {body.part} of an answer in {body.parts} pages")
    if check.parts is None:
        check.parts, check.digest = body.parts, body.digest
        check.save(update_fields=["parts", "digest"])
    elif (check.parts, check.digest) != (body.parts, body.digest):
        raise Rejected(f"page {body.part} of replica check {check.pk} disagrees with the pages before it")
    if ReplicaCheckPage.objects.filter(replica_check=check, part=body.part).exists():
        raise Rejected(f"page {body.part} of replica check {check.pk} arrived before")
    ReplicaCheckPage.objects.create(replica_check=check, part=body.part, expected=dict(body.expected))
    if check.pages.count() < body.parts:
        return None
    whole: dict[str, int] = {}
    for page in check.pages.order_by("part").iterator(chunk_size=10):
        whole.update(page.expected)
    if digest(whole) != body.digest:
        raise Rejected(f"the pages of replica check {check.pk} do not match their digest")
    check.answered_at = clock.now()
    check.save(update_fields=["answered_at"])
    return whole


@register(VERIFY_ANSWER, VerifyAnswerBody)
def verify_answered(envelope: Arrived, body: VerifyAnswerBody) -> None:
    require_hub(envelope, "replica changes")
    check = ReplicaCheck.objects.select_for_update().filter(pk=body.check, resync__isnull=True).first()
    if check is None:
        raise Rejected(f"no replica check {body.check} on this node")
    keep_page(check, body)


def expected_of(check: ReplicaCheck) -> dict[str, int] | None:
    """What the hub said the replica should hold, once all its pages are in."""
    if check.answered_at is None:
        return None
    whole: dict[str, int] = {}
    for page in check.pages.order_by("part").iterator(chunk_size=10):
        whole.update(page.expected)
    return whole


def check_result(check_id: int) -> dict[str, Any] | None:
    """The replica against the hub's answer to check `check_id`, or None while pages are missing."""
    check = ReplicaCheck.objects.filter(pk=check_id).first()
    if check is None:
        raise ValueError(f"no replica check {check_id}")
    whole = expected_of(check)
    return None if whole is None else compare(whole)


def digest(versions: Mapping[str, int]) -> str:
    return hashlib.sha256("\n".join(f"{k}:{versions[k]}" for k in sorted(versions)).encode()).hexdigest()


def compare(expected_versions: Mapping[str, int]) -> dict[str, Any]:
    """The replica against what the hub expects: counts, digests, and the ids that differ."""
    held = {str(pk): v for pk, v in ReplicaRecord.objects.values_list("pk", "version")}
    missing = sorted(set(expected_versions) - set(held))
    extra = sorted(set(held) - set(expected_versions))
    stale = sorted(k for k in set(held) & set(expected_versions) if held[k] != expected_versions[k])
    return {
        "expected": len(expected_versions),
        "held": len(held),
        "expected_digest": digest(expected_versions),
        "held_digest": digest(held),
        "missing": missing,
        "extra": extra,
        "stale": stale,
    }


VIEWED = "records.viewed"


def tell_owner_viewed(record: Record | ReplicaRecord, by: str) -> None:
    """If the owner asked to be told, tell it that `by` viewed its record (in the reading transaction)."""
    if not record.notify_on_view or by == record.owner or record.owner not in delivery.connected_nodes():
        return
    delivery.queue(
        VIEWED,
        [record.owner],
        {"id": str(record.pk), "label": record.label, "by": by, "at": clock.now().isoformat()},
    )


@register(VIEWED, ViewedBody)
def viewed(envelope: Arrived, body: ViewedBody) -> None:
    """On the owner's node: keep the alert. The sender must be the viewer (or the hub for the GS)."""
    if envelope.sender != body.by and not (body.by == "GS" and envelope.sender == "hub"):
        raise Rejected("a view is reported by the bureau that viewed")
    OwnerAlert.objects.create(record_id=body.id, label=body.label, by=body.by, at=body.at)
