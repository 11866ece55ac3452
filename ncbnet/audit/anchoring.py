"""Seals leave the node: each one also travels to the hub, which keeps it.

`ncbnet audit anchors --node FR` at the hub exports what it holds; `ncbnet audit verify
--anchors FILE` on the node checks its chain against them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Any

from django.db import transaction
from pydantic import Field, StringConstraints

from ncbnet.base import clock
from ncbnet.base.crypto import KeyStore, canonical, verify
from ncbnet.base.node import keys, node_id, role
from ncbnet.network import delivery, wire
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register, sealer

from . import services
from .models import AnchoredSeal, ChainSeal

KIND = "audit.seal"
log = logging.getLogger("ncbnet.audit")


def seal_and_anchor(keys: KeyStore) -> ChainSeal | None:
    """Seal the chain head and, on an NCB node, send the seal to the hub in the same transaction.

    A node not yet on the network (no hub key) seals locally only, and says so.
    """
    to_hub = not role().keeps_anchors
    if to_hub:
        try:
            delivery.active_keys(["hub"])
        except delivery.NotOnNetwork:
            log.warning("no hub key yet: audit seals stay on this node until the hub is known")
            to_hub = False
    with transaction.atomic():
        sealed = services.seal(keys)
        if sealed is not None and to_hub:
            delivery.queue(
                KIND,
                ["hub"],
                sealed.signed_content(node_id())
                | {
                    "key_id": sealed.key_id,
                    "signature": sealed.signature,
                },
            )
        return sealed


class SealBody(wire.Body):
    """A node's signed seal of its chain head. `sealed_at` stays the text that was signed."""

    node: wire.Node
    seq: Annotated[int, Field(ge=0, le=2**53 - 1)]
    hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    sealed_at: Annotated[str, StringConstraints(max_length=40)]
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    signature: Annotated[str, StringConstraints(max_length=100)]


@sealer
def seal_if_due(every: timedelta) -> None:
    """The network worker's sealing job: seal and anchor once `every` has passed since the last seal."""
    if services.seal_due(every):
        seal_and_anchor(keys())


@register(KIND, SealBody)
def anchor_arrived(envelope: Arrived, body: SealBody) -> None:
    """Hub: keep a node's seal after checking that the node's own key signed it. A seal once kept
    is never replaced: a second, different seal of the same position is refused (and quarantined
    with the reason), since only a node that rewrote its chain would send one."""
    if not role().keeps_anchors:
        raise Rejected("only the hub keeps audit seals")
    node = envelope.sender
    if body.node != node:
        raise Rejected("a seal for another node's chain")
    peer = delivery.key_of(node, body.key_id)
    signed = {"node": body.node, "seq": body.seq, "hash": body.hash, "sealed_at": body.sealed_at}
    if peer is None or not verify(peer.signing_public, body.signature, canonical(signed)):
        raise Rejected("the seal's signature does not verify")
    try:
        sealed_at = datetime.fromisoformat(body.sealed_at.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Rejected("sealed_at is not an ISO 8601 time") from exc
    kept = AnchoredSeal.objects.filter(node=node, seq=body.seq).first()
    if kept is not None:
        if (kept.hash, kept.signature) != (body.hash, body.signature):
            raise Rejected(
                f"{node} sent a different seal of entry #{body.seq} than the one anchored on "
                f"{kept.received_at:%Y-%m-%d %H:%M} UTC: the first is kept (was the chain rewritten?)"
            )
        return  # the same seal again
    AnchoredSeal.objects.create(
        node=node,
        seq=body.seq,
        hash=body.hash,
        sealed_at=sealed_at,
        key_id=body.key_id,
        signature=body.signature,
        received_at=clock.now(),
    )


def exported(node: str) -> list[dict[str, Any]]:
    return [a.as_dict() for a in AnchoredSeal.objects.filter(node=node).order_by("seq")]
