"""Register, rotate and revoke node keys at the hub; publish and check the signed directory."""

from __future__ import annotations

import binascii
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ncbnet.audit import services as audit
from ncbnet.config import member_codes
from ncbnet.core import clock
from ncbnet.core.node import keys
from ncbnet.security.crypto import KeyStore, canonical, key_id, unb64, verify

from .models import NodeKey
from .signals import node_joined, node_rekeyed

DIRECTORY_KIND = "ncbnet.key-directory"
DIRECTORY_VERSION = 1


class DirectoryInvalid(Exception):
    pass


def _require_hub() -> None:
    if settings.NCBNET_ROLE != "hub":
        raise PermissionDenied("Only the hub keeps the key directory.")


def _raw_key(field: str, value: Any) -> bytes:
    try:
        raw = unb64(str(value))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({field: "not base64"}) from exc
    if len(raw) != 32:
        raise ValidationError({field: "must be a 32-byte public key"})
    return raw


def register(actor: Any, public: dict[str, Any]) -> NodeKey:
    """Add a node's new public keys; the node's previous active key is retired (rotation)."""
    _require_hub()
    node = str(public.get("node", ""))
    if node != "hub" and node not in member_codes():
        raise ValidationError({"node": f"unknown node {node!r}: 'hub' or a member country code"})
    signing = _raw_key("signing_public", public.get("signing_public"))
    _raw_key("encryption_public", public.get("encryption_public"))
    kid = key_id(signing)
    if public.get("key_id") not in (None, kid):
        raise ValidationError({"key_id": "does not match the signing key"})
    with transaction.atomic():
        existing = NodeKey.objects.filter(key_id=kid).first()
        if existing is not None:
            if existing.node != node:
                raise ValidationError({"key_id": "this key is registered to another node"})
            if existing.status == NodeKey.Status.REVOKED:
                raise ValidationError({"key_id": "this key was revoked and cannot return"})
            return existing
        now = clock.now()
        first_key = not NodeKey.objects.filter(node=node).exists()
        for old in NodeKey.objects.select_for_update().filter(node=node, status=NodeKey.Status.ACTIVE):
            old.status, old.retired_at = NodeKey.Status.RETIRED, now
            old.save(update_fields=["status", "retired_at"])
            audit.record("keys.retire", actor=actor, target=old, subject=node)
        key = NodeKey.objects.create(
            node=node,
            key_id=kid,
            signing_public=public["signing_public"],
            encryption_public=public["encryption_public"],
            valid_from=now,
        )
        audit.record("keys.register", actor=actor, target=key, subject=node, detail={"key_id": kid})
        _push_directory()
        if first_key:
            node_joined.send(sender=NodeKey, node=node)
        else:
            node_rekeyed.send(sender=NodeKey, node=node)
    return key


def revoke(actor: Any, kid: str, reason: str) -> NodeKey:
    _require_hub()
    if not reason.strip():
        raise ValidationError({"reason": "a revocation needs a reason"})
    with transaction.atomic():
        key = NodeKey.objects.select_for_update().filter(key_id=kid).first()
        if key is None:
            raise ValidationError({"key_id": f"no key {kid} in the directory"})
        if key.status != NodeKey.Status.REVOKED:
            key.status, key.revoked_at, key.revocation_reason = NodeKey.Status.REVOKED, clock.now(), reason
            key.save(update_fields=["status", "revoked_at", "revocation_reason"])
            audit.record("keys.revoke", actor=actor, target=key, subject=key.node, detail={"reason": reason})
            _push_directory()
    return key


def _push_directory() -> None:
    """Every change reaches the nodes as a new signed directory, queued with the change itself."""
    from .directory import push

    if keys().exists:
        push()


def directory_document() -> dict[str, Any]:
    rows = list(NodeKey.objects.order_by("node", "valid_from"))
    keys = [k.as_entry() for k in rows]
    changed = max((t for k in rows for t in (k.valid_from, k.retired_at, k.revoked_at) if t), default=None)
    return {
        "kind": DIRECTORY_KIND,
        "version": DIRECTORY_VERSION,
        "as_of": changed.isoformat(timespec="seconds").replace("+00:00", "Z") if changed else None,
        "keys": keys,
    }


def signed_directory(keys: KeyStore) -> dict[str, Any]:
    """The directory as the hub publishes it: the document, the hub's key id and its signature."""
    _require_hub()
    document = directory_document()
    kid, signature = keys.sign(canonical(document))
    return {"directory": document, "signer": kid, "signature": signature}


def verify_directory(published: dict[str, Any], pinned_hub_signing_public: str) -> dict[str, Any]:
    """Check a published directory against the hub key this node pinned; return the document."""
    try:
        document, signature = published["directory"], published["signature"]
    except (KeyError, TypeError) as exc:
        raise DirectoryInvalid("not a signed key directory") from exc
    if document.get("kind") != DIRECTORY_KIND:
        raise DirectoryInvalid("not a key directory")
    if not verify(pinned_hub_signing_public, signature, canonical(document)):
        raise DirectoryInvalid("the signature does not match the pinned hub key")
    return dict(document)


def status(actor: Any) -> dict[str, Any]:
    """What an administrator needs to see at a glance: backlog, last traffic, refusals (audited)."""
    with transaction.atomic():
        audit.record("network.status.read", actor=actor)
    from .models import InboxEnvelope, OutboxEnvelope, Quarantine, RelayedEnvelope

    pending = OutboxEnvelope.objects.filter(sent_at__isnull=True)
    oldest = pending.order_by("id").values_list("created_at", flat=True).first()
    failing = (
        pending.exclude(last_error="").order_by("-attempts").values_list("attempts", "last_error").first()
    )
    return {
        "pending": pending.count(),
        "oldest_pending": oldest,
        "failing": failing,
        "last_sent": OutboxEnvelope.objects.exclude(sent_at=None)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first(),
        "last_received": InboxEnvelope.objects.order_by("-id").values_list("received_at", flat=True).first(),
        "received": InboxEnvelope.objects.count(),
        "relayed": RelayedEnvelope.objects.count(),
        "quarantine": list(Quarantine.objects.filter(state="held").defer("raw").order_by("-id")[:50]),
        "quarantined": Quarantine.objects.filter(state="held").count(),
        "keys": list(NodeKey.objects.order_by("node", "-valid_from")),
    }
