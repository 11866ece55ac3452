"""The audit chain's tables: the append-only, hash-chained log every node keeps, and its head.

They live in the base layer, beside `base.audit.record()` that writes them, so that every layer can
audit without importing an app. They keep the `audit` app label (and its migrations): the audit
app holds the chain's pages, verification and seals, and re-exports these models for Django.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

GENESIS = "0" * 64


class AuditEntry(models.Model):
    """One audited event. Its hash covers the previous entry's hash and its own canonical content.

    Entries are never updated or deleted: the model refuses it and database triggers refuse it.
    """

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    node = models.CharField(max_length=8)
    actor = models.CharField(max_length=150)
    actor_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    subject = models.CharField(max_length=150, blank=True, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict)
    ip = models.CharField(max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        app_label = "audit"
        ordering: ClassVar = ["seq"]
        indexes: ClassVar = [
            models.Index(fields=["action", "subject", "at"], name="audit_action_subject_at"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit entries are append-only")

    def content(self) -> dict[str, Any]:
        """Everything the hash covers, in a form that round-trips through every database."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "node": self.node,
            "actor": self.actor,
            "actor_id": self.actor_id,
            "action": self.action,
            "subject": self.subject,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "detail": self.detail,
            "ip": self.ip,
        }


class ChainHead(models.Model):
    """The single row naming the newest entry; locking it serializes appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        app_label = "audit"

    def __str__(self) -> str:
        return f"head #{self.seq}"
