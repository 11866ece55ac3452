"""The key directory: every node's public keys, kept by the hub and published signed."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


def fingerprint(signing_public: str) -> str:
    """A key as people compare it out of band (read aloud, on paper): the SHA-256 of the raw
    Ed25519 signing key, in sixteen groups of four hex digits."""
    try:
        raw = base64.b64decode(signing_public.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return "—"
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 64, 4))


class NodeKey(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        RETIRED = "retired", "retired"  # replaced by a newer key; still verifies what it signed before
        REVOKED = "revoked", "revoked"  # compromised or withdrawn: verifies nothing

    node = models.CharField(max_length=8)  # "hub" or an ISO 3166-1 alpha-2 code
    key_id = models.CharField(max_length=32, unique=True)
    signing_public = models.CharField(max_length=64)
    encryption_public = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    valid_from = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    # A rotation: the node's key before this one, and its signature over this key
    # (`services.rotation_statement`), which every node checks before it takes this key.
    previous_key_id = models.CharField(max_length=32, blank=True)
    rotation_signature = models.CharField(max_length=128, blank=True)
    # When this node first learnt of the key (at the hub: when it was registered).
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["node", "valid_from"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["node"], condition=models.Q(status="active"), name="one_active_key_per_node"
            )
        ]

    def __str__(self) -> str:
        return f"{self.node} {self.key_id} ({self.status})"

    def as_entry(self) -> dict[str, str | None]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None

        return {
            "node": self.node,
            "key_id": self.key_id,
            "signing_public": self.signing_public,
            "encryption_public": self.encryption_public,
            "status": self.status,
            "valid_from": iso(self.valid_from),
            "retired_at": iso(self.retired_at),
            "revoked_at": iso(self.revoked_at),
            "revocation_reason": self.revocation_reason or None,
            "previous_key_id": self.previous_key_id or None,
            "rotation_signature": self.rotation_signature or None,
        }

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signing_public)


class OutboxEnvelope(models.Model):
    """An envelope queued in the same transaction as what it carries; the worker publishes it."""

    envelope_id = models.CharField(max_length=36, unique=True)
    kind = models.CharField(max_length=32)
    recipients = models.JSONField()
    payload = models.BinaryField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # After a failed publish, not tried again before this (each row on its own backoff, so one
    # envelope that cannot be published never holds back the rest).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["id"]
        # The rows still to publish, which the worker looks for every OUTBOX_IDLE: however many
        # sent rows the table keeps, that look stays an index probe.
        indexes: ClassVar = [
            models.Index(fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_unsent")
        ]

    def __str__(self) -> str:
        return f"outbox {self.envelope_id} ({self.kind})"


class InboxEnvelope(models.Model):
    """An accepted envelope: its id is remembered so that a replay is refused and a redelivery ignored."""

    envelope_id = models.CharField(max_length=36, unique=True)
    kind = models.CharField(max_length=32)
    sender = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    received_at = models.DateTimeField()
    stream_seq = models.BigIntegerField()

    class Meta:
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return f"inbox {self.envelope_id} from {self.sender}"


class Quarantine(models.Model):
    """An envelope refused on arrival, kept as it came, with the reason. The network administrator
    retries it (its parent arrived later, a fault was fixed) or drops it; both are audited."""

    class Source(models.TextChoices):
        INBOX = "inbox", _("this node's inbox")  # refused by this node's inbox
        RELAY = "relay", _("the hub's relay")  # refused by the hub's relay
        # At the hub: an envelope a node's inbox consumer gave up on (`publisher` names the node);
        # a retry puts it in that inbox again.
        DELIVERY = "delivery", _("delivery to a node's inbox")

    class State(models.TextChoices):
        HELD = "held", _("Held")
        RELEASED = "released", _("Released")  # a retry let it through
        DROPPED = "dropped", _("Dropped")

    received_at = models.DateTimeField(db_index=True)
    reason = models.TextField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.INBOX)
    publisher = models.CharField(max_length=8, blank=True)  # relay: the node whose subject carried it
    dead = models.BooleanField(default=False)  # handled too many times without success
    claimed_id = models.CharField(max_length=64, blank=True)
    claimed_type = models.CharField(max_length=64, blank=True)
    claimed_sender = models.CharField(max_length=16, blank=True)
    stream_seq = models.BigIntegerField(null=True, blank=True)
    raw = models.BinaryField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.HELD, db_index=True)
    retries = models.PositiveIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering: ClassVar = ["-id"]

    def __str__(self) -> str:
        return f"quarantined {self.claimed_id}: {self.reason}"

    @property
    def held(self) -> bool:
        return self.state == self.State.HELD


class RelayedEnvelope(models.Model):
    """At the hub: an envelope relayed between nodes, kept as it travelled (sealed bodies stay sealed)."""

    envelope_id = models.CharField(max_length=36, unique=True)
    kind = models.CharField(max_length=32)
    sender = models.CharField(max_length=8)
    recipients = models.JSONField()
    created_at = models.DateTimeField()
    relayed_at = models.DateTimeField()
    relay_seq = models.BigIntegerField()
    raw = models.BinaryField()

    class Meta:
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return f"relayed {self.envelope_id} {self.sender}→{','.join(self.recipients)}"
