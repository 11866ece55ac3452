"""The key directory travels as a hub-signed "directory" envelope; nodes check it against the
hub key they pinned and keep it as their copy of the directory."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from django.db import transaction
from pydantic import Field, StringConstraints

from ncbnet.base import audit, clock
from ncbnet.base.node import keys, node_id, role

from . import delivery, services, wire
from .envelope import KeyId, Rejected
from .handlers import Arrived, register, require_hub
from .models import NodeKey

KIND = services.DIRECTORY_ENVELOPE
REQUEST = "directory.request"


PublicKey = Annotated[str, StringConstraints(max_length=64)]


class KeyEntry(wire.Body):
    node: wire.Node
    key_id: KeyId
    signing_public: PublicKey
    encryption_public: PublicKey
    status: Literal["active", "retired", "revoked"]
    valid_from: wire.Stamp
    retired_at: wire.Stamp | None
    revoked_at: wire.Stamp | None
    revocation_reason: wire.Text2000 | None
    # A rotation: the key it replaced, and that key's signature over this one.
    previous_key_id: KeyId | None = None
    rotation_signature: Annotated[str, StringConstraints(max_length=128)] | None = None


class Document(wire.Body):
    kind: Literal["ncbnet.key-directory"]
    version: Literal[1]
    as_of: Annotated[str, StringConstraints(max_length=40)] | None
    keys: Annotated[list[KeyEntry], Field(max_length=10_000)]


class SignedDirectory(wire.Body):
    """The directory as the hub signs it: the document is read only once its signature verifies."""

    directory: dict[str, wire.Json]
    signer: KeyId
    signature: Annotated[str, StringConstraints(max_length=128)]


class DirectoryRequest(wire.Body):
    node: wire.Node


@register(KIND, SignedDirectory)
def apply(envelope: Arrived, body: SignedDirectory) -> None:
    """Node: replace the local copy of the directory with the one the hub signed."""
    require_hub(envelope, "key directories")
    if not delivery.hub_key_file().exists():
        raise Rejected("no pinned hub key on this node")
    pinned = json.loads(delivery.hub_key_file().read_text("utf-8"))
    try:
        signed = services.verify_directory(body.model_dump(), pinned["signing_public"])
        document = Document.model_validate(signed)
    except services.DirectoryInvalid as exc:
        raise Rejected(str(exc)) from exc
    except wire.ValidationError as exc:
        raise Rejected(f"malformed key directory: {wire.problems(exc)}") from exc
    entries = document.keys
    try:
        changes = services.directory_changes(NodeKey.objects.all(), entries)
    except services.DirectoryInvalid as exc:
        raise Rejected(f"key directory refused: {exc}") from exc
    now = clock.now()
    # Keys leaving the active state first: a node has one active key at a time.
    for e in sorted(entries, key=lambda e: e.status == NodeKey.Status.ACTIVE):
        fields = {
            "node": e.node,
            "signing_public": e.signing_public,
            "encryption_public": e.encryption_public,
            "status": e.status,
            "valid_from": e.valid_from,
            "retired_at": e.retired_at,
            "revoked_at": e.revoked_at,
            "revocation_reason": e.revocation_reason or "",
            "previous_key_id": e.previous_key_id or "",
            "rotation_signature": e.rotation_signature or "",
        }
        NodeKey.objects.update_or_create(
            key_id=e.key_id, defaults=fields, create_defaults=fields | {"seen_at": now}
        )
    delivery.refresh_snapshot()
    for change in changes:
        audit.record(
            f"keys.peer_{change.action}",
            subject=change.node,
            target_type="network.nodekey",
            target_id=change.key_id,
            detail={
                "key_id": change.key_id,
                "fingerprint": change.fingerprint,
                "previous": change.previous,
                "reason": change.reason,
            },
        )
    audit.record(
        "keys.directory_applied",
        subject=node_id(),
        detail={"as_of": document.as_of, "keys": len(entries), "changes": len(changes)},
    )


def request_if_missing() -> str | None:
    """Node: ask the hub for the directory when this node has none (say its first copy arrived
    before the hub key was pinned and was refused)."""
    if role().keeps_directory or NodeKey.objects.filter(node=node_id()).exists():
        return None
    if delivery.pinned_hub() is None:
        return None
    with transaction.atomic():
        return delivery.queue(REQUEST, ["hub"], {"node": node_id()})


@register(REQUEST, DirectoryRequest)
def answer_request(envelope: Arrived, body: DirectoryRequest) -> None:
    """Hub: send the signed directory to the node that asked."""
    if not role().keeps_directory:
        raise Rejected("only the hub answers directory requests")
    delivery.queue(KIND, [envelope.sender], services.signed_directory(keys()), confidential=False)
