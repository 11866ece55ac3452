"""Register, rotate and revoke node keys at the hub; publish and check the signed directory.

A rotation is signed twice: by the node's previous key, over its new public keys
(`rotation_statement`), and by the hub, which publishes that signature in the directory. A node
takes a new key for a bureau it knows only with that signature (or after the hub revoked the
bureau's key, with a reason), so a hub alone cannot swap a bureau's key unseen.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.base.crypto import KeyStore, PublicIdentity, b64, canonical, key_id, unb64, verify
from ncbnet.base.node import HUB, keys, role
from ncbnet.config import member_codes

from . import delivery
from . import processes as process_status
from .models import NodeKey, fingerprint
from .processes import Reading as ProcessReading
from .signals import node_joined, node_rekeyed

DIRECTORY_KIND = "ncbnet.key-directory"
DIRECTORY_ENVELOPE = "directory"  # the envelope type that carries it (network.directory)
DIRECTORY_VERSION = 1
ROTATION_KIND = "ncbnet.key-rotation"


class DirectoryInvalid(Exception):
    pass


def _require_hub() -> None:
    if not role().keeps_directory:
        raise PermissionDenied("Only the hub keeps the key directory.")


def _raw_key(field: str, value: Any) -> bytes:
    try:
        raw = unb64(str(value))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({field: "not base64"}) from exc
    if len(raw) != 32:
        raise ValidationError({field: "must be a 32-byte public key"})
    return raw


def rotation_statement(node: str, previous_key_id: str, new: Mapping[str, Any]) -> bytes:
    """What a node's previous key signs when it hands over to a new one: both ids and the new
    public keys (signing and encryption: neither can be swapped under the signature)."""
    return canonical(
        {
            "kind": ROTATION_KIND,
            "node": node,
            "previous_key_id": previous_key_id,
            "key_id": new["key_id"],
            "signing_public": new["signing_public"],
            "encryption_public": new["encryption_public"],
        }
    )


def sign_rotation(store: KeyStore, previous_key_id: str, new: PublicIdentity) -> dict[str, str]:
    """On the rotating node: sign the new keys with the previous one; kept beside the new key
    (`keys/<id>/rotation.json`) so that `ncbnet keys show` can print it again."""
    statement = rotation_statement(new.node, previous_key_id, new.as_dict())
    rotation = {
        "previous_key_id": previous_key_id,
        "signature": b64(store.signing_key(previous_key_id).sign(statement)),
    }
    (store.root / new.key_id / "rotation.json").write_text(json.dumps(rotation, indent=2) + "\n")
    return rotation


def public_file(store: KeyStore) -> dict[str, Any]:
    """This node's current public keys as the hub registers them, with the rotation signature
    when the key replaced another, and the fingerprint for comparing out of band."""
    identity = store.public()
    out: dict[str, Any] = dict(identity.as_dict())
    rotation = store.root / identity.key_id / "rotation.json"
    if rotation.exists():
        out["rotation"] = json.loads(rotation.read_text("utf-8"))
    out["fingerprint"] = fingerprint(identity.signing_public)
    return out


def rotation_verifies(previous_signing_public: str, node: str, previous_key_id: str, new: Any) -> bool:
    """Whether `new` (a directory entry or a registration) carries the previous key's signature."""
    signature = getattr(new, "rotation_signature", None)
    if not signature:
        return False
    fields = {k: getattr(new, k) for k in ("key_id", "signing_public", "encryption_public")}
    return verify(previous_signing_public, signature, rotation_statement(node, previous_key_id, fields))


@dataclass(frozen=True)
class _Registration:
    key_id: str
    signing_public: str
    encryption_public: str
    rotation_signature: str


def register(actor: Person | None, public: dict[str, Any]) -> NodeKey:
    """Add a node's new public keys; the node's previous active key is retired (rotation).

    A node that has an active key must sign its new one with it (`ncbnet keys rotate` does, and
    prints the file to register); if that key is lost or compromised, revoke it first, with the
    reason. A node's first key, or its first after a revocation, needs no such signature."""
    _require_hub()
    node = str(public.get("node", ""))
    if node != "hub" and node not in member_codes():
        raise ValidationError({"node": f"unknown node {node!r}: 'hub' or a member country code"})
    signing = _raw_key("signing_public", public.get("signing_public"))
    _raw_key("encryption_public", public.get("encryption_public"))
    kid = key_id(signing)
    if public.get("key_id") not in (None, kid):
        raise ValidationError({"key_id": "does not match the signing key"})
    rotation = public.get("rotation")
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
        active = NodeKey.objects.select_for_update().filter(node=node, status=NodeKey.Status.ACTIVE).first()
        previous, signature = "", ""
        if active is not None:
            given = rotation if isinstance(rotation, dict) else {}
            signature = str(given.get("signature") or "")
            claim = _Registration(
                kid, str(public["signing_public"]), str(public["encryption_public"]), signature
            )
            if given.get("previous_key_id") != active.key_id or not rotation_verifies(
                active.signing_public, node, active.key_id, claim
            ):
                raise ValidationError(
                    {
                        "rotation": f"a new key for {node} must be signed by its current key {active.key_id} "
                        "(`ncbnet keys rotate` makes that signature); if that key is lost or compromised, "
                        "revoke it first, with the reason"
                    }
                )
            previous = active.key_id
            active.status, active.retired_at = NodeKey.Status.RETIRED, now
            active.save(update_fields=["status", "retired_at"])
            audit.record("keys.retire", actor=actor, target=active, subject=node)
        key = NodeKey.objects.create(
            node=node,
            key_id=kid,
            signing_public=public["signing_public"],
            encryption_public=public["encryption_public"],
            valid_from=now,
            previous_key_id=previous,
            rotation_signature=signature,
            seen_at=now,
        )
        audit.record(
            "keys.register",
            actor=actor,
            target=key,
            subject=node,
            detail={"key_id": kid, "previous": previous, "fingerprint": key.fingerprint},
        )
        _push_directory()
        if first_key:
            node_joined.send(sender=NodeKey, node=node)
        else:
            node_rekeyed.send(sender=NodeKey, node=node)
    return key


def revoke(actor: Person | None, kid: str, reason: str) -> NodeKey:
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
    if keys().exists:
        push_directory()


def push_directory() -> str | None:
    """Hub: send the signed directory to every connected node (inside the caller's transaction)."""
    nodes = [n for n in delivery.connected_nodes() if n != HUB]
    if not nodes:
        return None
    return delivery.queue(DIRECTORY_ENVELOPE, nodes, signed_directory(keys()), confidential=False)


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


@dataclass(frozen=True)
class KeyChange:
    """One change of a peer's keys that a new directory brings, as the node audits it."""

    action: str  # added, rotated, rekeyed (no previous signature: after a revocation), retired, revoked
    node: str
    key_id: str
    fingerprint: str
    previous: str = ""
    reason: str = ""


def directory_changes(known: Iterable[Any], entries: Iterable[Any]) -> list[KeyChange]:
    """What a new directory changes in this node's copy, or DirectoryInvalid saying why the node
    refuses it. `known` and `entries` are keys with NodeKey's fields (rows, directory entries).

    Refused: a key dropped, a key whose public keys or node change under its id, an id that is not
    its key's, a key going back (revoked or retired to active, revoked to retired), two active keys
    for one node, and a new key for a node this node knows that its previous key did not sign,
    unless that previous key is revoked (a revocation, with its reason, is the hub's alone).
    A node this node does not know yet is taken as it comes (its first key, or keys)."""
    before = {k.key_id: k for k in known}
    after: dict[str, Any] = {}
    for e in entries:
        if e.key_id in after:
            raise DirectoryInvalid(f"key {e.key_id} is listed twice")
        after[e.key_id] = e
        try:
            computed = key_id(unb64(e.signing_public))
        except (binascii.Error, ValueError) as exc:
            raise DirectoryInvalid(f"key {e.key_id} of {e.node} is not a public key") from exc
        if computed != e.key_id:
            raise DirectoryInvalid(f"key id {e.key_id} of {e.node} is not its signing key's")
    actives: dict[str, str] = {}
    for e in after.values():
        if e.status == NodeKey.Status.ACTIVE and actives.setdefault(e.node, e.key_id) != e.key_id:
            raise DirectoryInvalid(f"{e.node} has two active keys")
    changes: list[KeyChange] = []
    moves = {("active", "retired"), ("active", "revoked"), ("retired", "revoked")}
    for kid, k in before.items():
        e = after.get(kid)
        if e is None:
            raise DirectoryInvalid(f"the directory drops key {kid} of {k.node}")
        fields = ("node", "signing_public", "encryption_public")
        if (
            any(getattr(k, f) != getattr(e, f) for f in fields)
            or (k.previous_key_id or None) != (e.previous_key_id or None)
            or (k.rotation_signature or None) != (e.rotation_signature or None)
        ):
            raise DirectoryInvalid(f"the directory changes key {kid} of {k.node} under the same id")
        if k.status != e.status:
            if (k.status, e.status) not in moves:
                raise DirectoryInvalid(f"key {kid} of {k.node} cannot go from {k.status} to {e.status}")
            reason = (e.revocation_reason or "") if e.status == NodeKey.Status.REVOKED else ""
            changes.append(KeyChange(e.status, e.node, kid, fingerprint(e.signing_public), reason=reason))
    known_nodes = {k.node for k in before.values()}
    new = sorted((e for kid, e in after.items() if kid not in before), key=lambda e: (e.node, e.valid_from))
    for node in sorted({e.node for e in new}):
        local = [k for k in before.values() if k.node == node and k.status == NodeKey.Status.ACTIVE]
        last = local[0] if local else None
        for e in (e for e in new if e.node == node):
            signed = (
                last is not None
                and e.previous_key_id == last.key_id
                and rotation_verifies(last.signing_public, node, last.key_id, e)
            )
            if e.rotation_signature and not signed and (last is not None or node in known_nodes):
                raise DirectoryInvalid(f"the rotation signature of {node}'s key {e.key_id} does not verify")
            if signed:
                action = "rotated"
            elif node not in known_nodes:
                action = "added"
            elif last is None or after[last.key_id].status == NodeKey.Status.REVOKED:
                action = "rekeyed"
            else:
                raise DirectoryInvalid(
                    f"the directory gives {node} a new key {e.key_id} that its key {last.key_id} did not sign"
                )
            changes.append(
                KeyChange(
                    action,
                    node,
                    e.key_id,
                    fingerprint(e.signing_public),
                    previous=last.key_id if last is not None else "",
                )
            )
            last = e
    return changes


def directory_listing(actor: Person | None) -> list[NodeKey]:
    """This node's copy of the directory, for comparing fingerprints out of band (audited)."""
    with transaction.atomic():
        audit.record("keys.directory_read", actor=actor)
    return _described(NodeKey.objects.order_by("node", "-valid_from"))


def _described(rows: Iterable[NodeKey]) -> list[NodeKey]:
    """The keys with how each came: signed by the key before it, a node's first, or neither."""
    out = list(rows)
    first: dict[str, str] = {}
    for k in sorted(out, key=lambda k: k.valid_from):
        first.setdefault(k.node, k.key_id)
    for k in out:
        k.introduced = (  # type: ignore[attr-defined]
            "rotation" if k.rotation_signature else "first" if first[k.node] == k.key_id else "unsigned"
        )
    return out


def status(actor: Person) -> dict[str, Any]:
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
        "keys": _described(NodeKey.objects.order_by("node", "-valid_from")),
    }


def processes() -> ProcessReading:
    """This node's processes as `ncbnet up` last wrote them in the node's data directory (pid,
    start, restarts, last exit), or nothing when the node is not run under `ncbnet up`. Read
    bounded and validated: see network/processes.py."""
    return process_status.read(process_status.status_path(settings.DATA_DIR))
