"""What the request tests share: a request arriving from another bureau, a step arriving, and the
envelopes this node queued for the other party."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope

_seq = itertools.count(1)


def request_body(**over: Any) -> dict[str, Any]:
    return {
        "request_id": envelope.new_id(),
        "requester": "BR",
        "requested": "FR",
        "sender_name": "Ana Souza",
        "kind": "action",
        "action": "locate",
        "title": "Locate Marc Dupont",
        "details": "Believed to travel to France on a forged passport.",
        "subjects": [{"type": "person", "name": "Marc Dupont", "date_of_birth": "1980-04-02"}],
        "legal_basis": "Mutual assistance treaty, art. 3",
        "purpose": "Arrest warrant 2026/17",
        "urgent": False,
        "urgency_ground": "",
        "access": "direct",
        "handling": "H1",
        "source_reliability": "B",
        "information_accuracy": "2",
        "created_at": clock.now().isoformat(),
        **over,
    }


def step_body(request_id: Any, kind: str, **over: Any) -> dict[str, Any]:
    return {
        "request_id": str(request_id),
        "event_id": envelope.new_id(),
        "kind": kind,
        "by": "Ana Souza",
        **over,
    }


@pytest.fixture
def deliver(peers: dict[str, Any]) -> Callable[..., str]:
    """An envelope of `kind` from `sender` (signed by `signer`), taken by this node's inbox: its
    outcome ("accepted", "quarantined", "duplicate")."""

    def take(kind: str, body: dict[str, Any], sender: str = "BR", signer: str | None = None) -> str:
        raw = arriving(peers, kind, body, sender=sender, signer=signer)
        return delivery.accept_batch([(raw, next(_seq))])[0]

    return take


def sent_to(peers: dict[str, Any], node: str) -> list[tuple[str, dict[str, Any]]]:
    """The envelopes this node queued for `node` (type and body opened with that node's key),
    oldest first."""
    out = []
    for row in OutboxEnvelope.objects.order_by("pk"):
        if node in row.recipients:
            out.append((row.kind, envelope.open_body(envelope.decode(bytes(row.payload)), node, peers[node])))
    return out
