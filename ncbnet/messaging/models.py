"""Messages between bureaus (and the GS), with each recipient's delivery status."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    FLASH = "flash", _("Flash")


class Handling(models.TextChoices):
    H0 = "H0", _("H0 — use only to prevent and combat crime")
    H1 = "H1", _("H1 — not for court without the sender's permission")
    H2 = "H2", _("H2 — no onward sharing without the sender's permission")
    H3 = "H3", _("H3 — other restriction (stated)")


class SourceReliability(models.TextChoices):
    A = "A", _("A — completely reliable")
    B = "B", _("B — usually reliable")
    C = "C", _("C — fairly reliable")
    D = "D", _("D — not usually reliable")
    X = "X", _("X — cannot be judged")


class InformationAccuracy(models.TextChoices):
    ONE = "1", _("1 — known to be true without reservation")
    TWO = "2", _("2 — known personally to the source")
    THREE = "3", _("3 — not known personally, corroborated")
    FOUR = "4", _("4 — cannot be judged")


class Message(models.Model):
    """One message as this node holds it: sent from here (out) or received here (in)."""

    class Direction(models.TextChoices):
        OUT = "out", _("Sent")
        IN = "in", _("Received")

    id = models.UUIDField(primary_key=True)  # the same on every node that holds the message
    thread_id = models.UUIDField(db_index=True)
    in_reply_to = models.UUIDField(null=True, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    sender_node = models.CharField(max_length=8)
    sender_name = models.CharField(max_length=200)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipients = models.JSONField()  # node ids the message was addressed to (GS copy as "hub")
    gs_copy = models.BooleanField(default=False)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.ROUTINE)
    handling = models.CharField(max_length=2, choices=Handling.choices)
    handling_note = models.CharField(max_length=500, blank=True)
    source_reliability = models.CharField(max_length=1, choices=SourceReliability.choices)
    information_accuracy = models.CharField(max_length=1, choices=InformationAccuracy.choices)
    references = models.JSONField(default=list)  # [{"kind": "record"|"notice"|"case", "id": "…"}]
    created_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [models.Index(fields=["direction", "-created_at"], name="message_box")]

    def __str__(self) -> str:
        return f"{self.sender_node}: {self.subject}"

    @property
    def alerting(self) -> bool:
        return self.priority in (Priority.URGENT, Priority.FLASH)

    @property
    def restricted(self) -> bool:
        """H2 and H3: the content is shown only to people and to tokens with the `restricted` scope."""
        return self.handling in (Handling.H2, Handling.H3)

    @property
    def parties(self) -> set[str]:
        """The original sender and recipients (node ids; "hub" for the GS in copy)."""
        return {self.sender_node, *self.recipients}


class Delivery(models.Model):
    """For a message sent from this node: where it stands with one recipient."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")

    RANK: ClassVar[dict[str, int]] = {"queued": 0, "delivered": 1, "read": 2}

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    node = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # when this node learned the status

    class Meta:
        ordering: ClassVar = ["node"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["message", "node"], name="one_delivery_per_node")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.node}: {self.status}"


class Attachment(models.Model):
    """A file sent with a message; it travels in checksummed chunks of its own envelopes."""

    id = models.UUIDField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    chunks = models.PositiveIntegerField()
    complete = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes)"


class AttachmentChunk(models.Model):
    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering: ClassVar = ["index"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["attachment", "index"], name="one_chunk_per_index")
        ]

    def __str__(self) -> str:
        return f"{self.attachment_id} #{self.index}"
