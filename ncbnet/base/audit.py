"""Write the audit chain: every read, search, message and change appends one entry, in the same
transaction as the thing it records (both commit or neither).

The audit app verifies and seals the chain and shows it; writing it is for every layer.
"""

from __future__ import annotations

import hashlib
import json
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
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(f"audit entry {action!r} must be written inside a transaction")
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    name, actor_pk = actor_fields(actor)
    head = _HEAD.instance(ChainHead, [1]) or ChainHead.objects.select_for_update().get_or_create(id=1)[0]
    entry = AuditEntry(
        seq=head.seq + 1,
        at=clock.now(),
        node=node_id(),
        actor=name,
        actor_id=actor_pk,
        action=action,
        subject=subject[:150],
        target_type=target_type,
        target_id=str(target_id)[:64],
        detail=detail or {},
        ip=ip or "",
        prev_hash=head.hash,
    )
    # Round-trip the detail through JSON so the hash covers exactly what the database returns.
    entry.detail = _json_roundtrip(entry.detail)
    entry.hash = entry_hash(entry.prev_hash, entry.content())
    if connection.vendor == "postgresql":
        _append_in_one_statement(entry, head)
    else:
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
    return entry


def _append_in_one_statement(entry: AuditEntry, head: ChainHead) -> None:
    """On PostgreSQL, the entry and the head moved onto it in one statement (one round trip to the
    server rather than two: a screening's whole transaction is a handful of them). SQLite, in this
    process, has no round trips to save and no data-modifying `WITH`."""
    fields = entry._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    entries, heads = entry._meta.db_table, ChainHead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH e AS (INSERT INTO {entries} ({columns}) VALUES ({marks}) RETURNING seq, hash) "  # noqa: S608 - names from the models
            f"UPDATE {heads} SET seq = e.seq, hash = e.hash FROM e WHERE {heads}.id = %s",
            [*(f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields), head.pk],
        )
    entry._state.adding = False
    entry._state.db = connection.alias
    head.seq, head.hash = entry.seq, entry.hash


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
