"""Outbox, inbox and relay: the database side of the network worker.

- `queue()` puts a signed envelope in the outbox inside the caller's transaction.
- `accept()` takes an envelope from this node's inbox: refuses replays, bad signatures and stale
  envelopes (quarantined and audited), ignores a redelivery, and hands the rest to its handler
  in the same transaction that remembers the envelope id.
- `relay()` (hub) checks an envelope a node published, keeps it as it travelled, and says where
  to forward it. Sealed bodies stay sealed: the hub reads only the header.
"""

from __future__ import annotations

import contextvars
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
from django.db.models import F

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


class Snapshot:
    """This node's copy of the key directory, read once for a whole batch of envelopes."""

    def __init__(self) -> None:
        rows = [_peer(k) for k in NodeKey.objects.all()]
        self.by_id = {(p.node, p.key_id): p for p in rows}
        self.active = {p.node: p for p in rows if p.status == NodeKey.Status.ACTIVE}


# Set while a batch is being handled, so that lookups (and the handlers' own sends) reuse one read.
_snapshot: contextvars.ContextVar[Snapshot | None] = contextvars.ContextVar("directory", default=None)


def refresh_snapshot() -> None:
    """After the directory changed in the middle of a batch, read it again for the rest."""
    if _snapshot.get() is not None:
        _snapshot.set(Snapshot())


def key_of(node: str, kid: str) -> env.PeerKey | None:
    """A node's key by id, from the directory; the hub's from the key this node pinned."""
    snap = _snapshot.get()
    if snap is not None:
        found = snap.by_id.get((node, kid))
    else:
        k = NodeKey.objects.filter(node=node, key_id=kid).first()
        found = _peer(k) if k is not None else None
    if found is not None:
        return found
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
    snap = _snapshot.get()
    if snap is not None:
        found = {n: p for n, p in snap.active.items() if n in wanted}
    else:
        active = NodeKey.objects.filter(node__in=wanted, status=NodeKey.Status.ACTIVE)
        found = {k.node: _peer(k) for k in active}
    if "hub" in wanted and "hub" not in found and (hub := pinned_hub()) is not None:
        found["hub"] = hub  # before the first directory arrives, the pinned key reaches the hub
    missing = sorted(wanted - set(found))
    if missing:
        raise NotOnNetwork(f"not on the network yet (no keys in the directory): {', '.join(missing)}")
    return found


def connected_nodes() -> list[str]:
    snap = _snapshot.get()
    if snap is not None:
        return sorted(snap.active)
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
    OutboxEnvelope.objects.filter(pk__in=pks).update(sent_at=clock.now(), last_error="")


def mark_failed(pks: list[int], error: str) -> None:
    """Keep them queued, and say why, for the network page."""
    OutboxEnvelope.objects.filter(pk__in=pks).update(attempts=F("attempts") + 1, last_error=error[:500])


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


def accept(
    raw: bytes,
    stream_seq: int,
    journal: list[dict[str, Any]] | None = None,
    seen: dict[str, int] | None = None,
) -> str:
    """Take one envelope from this node's inbox. Returns 'accepted', 'duplicate' or 'quarantined'.

    With a `journal`, the audit line for the envelope is added to it, for the batch's one
    audit entry; without, it is written at once.
    """
    me = node_id()
    claimed: dict[str, Any] | None = None
    try:
        claimed = env.decode(raw)
        if me not in claimed["to"]:
            raise env.Rejected(f"not addressed to {me}")
        if seen is None:
            earlier = InboxEnvelope.objects.filter(envelope_id=claimed["id"]).values_list(
                "stream_seq", flat=True
            )
            seen = {str(claimed["id"]): seq for seq in earlier[:1]}
        if claimed["id"] in seen:
            if seen[claimed["id"]] == stream_seq:
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
            seen[claimed["id"]] = stream_seq
            line = {"id": claimed["id"], "type": claimed["type"], "from": claimed["from"]}
            if journal is None:
                _audit_envelopes("network.receive", [line])
            else:
                journal.append(line)
    except env.Rejected as exc:
        _quarantine(raw, str(exc), stream_seq, claimed)
        return "quarantined"
    return "accepted"


def _audit_envelopes(action: str, lines: list[dict[str, Any]]) -> None:
    """One audit entry naming every envelope of a batch (with its type and sender)."""
    if not lines:
        return
    senders = sorted({str(line["from"]) for line in lines})
    audit.record(
        action,
        subject=senders[0] if len(senders) == 1 else "",
        target_type="network.envelope",
        target_id=str(lines[0]["id"]) if len(lines) == 1 else "",
        detail={"envelopes": lines},
    )


def relay(
    raw: bytes,
    stream_seq: int,
    publisher: str,
    journal: list[dict[str, Any]] | None = None,
    relayed: dict[str, int] | None = None,
) -> list[tuple[str, str]]:
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
        if relayed is None:
            earlier = RelayedEnvelope.objects.filter(envelope_id=claimed["id"]).values_list(
                "relay_seq", flat=True
            )
            relayed = {str(claimed["id"]): seq for seq in earlier[:1]}
        first_time = claimed["id"] not in relayed
        if not first_time and relayed[claimed["id"]] != stream_seq:
            raise env.Rejected(f"replay: envelope {claimed['id']} was relayed before")
        env.check(claimed, key_of, clock.now())
        if first_time:
            relayed[claimed["id"]] = stream_seq
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
                line = {"id": claimed["id"], "type": claimed["type"], "from": publisher, "to": claimed["to"]}
                if journal is None:
                    _audit_envelopes("network.relay", [line])
                else:
                    journal.append(line)
    except env.Rejected as exc:
        _quarantine(raw, str(exc), stream_seq, claimed)
        return []
    return [(natsconf.inbox_subject(r), f"{claimed['id']}:{r}") for r in claimed["to"]]


def accept_batch(items: list[tuple[bytes, int]]) -> list[str]:
    """Take a fetched batch from the inbox in one transaction (each envelope in a savepoint).

    The worker acknowledges the batch only after this commits, so a crash anywhere means the
    whole batch comes again, and `accept()` recognises what was already handled. The directory
    is read once for the batch, and one audit entry names every envelope accepted.
    """
    journal: list[dict[str, Any]] = []
    with transaction.atomic():
        token = _snapshot.set(Snapshot())
        seen = dict(
            InboxEnvelope.objects.filter(
                envelope_id__in=_claimed_ids(raw for raw, _seq in items)
            ).values_list("envelope_id", "stream_seq")
        )
        try:
            results = [accept(raw, seq, journal, seen) for raw, seq in items]
        finally:
            _snapshot.reset(token)
        _audit_envelopes("network.receive", journal)
    return results


def _claimed_ids(raws: Iterable[bytes]) -> list[str]:
    """The ids the envelopes of a batch claim (malformed ones are judged later, one by one)."""
    ids = []
    for raw in raws:
        try:
            ids.append(str(json.loads(raw)["id"]))
        except (ValueError, TypeError, KeyError):
            continue
    return ids


def relay_batch(items: list[tuple[bytes, int, str]]) -> list[list[tuple[str, str]]]:
    """Hub: `relay()` for a fetched batch, in one transaction, with one audit entry."""
    journal: list[dict[str, Any]] = []
    with transaction.atomic():
        token = _snapshot.set(Snapshot())
        relayed = dict(
            RelayedEnvelope.objects.filter(
                envelope_id__in=_claimed_ids(raw for raw, _s, _p in items)
            ).values_list("envelope_id", "relay_seq")
        )
        try:
            results = [relay(raw, seq, publisher, journal, relayed) for raw, seq, publisher in items]
        finally:
            _snapshot.reset(token)
        _audit_envelopes("network.relay", journal)
    return results
