"""The append-only, hash-chained audit log of one node."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from ncbnet.base.chain import GENESIS, AuditEntry, ChainHead

__all__ = ["GENESIS", "AnchoredSeal", "AuditEntry", "ChainHead", "ChainSeal"]


class ChainSeal(models.Model):
    """The node's signature over its chain head at a moment: later proof the log was not rewritten."""

    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=100)

    class Meta:
        ordering: ClassVar = ["seq"]

    def __str__(self) -> str:
        return f"seal #{self.seq}"

    def signed_content(self, node: str) -> dict[str, Any]:
        return {
            "node": node,
            "seq": self.seq,
            "hash": self.hash,
            "sealed_at": self.sealed_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        }


class AnchoredSeal(models.Model):
    """At the hub: a seal a node sent over the network. A node that rewrote its log and its own
    seals still disagrees with these."""

    node = models.CharField(max_length=8)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=100)
    received_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["node", "seq"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["node", "seq"], name="one_anchor_per_seal")]

    def __str__(self) -> str:
        return f"{self.node} seal #{self.seq}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "seq": self.seq,
            "hash": self.hash,
            "sealed_at": self.sealed_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "key_id": self.key_id,
            "signature": self.signature,
        }
