"""The quarantine, as the network administrator works it: list and read what was refused, retry it
(its parent arrived later, a fault was fixed) or drop it, each step audited; and the plumbing's
retention (relayed envelopes, sent outbox rows, the quarantine itself) pruned on the clock.

A retry goes through the same guarded entrance as the first arrival (`delivery._admit` on a
node's inbox, `delivery._forward` on the hub's relay); nothing is let through that the entrance
would refuse today.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from ncbnet.base import audit, bounded, clock
from ncbnet.base.actor import Person
from ncbnet.base.policies import can_read_audit

from . import delivery
from . import envelope as env
from .handlers import every
from .models import InboxEnvelope, OutboxEnvelope, Quarantine, RelayedEnvelope

SHOWN_BYTES = 64 * 1024  # of a quarantined envelope's bytes, what a page shows


def may_manage(actor: Person | None) -> bool:
    """The node's network administrator: the GS's network administrator at the hub, the NCB's
    head or administrator on its node; the command line (`actor` None) is the operator."""
    return actor is None or can_read_audit(actor)


def _require(actor: Person | None) -> None:
    if not may_manage(actor):
        raise PermissionDenied("The quarantine is the network administrator's.")


def _who(actor: Person | None) -> str:
    return actor.get_username() if actor is not None else "operator"


def listing(actor: Person | None, state: str | None = "held", limit: int = 200) -> QuerySet[Quarantine]:
    """Quarantined envelopes, newest first (held ones unless another state is asked); audited."""
    _require(actor)
    if state not in (None, *Quarantine.State.values):
        raise ValidationError({"state": f"one of {', '.join(Quarantine.State.values)}"})
    qs = Quarantine.objects.defer("raw").order_by("-id")
    if state:
        qs = qs.filter(state=state)
    with transaction.atomic():
        audit.record("network.quarantine.list", actor=actor, detail={"state": state or "all"})
    return qs[:limit]


@dataclass(frozen=True)
class Shown:
    entry: Quarantine
    size: int
    text: str  # the envelope as it came, pretty-printed when it reads as JSON, cut at SHOWN_BYTES
    cut: bool


def show(actor: Person | None, pk: int) -> Shown:
    """One quarantined envelope as it came (a sealed body stays sealed); audited."""
    _require(actor)
    q = Quarantine.objects.filter(pk=pk).first()
    if q is None:
        raise Http404("No such quarantined envelope.")
    raw = bytes(q.raw)
    with transaction.atomic():
        audit.record("network.quarantine.read", actor=actor, target=q)
    return Shown(q, len(raw), _readable(raw[:SHOWN_BYTES]), len(raw) > SHOWN_BYTES)


def _readable(raw: bytes) -> str:
    try:
        return json.dumps(bounded.loads(raw, env.LIMITS), indent=2, ensure_ascii=False, sort_keys=True)
    except bounded.Unbounded:
        return raw.decode("utf-8", errors="backslashreplace")


@dataclass(frozen=True)
class Retried:
    entry: Quarantine
    released: bool
    reason: str  # why it was refused again ("" when released)


def _held(pk: int) -> Quarantine:
    """A held envelope, locked for this transaction; one released or dropped is not worked again."""
    q = Quarantine.objects.select_for_update().filter(pk=pk).first()
    if q is None:
        raise Http404("No such quarantined envelope.")
    if not q.held:
        raise ValidationError({"state": f"this envelope was already {q.state}"})
    return q


def retry(actor: Person | None, pk: int) -> Retried:
    """Put a held envelope through the entrance again. Let through, it is handled (inbox) or
    queued to its recipients' inboxes (relay) and the entry is released; refused, it stays held
    with the new reason. Either way the retry is audited."""
    _require(actor)
    with transaction.atomic():
        q = _held(pk)
        raw = bytes(q.raw)
        reason = ""
        try:
            with transaction.atomic():
                if q.source == Quarantine.Source.RELAY:
                    claimed, _new = delivery._forward(raw, q.stream_seq or 0, q.publisher, None, None)
                    _requeue(claimed, list(claimed["to"]), raw)
                elif q.source == Quarantine.Source.DELIVERY:
                    claimed = env.decode(raw)
                    if q.publisher not in claimed["to"]:
                        raise env.Rejected(f"the envelope is not addressed to {q.publisher}")
                    _requeue(claimed, [q.publisher], raw)
                else:
                    delivery._admit(raw, q.stream_seq or 0, None, None)
        except delivery.TRANSIENT:
            raise
        except delivery._Refused as exc:
            reason = exc.reason
        except env.Rejected as exc:
            reason = str(exc)
        except Exception as exc:
            reason = delivery._failure(exc, q.claimed_type or "quarantined")
        q.retries += 1
        if reason:
            q.reason = reason[:2000]
            q.save(update_fields=["retries", "reason"])
        else:
            q.state, q.resolved_at, q.resolved_by = Quarantine.State.RELEASED, clock.now(), _who(actor)
            q.save(update_fields=["retries", "state", "resolved_at", "resolved_by"])
        audit.record(
            "network.quarantine.retry",
            actor=actor,
            target=q,
            subject=q.claimed_sender,
            detail={"envelope": q.claimed_id, "released": not reason, "reason": reason},
        )
    return Retried(q, not reason, reason)


def _requeue(claimed: dict[str, Any], recipients: list[str], raw: bytes) -> None:
    """Hub: publish a relayed envelope (as it came, still sealed) into recipients' inboxes again."""
    OutboxEnvelope.objects.update_or_create(
        envelope_id=claimed["id"],
        defaults={
            "kind": claimed["type"],
            "recipients": recipients,
            "payload": raw,
            "created_at": clock.now(),
            "sent_at": None,
            "next_attempt_at": None,
        },
    )


def drop(actor: Person | None, pk: int, why: str) -> Quarantine:
    """Give up on a held envelope, with a reason; its bytes stay until the retention prunes them."""
    _require(actor)
    if not why.strip():
        raise ValidationError({"reason": "say why the envelope is dropped"})
    with transaction.atomic():
        q = _held(pk)
        q.state, q.resolved_at, q.resolved_by = Quarantine.State.DROPPED, clock.now(), _who(actor)
        q.save(update_fields=["state", "resolved_at", "resolved_by"])
        audit.record(
            "network.quarantine.drop",
            actor=actor,
            target=q,
            subject=q.claimed_sender,
            detail={"envelope": q.claimed_id, "reason": why.strip()[:2000]},
        )
    return q


def dead_letter(raw: bytes, seq: int, *, source: str, publisher: str = "", error: str) -> Quarantine:
    """An envelope whose handling failed every time it was delivered (the database kept failing
    on it): kept in the quarantine as a dead letter so the stream can go on without it."""
    with transaction.atomic():
        return delivery._quarantine(
            raw,
            f"handled {delivery.MAX_DELIVER} times without success; last error: {error}",
            seq,
            None,
            source=source,
            publisher=publisher,
            dead=True,
        )


@every(3600, "network.prune")
def prune() -> dict[str, int] | None:
    """The plumbing's retention, on the node's clock: the memory of accepted envelope ids past
    the age any envelope is accepted at (older ones are refused as stale anyway), and relayed
    envelopes, sent outbox rows and quarantine entries past NCBNET_NETWORK_KEEP_DAYS. Audited."""
    now = clock.now()
    keep = timedelta(days=settings.NCBNET_NETWORK_KEEP_DAYS)
    gone = {
        "inbox_ids": InboxEnvelope.objects.filter(received_at__lt=now - env.MAX_AGE - timedelta(days=1)),
        "relayed": RelayedEnvelope.objects.filter(relayed_at__lt=now - keep),
        "outbox_sent": OutboxEnvelope.objects.filter(sent_at__lt=now - keep),
        "quarantine": Quarantine.objects.filter(received_at__lt=now - keep),
    }
    counts: dict[str, int] = {}
    with transaction.atomic():
        for name, qs in gone.items():
            counts[name] = qs.delete()[0]
        if any(counts.values()):
            audit.record("network.prune", detail={"keep_days": keep.days, **counts})
    return counts if any(counts.values()) else None
