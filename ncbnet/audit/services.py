"""Verify, seal and search the audit chain (`base.audit.record()` writes it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from ncbnet.base import clock, policies
from ncbnet.base.actor import Person
from ncbnet.base.audit import entry_hash, record
from ncbnet.base.crypto import KeyProblem, KeyStore, canonical, verify
from ncbnet.base.node import node_id

from .models import GENESIS, AuditEntry, ChainHead, ChainSeal


@dataclass(frozen=True)
class Finding:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"entry #{self.seq}: {self.problem}"


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    seals: int
    finding: Finding | None

    @property
    def ok(self) -> bool:
        return self.finding is None


def _entries(up_to: int) -> Iterator[AuditEntry]:
    return AuditEntry.objects.filter(seq__lte=up_to).order_by("seq").iterator(chunk_size=2000)


def verify_chain(keys: KeyStore | None = None, anchors: list[dict[str, Any]] | None = None) -> VerifyResult:
    """Walk the chain from the start; report the first entry that was altered, removed or reordered.

    The chain is checked against this node's seals and, when given, against the seals the hub
    holds (`anchors`, exported with `ncbnet audit anchors`).

    The walk checks the chain as it stood when it began, while the node keeps writing: the seals
    are read first, then the head, then the entries up to the head. Entries are never changed
    once written and the head only moves forward, so whatever lands during the walk lies beyond
    the head it read, and every seal it read is at or before that head (a seal beyond it means
    the chain was cut back).
    """
    seals = list(ChainSeal.objects.order_by("seq")) + [_anchor_as_seal(a) for a in anchors or []]
    seals.sort(key=lambda s: s.seq)
    head = ChainHead.objects.filter(id=1).first()
    up_to = head.seq if head is not None else 0
    expected_seq, prev, count = 1, GENESIS, 0
    hashes_at_seals: dict[int, str] = {}
    wanted = {s.seq for s in seals}
    for entry in _entries(up_to):
        count += 1
        if entry.seq != expected_seq:
            return VerifyResult(count, 0, Finding(expected_seq, f"missing (the next entry is #{entry.seq})"))
        if entry.prev_hash != prev:
            return VerifyResult(
                count, 0, Finding(entry.seq, "does not follow the entry before it (removed or reordered)")
            )
        if entry_hash(entry.prev_hash, entry.content()) != entry.hash:
            return VerifyResult(count, 0, Finding(entry.seq, "its content does not match its hash (altered)"))
        if entry.seq in wanted:
            hashes_at_seals[entry.seq] = entry.hash
        prev = entry.hash
        expected_seq += 1
    last = expected_seq - 1
    if head is not None and head.seq != last:
        return VerifyResult(
            count, 0, Finding(last + 1, f"missing: the chain head says #{head.seq} is the newest entry")
        )
    if head is not None and head.hash != prev:
        return VerifyResult(count, 0, Finding(last, "differs from the hash the chain head recorded"))
    for seal in seals:
        if seal.seq > last:
            return VerifyResult(count, len(seals), Finding(last + 1, f"missing: sealed up to #{seal.seq}"))
        if hashes_at_seals.get(seal.seq) != seal.hash:
            return VerifyResult(
                count, len(seals), Finding(seal.seq, "differs from the hash sealed on " + str(seal.sealed_at))
            )
        if keys is not None:
            try:
                public = keys.public(seal.key_id).signing_public
            except KeyProblem as exc:
                return VerifyResult(count, len(seals), Finding(seal.seq, f"seal key unknown: {exc}"))
            if not verify(public, seal.signature, canonical(seal.signed_content(node_id()))):
                return VerifyResult(count, len(seals), Finding(seal.seq, "seal signature is invalid"))
    return VerifyResult(count, len(seals), None)


def _anchor_as_seal(anchor: dict[str, Any]) -> ChainSeal:
    if anchor.get("node") != node_id():
        raise ValueError(f"these seals are {anchor.get('node')}'s, not {node_id()}'s")
    return ChainSeal(
        seq=int(anchor["seq"]),
        hash=str(anchor["hash"]),
        sealed_at=datetime.fromisoformat(str(anchor["sealed_at"]).replace("Z", "+00:00")),
        key_id=str(anchor["key_id"]),
        signature=str(anchor["signature"]),
    )


def seal(keys: KeyStore) -> ChainSeal | None:
    """Sign the current chain head (nothing to do if it has not moved since the last seal)."""
    with transaction.atomic():
        head = ChainHead.objects.filter(id=1).first()
        if head is None or head.seq == 0:
            return None
        last = ChainSeal.objects.order_by("-seq").first()
        if last is not None and last.seq == head.seq:
            return None
        s = ChainSeal(seq=head.seq, hash=head.hash, sealed_at=clock.now(), key_id="", signature="")
        s.key_id, s.signature = keys.sign(canonical(s.signed_content(node_id())))
        s.save()
        return s


def seal_due(every: timedelta) -> bool:
    last = ChainSeal.objects.order_by("-seq").first()
    return last is None or clock.now() - last.sealed_at >= every


PAGE = 100


def search(
    actor: Person,
    *,
    who: str = "",
    action: str = "",
    subject: str = "",
    before: int | None = None,
    ip: str | None = None,
) -> list[AuditEntry]:
    """Search the audit log (newest first, keyset-paginated by sequence); the search is itself audited."""
    if not policies.can_read_audit(actor):
        raise PermissionDenied("You may not read the audit log.")
    qs = AuditEntry.objects.order_by("-seq")
    if who:
        qs = qs.filter(actor=who)
    if action:
        qs = qs.filter(action__startswith=action)
    if subject:
        qs = qs.filter(subject=subject)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    with transaction.atomic():
        record(
            "audit.search",
            actor=actor,
            ip=ip,
            detail={"who": who, "action": action, "subject": subject, "before": before},
        )
    return list(qs[:PAGE])
