"""Replicas heal: a node that may hold what it may no longer see, or lack what it may, is put right.

The change feed (`replication`) reaches a node only while it has an active key and while its
inbox stream keeps what the hub sent (30 days). A node that re-registers or rotates its key, or
that missed envelopes (away longer than the stream keeps, or envelopes refused as stale), gets a
**resync**: the hub sends, in pages, the set of records (id: version) the node may hold as of now;
the node drops every record it holds outside that set (unless a later change brought it), and
fetches those it lacks or holds in an older version; the hub answers a fetch with exactly the
records the node may see at that moment. Afterwards `replica verify` finds nothing to fix.

How the hub knows a node missed envelopes: every few hours the hub sends every node a **tick**,
a number that goes up by one each time. A node that sees it jump (or go back) missed envelopes
from the hub, and asks for a resync; the hub starts at most one a day for a node (a request
within the day waits for the next tick job). A hub that was down sends no ticks, so its outage
alone asks for nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import receiver

from ncbnet.base import audit, clock, holdings
from ncbnet.base.actor import Person
from ncbnet.base.node import node_id
from ncbnet.config import member_codes
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, every, register, require_hub
from ncbnet.network.signals import node_rekeyed

from .models import FeedTick, NodeReplica, Record, ReplicaCheck, ReplicaFeed, ReplicaRecord
from .replication import expected_pages, keep_page, send_records
from .schemas import FETCH_PAGE, FetchBody, ResyncBody, ResyncRequestBody, TickBody

RESYNC = "replica.resync"
FETCH = "replica.fetch"
TICK = "replica.tick"
REQUEST = "replica.resync_request"
TICK_EVERY = 6 * 3600  # seconds
# A node asking again within this time waits (a peer cannot make the hub resend its set at will).
AT_MOST_EVERY = timedelta(days=1)


# --- at the hub ---------------------------------------------------------------------------------


def start_resync(node: str, reason: str, actor: Person | None = None) -> str | None:
    """Hub: send `node` the set it may hold, in pages; inside the caller's transaction. None when
    the node is not on the network (no active key): nothing can reach it until it has one."""
    if node == "hub" or node not in delivery.connected_nodes():
        return None
    whole, pages = expected_pages(node)
    resync, as_of = new_id(), clock.now()
    tick = FeedTick.objects.filter(pk=1).values_list("n", flat=True).first() or 0
    for part, page in enumerate(pages):
        delivery.queue(
            RESYNC,
            [node],
            {
                "resync": resync,
                "as_of": as_of.isoformat(),
                "tick": tick,
                "part": part,
                "parts": len(pages),
                "digest": whole,
                "expected": page,
            },
        )
    expected = sum(len(p) for p in pages)
    NodeReplica.objects.update_or_create(
        node=node,
        defaults={
            "resync": resync,
            "resync_at": as_of,
            "resync_reason": reason[:300],
            "resync_expected": expected,
            "resync_fetched": 0,
            "wanted": "",
        },
    )
    audit.record(
        "replica.resync",
        actor=actor,
        subject=node,
        detail={"resync": resync, "reason": reason, "expected": expected, "pages": len(pages)},
    )
    return resync


@receiver(node_rekeyed)
def resync_rekeyed(sender: Any, node: str, **kwargs: Any) -> None:
    """A node with a new key (rotated, or re-registered after a revocation) gets a resync: while it
    had no active key, no change, and no removal, could reach it."""
    start_resync(node, "new key")


def resync(actor: Person | None, node: str, reason: str = "") -> str:
    """Hub: the network administrator resynchronises a node's replica now (audited)."""
    if not holdings.here().keeps_originals:
        raise PermissionDenied("Only the hub sends resyncs; on a node, ask the hub for one.")
    if node not in member_codes():
        raise ValidationError({"node": f"{node!r} is not a member country's code"})
    with transaction.atomic():
        started = start_resync(node, reason.strip() or "asked by the network administrator", actor)
    if started is None:
        raise ValidationError({"node": f"{node} is not on the network (no active key)"})
    return started


@register(
    REQUEST,
    ResyncRequestBody,
    to_hub="resync requests go from a node to the hub",
    from_bureau="resync requests go from a node to the hub",
)
def resync_requested(envelope: Arrived, body: ResyncRequestBody) -> None:
    """Hub: a node asks for a resync. Started now, or with the next tick job if the node had one
    within the day."""
    node = envelope.sender
    state = NodeReplica.objects.select_for_update().filter(node=node).first()
    if state is not None and state.resync_at is not None and clock.now() - state.resync_at < AT_MOST_EVERY:
        state.wanted = f"asked by {node}: {body.reason}"[:300]
        state.save(update_fields=["wanted"])
        audit.record("replica.resync_deferred", subject=node, detail={"reason": body.reason})
        return
    start_resync(node, f"asked by {node}: {body.reason}")


@register(
    FETCH,
    FetchBody,
    to_hub="fetches go from a node to the hub",
    from_bureau="fetches go from a node to the hub",
)
def fetch_arrived(envelope: Arrived, body: FetchBody) -> None:
    """Hub: send a node the records its resync named that it lacks, as far as it may see them now.
    A fetch must name the node's latest resync and, all told, ask for no more than it named."""
    node = envelope.sender
    state = NodeReplica.objects.select_for_update().filter(node=node).first()
    if state is None or state.resync != body.resync:
        raise Rejected(f"{body.resync} is not {node}'s current resync")
    if state.resync_fetched + len(body.ids) > state.resync_expected:
        raise Rejected(f"{node} asks for more records than its resync named ({state.resync_expected})")
    state.resync_fetched += len(body.ids)
    state.save(update_fields=["resync_fetched"])
    visible = Record.objects.live().visible_to(node)
    sent = 0
    for start in range(0, len(body.ids), 500):  # within every database's limit of query parameters
        chunk = body.ids[start : start + 500]
        sent += send_records([node], visible.filter(pk__in=chunk).order_by("pk"))
    audit.record(
        "replica.fetch",
        subject=node,
        detail={"resync": str(body.resync), "asked": len(body.ids), "sent": sent},
    )


@every(TICK_EVERY, "replica.tick")
def tick() -> int | None:
    """Hub: the next tick to every node on the network; and the resyncs nodes asked for that had
    to wait. Returns the tick's number."""
    if not holdings.here().keeps_originals:
        return None
    nodes = [n for n in delivery.connected_nodes() if n != "hub"]
    if not nodes:
        return None
    with transaction.atomic():
        counter, _ = FeedTick.objects.select_for_update().get_or_create(pk=1)
        counter.n += 1
        counter.save(update_fields=["n"])
        delivery.queue(TICK, nodes, {"n": counter.n})
        due = NodeReplica.objects.exclude(wanted="").filter(resync_at__lt=clock.now() - AT_MOST_EVERY)
        for state in due.filter(node__in=nodes):
            start_resync(state.node, state.wanted)
    return counter.n


# --- on an NCB node -----------------------------------------------------------------------------


@register(RESYNC, ResyncBody)
def resync_page(envelope: Arrived, body: ResyncBody) -> None:
    """Node: keep a page of the hub's set; with the last, put the replica right."""
    require_hub(envelope, "resyncs")
    check = ReplicaCheck.objects.select_for_update().filter(resync=body.resync).first()
    if check is None:
        check = ReplicaCheck.objects.create(resync=body.resync, as_of=body.as_of, requested_at=clock.now())
    elif check.as_of != body.as_of:
        raise Rejected(f"page {body.part} of resync {body.resync} disagrees with the pages before it")
    whole = keep_page(check, body)
    if whole is None:
        return
    apply_resync(check, whole)
    feed, _ = ReplicaFeed.objects.select_for_update().get_or_create(pk=1)
    if feed.last_tick is None or feed.last_tick < body.tick:
        feed.last_tick, feed.last_tick_at = body.tick, clock.now()
        feed.save(update_fields=["last_tick", "last_tick_at"])


def apply_resync(check: ReplicaCheck, whole: dict[str, int]) -> None:
    """Drop what the node may not hold, and fetch what it lacks or holds in an older version.

    A record held outside the set but changed after the set was made (`updated_at` after
    `as_of`) came with a later change, which the hub sent because the node may see it then: it
    stays (a later removal takes it away, as for any change)."""
    assert check.as_of is not None
    held = {
        str(pk): (v, at) for pk, v, at in ReplicaRecord.objects.values_list("pk", "version", "updated_at")
    }
    drop = sorted(k for k, (_v, at) in held.items() if k not in whole and at <= check.as_of)
    want = sorted(k for k, v in whole.items() if k not in held or held[k][0] < v)
    for start in range(0, len(drop), 500):
        ReplicaRecord.objects.filter(pk__in=drop[start : start + 500]).delete()
    for start in range(0, len(want), FETCH_PAGE):
        delivery.queue(FETCH, ["hub"], {"resync": str(check.resync), "ids": want[start : start + FETCH_PAGE]})
    check.dropped, check.fetched = len(drop), len(want)
    check.save(update_fields=["dropped", "fetched"])
    audit.record(
        "replica.resynced",
        subject=node_id(),
        target=check,
        detail={
            "resync": str(check.resync),
            "expected": len(whole),
            "dropped": len(drop),
            "fetch": len(want),
        },
    )


@register(TICK, TickBody)
def tick_arrived(envelope: Arrived, body: TickBody) -> None:
    """Node: note the hub's tick; if it jumped, envelopes from the hub were lost: ask for a resync."""
    require_hub(envelope, "ticks")
    feed, _ = ReplicaFeed.objects.select_for_update().get_or_create(pk=1)
    last = feed.last_tick
    if last is not None and body.n > last + 1:
        ask(f"ticks {last + 1} to {body.n - 1} never arrived")
    elif last is not None and body.n < last:
        ask(f"the hub's tick went back from {last} to {body.n}")
    if last is None or body.n != last:
        feed.last_tick, feed.last_tick_at = body.n, clock.now()
        feed.save(update_fields=["last_tick", "last_tick_at"])


def ask(reason: str) -> str:
    """Node: ask the hub for a resync (inside the caller's transaction); audited."""
    sent = delivery.queue(REQUEST, ["hub"], {"reason": reason[:300]})
    audit.record("replica.resync_request", subject=node_id(), detail={"reason": reason})
    return sent


def request_resync(actor: Person | None, reason: str = "") -> str:
    """Node: the network administrator asks the hub for a resync (after `replica verify` found
    differences, say)."""
    if holdings.here().keeps_originals:
        raise PermissionDenied("The hub holds the databases themselves; name the node to resync.")
    with transaction.atomic():
        return ask(reason.strip() or "asked by the network administrator")


def last_resync() -> ReplicaCheck | None:
    """Node: the latest resync this node applied, or is putting together."""
    return ReplicaCheck.objects.filter(resync__isnull=False).order_by("-requested_at").first()
