"""The change feed: the hub sends each NCB node exactly the records its country may see, and
takes back what it may no longer see. Nodes keep them as their replica.

`network` knows nothing of records: this module registers its envelope types and listens for a
node joining the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from ncbnet.audit import services as audit
from ncbnet.core import clock
from ncbnet.core.node import node_id
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register, require_hub
from ncbnet.network.signals import node_joined

from . import policies
from .models import OwnerAlert, Record, ReplicaCheck, ReplicaRecord
from .schemas import RecordsBody, RemoveBody, VerifyAnswerBody, VerifyRequestBody, ViewedBody

UPSERT = "replica.record"
REMOVE = "replica.remove"
VERIFY_REQUEST = "replica.verify_request"
VERIFY_ANSWER = "replica.verify_answer"
SNAPSHOT_BATCH = 200


# --- at the hub ---------------------------------------------------------------------------------


def audience(record: Record, nodes: Iterable[str] | None = None) -> set[str]:
    """The connected NCB nodes whose country may see the record (none once it is deleted)."""
    if record.deleted_at is not None:
        return set()
    candidates = [n for n in (nodes if nodes is not None else delivery.connected_nodes()) if n != "hub"]
    listed = record.countries
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


def fanout(record: Record, before: set[str]) -> set[str]:
    """Queue the change for the nodes that may see it now, and a removal for those that no longer
    may. Runs in the transaction of the change. Returns the new audience."""
    now = audience(record)
    if now:
        delivery.queue(UPSERT, sorted(now), {"records": [payload(record)]})
    gone = before - now
    if gone:
        delivery.queue(REMOVE, sorted(gone), {"ids": [str(record.pk)]})
    return now


@receiver(node_joined)
def send_snapshot(sender: Any, node: str, **kwargs: Any) -> None:
    """A node joining the network gets every record its country may see."""
    if node == "hub":
        return
    batch: list[dict[str, Any]] = []
    for record in Record.objects.live().visible_to(node).order_by("pk").iterator(chunk_size=SNAPSHOT_BATCH):
        batch.append(payload(record))
        if len(batch) == SNAPSHOT_BATCH:
            delivery.queue(UPSERT, [node], {"records": batch})
            batch = []
    if batch:
        delivery.queue(UPSERT, [node], {"records": batch})


def expected(country: str) -> dict[str, int]:
    """Every record id (with its version) a country's replica should hold."""
    return {str(pk): v for pk, v in Record.objects.live().visible_to(country).values_list("pk", "version")}


@register(VERIFY_REQUEST, VerifyRequestBody)
def answer_verify(envelope: Arrived, body: VerifyRequestBody) -> None:
    if node_id() != "hub":
        raise Rejected("only the hub answers replica checks")
    node = envelope.sender
    delivery.queue(VERIFY_ANSWER, [node], {"check": body.check, "expected": expected(node)})


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


@register(VERIFY_ANSWER, VerifyAnswerBody)
def verify_answered(envelope: Arrived, body: VerifyAnswerBody) -> None:
    require_hub(envelope, "replica changes")
    ReplicaCheck.objects.filter(pk=body.check).update(answered_at=clock.now(), expected=body.expected)


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
