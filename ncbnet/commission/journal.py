"""The Commission's own audit chain, in its own database.

Its entries name applicants and their requests: the node's audit chain is read by the GS's
network administrators and sealed to the hub's anchors, and it lives in the police database,
whose transactions cannot hold the Commission's. So the Commission chains its own entries, with the
node's scheme (`base.audit.entry_hash`: SHA-256 over the previous hash and the entry's RFC 8785
content), in the same transaction as what they record (docs/commission.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import connections

from ncbnet.base import clock
from ncbnet.base.audit import AuditOutsideTransaction, actor_fields, entry_hash
from ncbnet.base.chain import GENESIS

from .models import JournalEntry, JournalHead
from .router import ALIAS


def record(
    action: str,
    *,
    actor: Any = None,
    request_ref: str = "",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> JournalEntry:
    """Append one entry, inside the caller's transaction on the Commission's database."""
    if not connections[ALIAS].in_atomic_block:
        raise AuditOutsideTransaction(f"journal entry {action!r} must be written inside a transaction")
    head, _ = JournalHead.objects.select_for_update().get_or_create(id=1)
    name, _pk = actor_fields(actor)
    entry = JournalEntry(
        seq=head.seq + 1,
        at=clock.now(),
        actor=name,
        action=action,
        request_ref=request_ref,
        detail=json.loads(json.dumps(detail or {}, default=str)),
        ip=ip or "",
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(entry.prev_hash, entry.content())
    entry.save()
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


@dataclass(frozen=True)
class Verdict:
    entries: int
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify() -> Verdict:
    """Walk the chain up to its head: the first entry missing, out of place or altered, if any."""
    head = JournalHead.objects.filter(id=1).first()
    top, top_hash = (head.seq, head.hash) if head else (0, GENESIS)
    prev, count = GENESIS, 0
    for entry in JournalEntry.objects.filter(seq__lte=top).order_by("seq").iterator():
        count += 1
        if entry.seq != count:
            return Verdict(count, f"entry #{count} is missing")
        if entry.prev_hash != prev or entry_hash(prev, entry.content()) != entry.hash:
            return Verdict(count, f"entry #{entry.seq} was altered")
        prev = entry.hash
    if count != top or prev != top_hash:
        return Verdict(count, "the head does not name the last entry")
    return Verdict(count)
