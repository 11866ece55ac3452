"""The key directory travels as a hub-signed "directory" envelope; nodes check it against the
hub key they pinned and keep it as their copy of the directory."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from ncbnet.audit import services as audit
from ncbnet.core.node import keys, node_id

from . import delivery, services
from .envelope import Rejected
from .handlers import register, require_hub
from .models import NodeKey

KIND = "directory"
REQUEST = "directory.request"


def push() -> str | None:
    """Hub: send the signed directory to every connected node (inside the caller's transaction)."""
    nodes = [n for n in delivery.connected_nodes() if n != "hub"]
    if not nodes:
        return None
    return delivery.queue(KIND, nodes, services.signed_directory(keys()), confidential=False)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@register(KIND)
def apply(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    """Node: replace the local copy of the directory with the one the hub signed."""
    require_hub(envelope, "key directories")
    if not delivery.hub_key_file().exists():
        raise Rejected("no pinned hub key on this node")
    pinned = json.loads(delivery.hub_key_file().read_text("utf-8"))
    try:
        document = services.verify_directory(body, pinned["signing_public"])
    except services.DirectoryInvalid as exc:
        raise Rejected(str(exc)) from exc
    entries = document["keys"]
    NodeKey.objects.exclude(key_id__in=[e["key_id"] for e in entries]).delete()
    for e in entries:
        NodeKey.objects.update_or_create(
            key_id=e["key_id"],
            defaults={
                "node": e["node"],
                "signing_public": e["signing_public"],
                "encryption_public": e["encryption_public"],
                "status": e["status"],
                "valid_from": _time(e["valid_from"]),
                "retired_at": _time(e["retired_at"]),
                "revoked_at": _time(e["revoked_at"]),
                "revocation_reason": e["revocation_reason"] or "",
            },
        )
    delivery.refresh_snapshot()
    audit.record(
        "keys.directory_applied", subject=node_id(), detail={"as_of": document["as_of"], "keys": len(entries)}
    )


def request_if_missing() -> str | None:
    """Node: ask the hub for the directory when this node has none (say its first copy arrived
    before the hub key was pinned and was refused)."""
    if node_id() == "hub" or NodeKey.objects.filter(node=node_id()).exists():
        return None
    if delivery.pinned_hub() is None:
        return None
    with transaction.atomic():
        return delivery.queue(REQUEST, ["hub"], {"node": node_id()})


@register(REQUEST)
def answer_request(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    """Hub: send the signed directory to the node that asked."""
    if node_id() != "hub":
        raise Rejected("only the hub answers directory requests")
    delivery.queue(KIND, [str(envelope["from"])], services.signed_directory(keys()), confidential=False)
