"""Write the audit chain: every read, search, message and change appends one entry, in the same
transaction as the thing it records (both commit or neither).

The audit app verifies and seals the chain and shows it; writing it is for every layer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from ncbnet.base import clock
from ncbnet.base.actor import Person
from ncbnet.base.chain import AuditEntry, ChainHead
from ncbnet.base.crypto import canonical
from ncbnet.base.node import node_id
from ncbnet.base.rows import Reader

# The head, locked until the transaction ends (appends wait for each other), by a statement
# written once: every audited request reads it.
_HEAD = Reader(lambda model: model.objects.select_for_update().filter(id=0), "id")


class AuditOutsideTransaction(RuntimeError):
    pass


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(content)).hexdigest()


def actor_fields(actor: Person | None) -> tuple[str, int | None]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "anonymous", None
    return actor.get_username(), actor.pk


def record(
    action: str,
    *,
    actor: Person | None = None,
    subject: str = "",
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction."""
    return record_all(
        [
            {
                "action": action,
                "actor": actor,
                "subject": subject,
                "target": target,
                "target_type": target_type,
                "target_id": target_id,
                "detail": detail,
                "ip": ip,
            }
        ]
    )[0]


def record_all(entries: Sequence[Mapping[str, Any]]) -> list[AuditEntry]:
    """Append several entries (each `record`'s arguments, `action` among them) one after the other,
    inside the caller's transaction, reading and moving the chain's head once: a screening that
    finds a hit writes the hit's report and the search in one round trip to the server."""
    if not entries:
        return []
    if not connection.in_atomic_block:
        actions = ", ".join(repr(e["action"]) for e in entries)
        raise AuditOutsideTransaction(f"audit entry {actions} must be written inside a transaction")
    head = _HEAD.instance(ChainHead, [1]) or ChainHead.objects.select_for_update().get_or_create(id=1)[0]
    written: list[AuditEntry] = []
    seq, prev = head.seq, head.hash
    for spec in entries:
        unknown = set(spec) - _ARGUMENTS
        if unknown or "action" not in spec:
            raise TypeError(f"an audit entry takes {sorted(_ARGUMENTS)}, not {sorted(unknown)}")
        target = spec.get("target")
        target_type, target_id = spec.get("target_type", ""), spec.get("target_id", "")
        if target is not None:
            target_type = target_type or target._meta.label_lower
            target_id = target_id or str(target.pk)
        name, actor_pk = actor_fields(spec.get("actor"))
        entry = AuditEntry(
            seq=seq + 1,
            at=clock.now(),
            node=node_id(),
            actor=name,
            actor_id=actor_pk,
            action=spec["action"],
            subject=(spec.get("subject") or "")[:150],
            target_type=target_type,
            target_id=str(target_id)[:64],
            detail=spec.get("detail") or {},
            ip=spec.get("ip") or "",
            prev_hash=prev,
        )
        # Round-trip the detail through JSON so the hash covers exactly what the database returns.
        entry.detail = _json_roundtrip(entry.detail)
        entry.hash = entry_hash(entry.prev_hash, entry.content())
        written.append(entry)
        seq, prev = entry.seq, entry.hash
    if connection.vendor == "postgresql":
        _append_in_one_statement(written, head)
    else:
        for entry in written:
            entry.save()
        head.seq, head.hash = seq, prev
        head.save(update_fields=["seq", "hash"])
    return written


_ARGUMENTS = frozenset({"action", "actor", "subject", "target", "target_type", "target_id", "detail", "ip"})


def _append_in_one_statement(entries: Sequence[AuditEntry], head: ChainHead) -> None:
    """On PostgreSQL, the entries and the head moved onto the last of them in one statement (one
    round trip to the server rather than two: a screening's whole transaction is a handful of
    them). SQLite, in this process, has no round trips to save and no data-modifying `WITH`."""
    fields = AuditEntry._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    rows = ", ".join([row] * len(entries))
    table, heads = AuditEntry._meta.db_table, ChainHead._meta.db_table
    last = entries[-1]
    values = [f.get_db_prep_save(getattr(e, f.attname), connection) for e in entries for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH e AS (INSERT INTO {table} ({columns}) VALUES {rows} RETURNING seq) "  # noqa: S608 - names from the models
            f"UPDATE {heads} SET seq = %s, hash = %s WHERE {heads}.id = %s AND (SELECT count(*) FROM e) = %s",
            [*values, last.seq, last.hash, head.pk, len(entries)],
        )
        if cursor.rowcount != 1:
            raise RuntimeError("the audit chain's head did not move with its entries")
    for entry in entries:
        entry._state.adding = False
        entry._state.db = connection.alias
    head.seq, head.hash = last.seq, last.hash


def _json_roundtrip(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def record_now(action: str, **kwargs: Any) -> AuditEntry:
    """Record an event that changes nothing else (a failed login, a read), in its own transaction."""
    with transaction.atomic():
        return record(action, **kwargs)


def recent_count(actions: tuple[str, ...], subject: str, since: datetime) -> int:
    return AuditEntry.objects.filter(action__in=actions, subject=subject, at__gte=since).count()


def last_at(actions: tuple[str, ...], subject: str) -> datetime | None:
    entry = AuditEntry.objects.filter(action__in=actions, subject=subject).order_by("-seq").only("at").first()
    return entry.at if entry else None
