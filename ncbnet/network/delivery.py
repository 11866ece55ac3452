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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F

from ncbnet.base import audit, clock
from ncbnet.base.node import keys, node_id, role
from ncbnet.base.rows import Reader

from . import envelope as env
from . import natsconf, wire
from .handlers import Arrived, handler_for
from .models import InboxEnvelope, NodeKey, OutboxEnvelope, Quarantine, RelayedEnvelope

log = logging.getLogger("ncbnet.network")


class NotOnNetwork(ValueError):
    """A recipient has no keys in the directory (its bureau is not connected yet)."""


class EnvelopeTooLarge(DjangoValidationError):
    """What would be sent is over the size every node accepts: it must be sent in parts. Nothing
    is queued (the caller's transaction fails), so no outbox row can block behind it."""


def hub_key_file() -> Path:
    return Path(settings.DATA_DIR) / "hub_key.json"


def _peer(k: NodeKey) -> env.PeerKey:
    return env.PeerKey(k.node, k.key_id, k.signing_public, k.encryption_public, k.status, k.retired_at)


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


# A node's active key, by a statement written once: a hit report or a message goes to one or two
# nodes, and writing the query anew cost more than running it (base.rows).
_ACTIVE = Reader(lambda model: model.objects.filter(node="").filter(status=""), "node", "status")
_FEW = 4  # up to this many nodes are read one statement each; more, by one query for them all


def active_keys(nodes: Iterable[str]) -> dict[str, env.PeerKey]:
    wanted = set(nodes)
    snap = _snapshot.get()
    if snap is not None:
        found = {n: p for n, p in snap.active.items() if n in wanted}
    elif len(wanted) <= _FEW:
        each = (_ACTIVE.instance(NodeKey, [n, NodeKey.Status.ACTIVE]) for n in sorted(wanted))
        found = {k.node: _peer(k) for k in each if k is not None}
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
    sealed = seal(kind, recipients, body, confidential=confidential)
    queue_sealed([sealed])
    return sealed.envelope_id


def seal(
    kind: str, recipients: Iterable[str], body: Mapping[str, Any], *, confidential: bool = True
) -> OutboxEnvelope:
    """Sign (and seal) an envelope for the outbox without writing anything: `queue_sealed` puts it
    there. A sender with much to seal (the hub's change feed) does it before its transaction, so
    that the database's write lock is held for the writes only."""
    me = node_id()
    targets = sorted(set(recipients) - {me})
    if not targets:
        raise ValueError("an envelope needs at least one recipient other than this node")
    peers = active_keys(targets)
    now = clock.now()
    envelope = env.build(
        kind=kind, sender=me, recipients=peers, body=body, signer=keys(), now=now, confidential=confidential
    )
    try:
        payload = env.encode(envelope)
    except env.TooLarge as exc:
        raise EnvelopeTooLarge({"size": str(exc)}) from exc
    return OutboxEnvelope(
        envelope_id=envelope["id"], kind=kind, recipients=targets, payload=payload, created_at=now
    )


def queue_sealed(sealed: Iterable[OutboxEnvelope]) -> None:
    """Put envelopes sealed by `seal` in the outbox, in their order, inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("queue_sealed() must run inside the transaction of what it sends")
    OutboxEnvelope.objects.bulk_create(list(sealed), batch_size=50)


@dataclass(frozen=True)
class Pending:
    pk: int
    envelope_id: str
    recipients: list[str]
    payload: bytes


def pending(limit: int = 200) -> list[Pending]:
    """The next envelopes to publish, oldest first; one waiting out its backoff is passed over."""
    # One raw query on the partial index of unsent rows (outbox_unsent): the worker asks every
    # OUTBOX_IDLE, and as an ORM query this was two thirds of an idle hub's database time.
    meta = OutboxEnvelope._meta
    table = connection.ops.quote_name(meta.db_table)
    where = "sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"
    sql = f"SELECT id, envelope_id, recipients, payload FROM {table} WHERE {where} ORDER BY id LIMIT %s"  # noqa: S608 - a model's table
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(clock.now()), limit])
        rows = cursor.fetchall()
    if not rows:
        return []
    # The JSON column comes back as text (SQLite; Django reads PostgreSQL's jsonb as text too).
    return [
        Pending(pk, envelope_id, list(to if isinstance(to, list) else json.loads(to)), bytes(payload))
        for pk, envelope_id, to, payload in rows
    ]


def mark_sent(pks: list[int]) -> None:
    OutboxEnvelope.objects.filter(pk__in=pks).update(sent_at=clock.now(), last_error="", next_attempt_at=None)


# Seconds before a failed publish is tried again, by the number of failures so far.
BACKOFF = (1, 2, 5, 10, 30, 60, 120, 300)


def mark_failed(pks: list[int], error: str) -> None:
    """Keep them queued, say why (for the network page), and try each again after its own backoff."""
    now = clock.now()
    with transaction.atomic():
        for row in OutboxEnvelope.objects.select_for_update().filter(pk__in=pks).only("pk", "attempts"):
            wait = BACKOFF[min(row.attempts, len(BACKOFF) - 1)]
            OutboxEnvelope.objects.filter(pk=row.pk).update(
                attempts=F("attempts") + 1,
                last_error=error[:500],
                next_attempt_at=now + timedelta(seconds=wait),
            )


def publications(item: Pending) -> list[tuple[str, str]]:
    """(subject, de-duplication id) for one outbox envelope: NCB nodes publish to the relay,
    the hub straight into the recipients' inboxes."""
    if role().relays:
        return [(natsconf.inbox_subject(r), f"{item.envelope_id}:{r}") for r in item.recipients]
    return [(natsconf.relay_subject(node_id()), item.envelope_id)]


# How many times the inbox or relay consumer delivers one envelope before giving up on it; the
# worker keeps it as a dead letter in the quarantine at the last attempt (see the worker).
MAX_DELIVER = 20

# Errors of the database itself (unreachable, locked, a serialisation conflict): the envelope is not
# at fault, so it is not quarantined; the batch fails and comes again (see the worker).
TRANSIENT = (OperationalError, InterfaceError)


def _quarantine(
    raw: bytes,
    reason: str,
    seq: int | None,
    claimed: Mapping[str, Any] | None,
    *,
    source: str,
    publisher: str = "",
    dead: bool = False,
) -> Quarantine:
    """Keep a refused envelope as it came, with the reason, and audit it (its own savepoint)."""
    seen = dict(claimed) if claimed else env.claims(raw)
    with transaction.atomic():
        q = Quarantine.objects.create(
            received_at=clock.now(),
            reason=_printable(reason[:2000]),
            raw=raw,
            stream_seq=seq,
            source=source,
            publisher=publisher[:8],
            dead=dead,
            claimed_id=_text(seen.get("id"), 64),
            claimed_type=_text(seen.get("type"), 64),
            claimed_sender=_text(seen.get("from"), 16),
        )
        audit.record(
            "network.dead_letter" if dead else "network.quarantine",
            target=q,
            subject=q.claimed_sender,
            detail={
                "reason": q.reason,
                "envelope": q.claimed_id,
                "type": q.claimed_type,
                "source": source,
                "stream_seq": seq,
            },
        )
    log.warning("quarantined envelope %s from %s: %s", q.claimed_id, q.claimed_sender, reason)
    return q


def _text(value: Any, limit: int) -> str:
    return _printable(value[:limit]) if isinstance(value, str) else ""


def _printable(text: str) -> str:
    """Text a database column keeps (no NUL, no lone surrogate), whatever a peer put in it."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _failure(exc: Exception, kind: str) -> str:
    """The reason kept for an envelope whose handling raised: a peer's body our schema let through
    or a fault of ours, either way the administrator's to look at, never the stream's to block."""
    log.error("the %s handler raised on an envelope; quarantined", kind, exc_info=exc)
    return f"the {kind} handler failed: {type(exc).__name__}: {str(exc)[:500]}"


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _admit(
    raw: bytes,
    stream_seq: int,
    journal: list[dict[str, Any]] | None,
    seen: dict[str, int] | None,
    decoded: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any] | None]:
    """The guarded entrance of this node's inbox, in its order: bounded parse and header types,
    addressee, replay, age and signature, handler and body schema, then the handler in a savepoint
    of its own. Raises Rejected (or whatever a handler raises); returns ('accepted' or
    'duplicate', the envelope)."""
    me = node_id()
    claimed = decoded if decoded is not None else env.decode(raw)
    if me not in claimed["to"]:
        raise _Refused(f"not addressed to {me}", claimed)
    if seen is None:
        earlier = InboxEnvelope.objects.filter(envelope_id=claimed["id"]).values_list("stream_seq", flat=True)
        seen = {str(claimed["id"]): seq for seq in earlier[:1]}
    if claimed["id"] in seen:
        if seen[claimed["id"]] == stream_seq:
            return "duplicate", claimed  # a redelivery after a crash: already handled
        raise _Refused(f"replay: envelope {claimed['id']} was received before", claimed)
    try:
        env.check(claimed, key_of, clock.now())
        registration = handler_for(claimed["type"])
        if registration is None:
            raise env.Rejected(f"no handler for envelope type {claimed['type']!r}")
        body = env.open_body(claimed, me, keys())
        try:
            parsed = registration.body.model_validate(body)
        except wire.ValidationError as exc:
            raise env.Rejected(f"malformed {claimed['type']} body: {wire.problems(exc)}") from exc
    except env.Rejected as exc:
        raise _Refused(str(exc), claimed) from exc
    arrived = Arrived(
        id=claimed["id"],
        type=claimed["type"],
        sender=claimed["from"],
        to=tuple(claimed["to"]),
        created_at=_parse_time(claimed["created_at"]),
        key_id=claimed["key_id"],
    )
    try:
        with transaction.atomic():
            InboxEnvelope.objects.create(
                envelope_id=arrived.id,
                kind=arrived.type,
                sender=arrived.sender,
                created_at=arrived.created_at,
                received_at=clock.now(),
                stream_seq=stream_seq,
            )
            registration.admit(arrived)
            registration.handle(arrived, parsed)
    except env.Rejected as exc:
        raise _Refused(str(exc), claimed) from exc
    except TRANSIENT:
        raise
    except Exception as exc:
        raise _Refused(_failure(exc, arrived.type), claimed) from exc
    seen[arrived.id] = stream_seq
    line = {"id": arrived.id, "type": arrived.type, "from": arrived.sender}
    if journal is None:
        _audit_envelopes("network.receive", [line])
    else:
        journal.append(line)
    return "accepted", claimed


class _Refused(Exception):
    """An envelope refused at the entrance, with what it claimed once its header was read."""

    def __init__(self, reason: str, claimed: Mapping[str, Any] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.claimed = claimed


def accept(
    raw: bytes,
    stream_seq: int,
    journal: list[dict[str, Any]] | None = None,
    seen: dict[str, int] | None = None,
    decoded: dict[str, Any] | None = None,
) -> str:
    """Take one envelope from this node's inbox. Returns 'accepted', 'duplicate' or 'quarantined';
    raises only for the database's own failures (TRANSIENT), never for what a peer sent.

    With a `journal`, the audit line for the envelope is added to it, for the batch's one
    audit entry; without, it is written at once.
    """
    try:
        outcome, _claimed = _admit(raw, stream_seq, journal, seen, decoded)
    except TRANSIENT:
        raise
    except _Refused as exc:
        _quarantine(raw, exc.reason, stream_seq, exc.claimed, source=Quarantine.Source.INBOX)
        return "quarantined"
    except env.Rejected as exc:
        _quarantine(raw, str(exc), stream_seq, None, source=Quarantine.Source.INBOX)
        return "quarantined"
    except Exception as exc:
        _quarantine(raw, _failure(exc, "inbox"), stream_seq, None, source=Quarantine.Source.INBOX)
        return "quarantined"
    return outcome


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


def _forward(
    raw: bytes,
    stream_seq: int,
    publisher: str,
    journal: list[dict[str, Any]] | None,
    relayed: dict[str, int] | None,
    decoded: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Hub: the relay's guarded entrance. Returns the envelope and whether it is new here."""
    claimed = decoded if decoded is not None else env.decode(raw)
    try:
        if claimed["from"] != publisher:
            raise env.Rejected(f"published by {publisher} but claims to be from {claimed['from']}")
        known = set(connected_nodes())
        unknown = [r for r in claimed["to"] if r not in known]
        if unknown:
            raise env.Rejected(f"unknown recipients: {', '.join(unknown)}")
        if relayed is None:
            earlier = RelayedEnvelope.objects.filter(envelope_id=claimed["id"]).values_list(
                "relay_seq", flat=True
            )
            relayed = {str(claimed["id"]): seq for seq in earlier[:1]}
        first_time = claimed["id"] not in relayed
        if not first_time and relayed[claimed["id"]] != stream_seq:
            raise env.Rejected(f"replay: envelope {claimed['id']} was relayed before")
        env.check(claimed, key_of, clock.now())
    except env.Rejected as exc:
        raise _Refused(str(exc), claimed) from exc
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
    return claimed, first_time


def relay(
    raw: bytes,
    stream_seq: int,
    publisher: str,
    journal: list[dict[str, Any]] | None = None,
    relayed: dict[str, int] | None = None,
    decoded: dict[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """Hub: check an envelope `publisher` put on the relay, keep it, and say where it goes.

    Returns (subject, de-duplication id) pairs to publish; empty when the envelope is refused
    (quarantined). Raises only for the database's own failures (TRANSIENT).
    """
    try:
        claimed, _new = _forward(raw, stream_seq, publisher, journal, relayed, decoded)
    except TRANSIENT:
        raise
    except _Refused as exc:
        _quarantine(
            raw, exc.reason, stream_seq, exc.claimed, source=Quarantine.Source.RELAY, publisher=publisher
        )
        return []
    except env.Rejected as exc:
        _quarantine(raw, str(exc), stream_seq, None, source=Quarantine.Source.RELAY, publisher=publisher)
        return []
    except Exception as exc:
        reason = _failure(exc, "relay")
        _quarantine(raw, reason, stream_seq, None, source=Quarantine.Source.RELAY, publisher=publisher)
        return []
    return [(natsconf.inbox_subject(r), f"{claimed['id']}:{r}") for r in claimed["to"]]


def accept_batch(items: list[tuple[bytes, int]]) -> list[str]:
    """Take a fetched batch from the inbox in one transaction (each envelope in a savepoint).

    The worker acknowledges the batch only after this commits, so a crash anywhere means the
    whole batch comes again, and `accept()` recognises what was already handled. The directory
    is read once for the batch, and one audit entry names every envelope accepted.
    """
    journal: list[dict[str, Any]] = []
    decoded = _decoded(raw for raw, _seq in items)
    with transaction.atomic():
        token = _snapshot.set(Snapshot())
        seen = dict(
            InboxEnvelope.objects.filter(
                envelope_id__in=[d["id"] for d in decoded if d is not None]
            ).values_list("envelope_id", "stream_seq")
        )
        try:
            results = [
                accept(raw, seq, journal, seen, d) for (raw, seq), d in zip(items, decoded, strict=True)
            ]
        finally:
            _snapshot.reset(token)
        _audit_envelopes("network.receive", journal)
    return results


def _decoded(raws: Iterable[bytes]) -> list[dict[str, Any] | None]:
    """Each envelope of a batch parsed once, for its id and for the entrance (None where it does
    not parse: the entrance parses it again on its own, and quarantines it with the reason)."""
    out: list[dict[str, Any] | None] = []
    for raw in raws:
        try:
            out.append(env.decode(raw))
        except Exception:  # judged again inside the entrance, which quarantines it with the reason
            out.append(None)
    return out


def relay_batch(items: list[tuple[bytes, int, str]]) -> list[list[tuple[str, str]]]:
    """Hub: `relay()` for a fetched batch, in one transaction, with one audit entry."""
    journal: list[dict[str, Any]] = []
    decoded = _decoded(raw for raw, _s, _p in items)
    with transaction.atomic():
        token = _snapshot.set(Snapshot())
        relayed = dict(
            RelayedEnvelope.objects.filter(
                envelope_id__in=[d["id"] for d in decoded if d is not None]
            ).values_list("envelope_id", "relay_seq")
        )
        try:
            results = [
                relay(raw, seq, publisher, journal, relayed, d)
                for (raw, seq, publisher), d in zip(items, decoded, strict=True)
            ]
        finally:
            _snapshot.reset(token)
        _audit_envelopes("network.relay", journal)
    return results
