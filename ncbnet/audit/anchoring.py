"""Seals leave the node: each one also travels to the hub, which keeps it.

`ncbnet audit anchors --node FR` at the hub exports what it holds; `ncbnet audit verify
--anchors FILE` on the node checks its chain against them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from ncbnet.core import clock
from ncbnet.core.node import node_id
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import register
from ncbnet.security.crypto import KeyStore, canonical, verify

from . import services
from .models import AnchoredSeal, ChainSeal

KIND = "audit.seal"
log = logging.getLogger("ncbnet.audit")


def seal_and_anchor(keys: KeyStore) -> ChainSeal | None:
    """Seal the chain head and, on an NCB node, send the seal to the hub in the same transaction.

    A node not yet on the network (no hub key) seals locally only, and says so.
    """
    to_hub = node_id() != "hub"
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


@register(KIND)
def anchor_arrived(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    """Hub: keep a node's seal after checking that the node's own key signed it."""
    if node_id() != "hub":
        raise Rejected("only the hub keeps audit seals")
    node = str(envelope["from"])
    if body.get("node") != node:
        raise Rejected("a seal for another node's chain")
    peer = delivery.key_of(node, str(body["key_id"]))
    signed = {k: body[k] for k in ("node", "seq", "hash", "sealed_at")}
    if peer is None or not verify(peer.signing_public, str(body["signature"]), canonical(signed)):
        raise Rejected("the seal's signature does not verify")
    AnchoredSeal.objects.update_or_create(
        node=node,
        seq=int(body["seq"]),
        defaults={
            "hash": str(body["hash"]),
            "sealed_at": datetime.fromisoformat(str(body["sealed_at"]).replace("Z", "+00:00")),
            "key_id": str(body["key_id"]),
            "signature": str(body["signature"]),
            "received_at": clock.now(),
        },
    )


def exported(node: str) -> list[dict[str, Any]]:
    return [a.as_dict() for a in AnchoredSeal.objects.filter(node=node).order_by("seq")]
