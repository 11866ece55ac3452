"""The key directory: every node's public keys, kept by the hub and published signed."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.db import models


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
        }
