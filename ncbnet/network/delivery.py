"""Outbox, inbox and relay: the database side of the network worker.

- `queue()` puts a signed envelope in the outbox inside the caller's transaction.
- `accept()` takes an envelope from this node's inbox: refuses replays, bad signatures and stale
  envelopes (quarantined and audited), ignores a redelivery, and hands the rest to its handler
  in the same transaction that remembers the envelope id.
- `relay()` (hub) checks an envelope a node published, keeps it as it travelled, and says where
  to forward it. Sealed bodies stay sealed: the hub reads only the header.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction

from ncbnet.audit import services as audit
from ncbnet.core import clock
from ncbnet.core.node import keys, node_id

from . import envelope as env
from . import natsconf
from .handlers import handler_for
from .models import InboxEnvelope, NodeKey, OutboxEnvelope, Quarantine, RelayedEnvelope

log = logging.getLogger("ncbnet.network")


class NotOnNetwork(ValueError):
    """A recipient has no keys in the directory (its bureau is not connected yet)."""


def hub_key_file() -> Path:
    return Path(settings.DATA_DIR) / "hub_key.json"


def _peer(k: NodeKey) -> env.PeerKey:
    return env.PeerKey(k.node, k.key_id, k.signing_public, k.encryption_public, k.status)


def key_of(node: str, kid: str) -> env.PeerKey | None:
    """A node's key by id, from the directory; the hub's from the key this node pinned."""
    k = NodeKey.objects.filter(node=node, key_id=kid).first()
    if k is not None:
        return _peer(k)
    hub = pinned_hub() if node == "hub" else None
    return hub if hub is not None and hub.key_id == kid else None


def pinned_hub() -> env.PeerKey | None:
    if not hub_key_file().exists():
        return None
    pinned = json.loads(hub_key_file().read_text("utf-8"))
    return env.PeerKey(
        "hub", pinned["key_id"], pinned["signing_public"], pinned["encryption_public"], "active"
    )


def active_keys(nodes: Iterable[str]) -> dict[str, env.PeerKey]:
    wanted = set(nodes)
    found = {k.node: _peer(k) for k in NodeKey.objects.filter(node__in=wanted, status=NodeKey.Status.ACTIVE)}
    if "hub" in wanted and "hub" not in found and (hub := pinned_hub()) is not None:
        found["hub"] = hub  # before the first directory arrives, the pinned key reaches the hub
    missing = sorted(wanted - set(found))
    if missing:
        raise NotOnNetwork(f"not on the network yet (no keys in the directory): {', '.join(missing)}")
    return found


def connected_nodes() -> list[str]:
    return sorted(NodeKey.objects.filter(status=NodeKey.Status.ACTIVE).values_list("node", flat=True))


def queue(kind: str, recipients: Iterable[str], body: Mapping[str, Any], *, confidential: bool = True) -> str:
    """Sign (and seal) an envelope and put it in the outbox, inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("queue() must run inside the transaction of what it sends")
    me = node_id()
    targets = sorted(set(recipients) - {me})
    if not targets:
        raise ValueError("an envelope needs at least one recipient other than this node")
    peers = active_keys(targets)
    now = clock.now()
    envelope = env.build(
        kind=kind, sender=me, recipients=peers, body=body, signer=keys(), now=now, confidential=confidential
    )
    OutboxEnvelope.objects.create(
        envelope_id=envelope["id"],
        kind=kind,
        recipients=targets,
        payload=env.encode(envelope),
        created_at=now,
    )
    return str(envelope["id"])


@dataclass(frozen=True)
class Pending:
    pk: int
    envelope_id: str
    recipients: list[str]
    payload: bytes


def pending(limit: int = 200) -> list[Pending]:
    rows = OutboxEnvelope.objects.filter(sent_at__isnull=True).order_by("id")[:limit]
    return [Pending(r.pk, r.envelope_id, list(r.recipients), bytes(r.payload)) for r in rows]


def mark_sent(pks: list[int]) -> None:
    OutboxEnvelope.objects.filter(pk__in=pks).update(sent_at=clock.now())


def publications(item: Pending) -> list[tuple[str, str]]:
    """(subject, de-duplication id) for one outbox envelope: NCB nodes publish to the relay,
    the hub straight into the recipients' inboxes."""
    me = node_id()
    if me == "hub":
        return [(natsconf.inbox_subject(r), f"{item.envelope_id}:{r}") for r in item.recipients]
    return [(natsconf.relay_subject(me), item.envelope_id)]


def _quarantine(raw: bytes, reason: str, seq: int | None, claimed: Mapping[str, Any] | None) -> None:
    claimed = claimed or {}
    with transaction.atomic():
        q = Quarantine.objects.create(
            received_at=clock.now(),
            reason=reason,
            raw=raw,
            stream_seq=seq,
            claimed_id=str(claimed.get("id", ""))[:64],
            claimed_sender=str(claimed.get("from", ""))[:16],
        )
        audit.record(
            "network.quarantine",
            target=q,
            subject=q.claimed_sender,
            detail={"reason": reason, "envelope": q.claimed_id, "stream_seq": seq},
        )
    log.warning("quarantined envelope %s from %s: %s", q.claimed_id, q.claimed_sender, reason)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def accept(raw: bytes, stream_seq: int) -> str:
    """Take one envelope from this node's inbox. Returns 'accepted', 'duplicate' or 'quarantined'."""
    me = node_id()
    claimed: dict[str, Any] | None = None
    try:
        claimed = env.decode(raw)
        if me not in claimed["to"]:
            raise env.Rejected(f"not addressed to {me}")
        seen = InboxEnvelope.objects.filter(envelope_id=claimed["id"]).first()
        if seen is not None:
            if seen.stream_seq == stream_seq:
                return "duplicate"  # a redelivery after a crash: already handled
            raise env.Rejected(f"replay: envelope {claimed['id']} was received before")
        env.check(claimed, key_of, clock.now())
        body = env.open_body(claimed, me, keys())
        handler = handler_for(str(claimed["type"]))
        if handler is None:
            raise env.Rejected(f"no handler for envelope type {claimed['type']!r}")
        with transaction.atomic():
            InboxEnvelope.objects.create(
                envelope_id=claimed["id"],
                kind=claimed["type"],
                sender=claimed["from"],
                created_at=_parse_time(claimed["created_at"]),
                received_at=clock.now(),
                stream_seq=stream_seq,
            )
            try:
                handler(claimed, body)
            except (KeyError, ValueError, TypeError, DjangoValidationError) as exc:
                # A body its handler cannot take would block the inbox forever: refuse it instead.
                raise env.Rejected(f"malformed {claimed['type']} body: {exc}") from exc
            audit.record(
                "network.receive",
                subject=str(claimed["from"]),
                target_type="network.envelope",
                target_id=str(claimed["id"]),
                detail={"type": claimed["type"]},
            )
    except env.Rejected as exc:
        _quarantine(raw, str(exc), stream_seq, claimed)
        return "quarantined"
    return "accepted"


def relay(raw: bytes, stream_seq: int, publisher: str) -> list[tuple[str, str]]:
    """Hub: check an envelope `publisher` put on the relay, keep it, and say where it goes.

    Returns (subject, de-duplication id) pairs to publish; empty when the envelope is refused.
    """
    claimed: dict[str, Any] | None = None
    try:
        claimed = env.decode(raw)
        if claimed["from"] != publisher:
            raise env.Rejected(f"published by {publisher} but claims to be from {claimed['from']}")
        known = set(connected_nodes())
        unknown = [r for r in claimed["to"] if r not in known]
        if unknown or not claimed["to"]:
            raise env.Rejected(f"unknown recipients: {', '.join(unknown) or 'none'}")
        seen = RelayedEnvelope.objects.filter(envelope_id=claimed["id"]).first()
        if seen is not None and seen.relay_seq != stream_seq:
            raise env.Rejected(f"replay: envelope {claimed['id']} was relayed before")
        env.check(claimed, key_of, clock.now())
        if seen is None:
            with transaction.atomic():
                RelayedEnvelope.objects.create(
                    envelope_id=claimed["id"],
                    kind=claimed["type"],
                    sender=publisher,
                    recipients=list(claimed["to"]),
                    created_at=_parse_time(claimed["created_at"]),
                    relayed_at=clock.now(),
                    relay_seq=stream_seq,
                    raw=raw,
                )
                audit.record(
                    "network.relay",
                    subject=publisher,
                    target_type="network.envelope",
                    target_id=str(claimed["id"]),
                    detail={"type": claimed["type"], "to": claimed["to"]},
                )
    except env.Rejected as exc:
        _quarantine(raw, str(exc), stream_seq, claimed)
        return []
    return [(natsconf.inbox_subject(r), f"{claimed['id']}:{r}") for r in claimed["to"]]


def accept_batch(items: list[tuple[bytes, int]]) -> list[str]:
    """Take a fetched batch from the inbox in one transaction (each envelope in a savepoint).

    The worker acknowledges the batch only after this commits, so a crash anywhere means the
    whole batch comes again, and `accept()` recognises what was already handled.
    """
    with transaction.atomic():
        return [accept(raw, seq) for raw, seq in items]


def relay_batch(items: list[tuple[bytes, int, str]]) -> list[list[tuple[str, str]]]:
    """Hub: `relay()` for a fetched batch, in one transaction."""
    with transaction.atomic():
        return [relay(raw, seq, publisher) for raw, seq, publisher in items]
