"""A case: a cross-border investigation created by one bureau and shared with the participating
bureaus, each with a permission (read, contribute, manage). Each participant's node keeps its own
copy (the same ids everywhere); what a copy holds arrives sealed to the participants only. The
status moves only along `CASE_TRANSITIONS`; the services save, audit and tell the participants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CASE_TRANSITIONS",
    "MAX_ENTRY_FILE_BYTES",
    "Case",
    "CaseEntry",
    "CaseParticipant",
    "CaseStatus",
    "CaseTask",
    "EntryKind",
    "Permission",
    "Severity",
    "TaskState",
]

# A file travels inside its entry's envelope.
MAX_ENTRY_FILE_BYTES = 2 * 1024 * 1024


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


CASE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.OPEN: (CaseStatus.ACTIVE, CaseStatus.CLOSED),
    CaseStatus.ACTIVE: (CaseStatus.SUSPENDED, CaseStatus.CLOSED),
    CaseStatus.SUSPENDED: (CaseStatus.ACTIVE, CaseStatus.CLOSED),
    CaseStatus.CLOSED: (),
}


class Permission(models.TextChoices):
    READ = "read", _("Read")
    CONTRIBUTE = "contribute", _("Contribute")
    MANAGE = "manage", _("Manage")


RANK = {Permission.READ: 1, Permission.CONTRIBUTE: 2, Permission.MANAGE: 3}


class EntryKind(models.TextChoices):
    NOTE = "note", _("Note")
    MESSAGE = "message", _("Message")
    REQUEST = "request", _("Request")
    HIT = "hit", _("Hit")
    RECORD = "record", _("Record")
    NOTICE = "notice", _("Notice")
    ATTACHMENT = "attachment", _("Attachment")


# The kinds of entry that link to something by its id.
LINKING = frozenset({EntryKind.REQUEST, EntryKind.HIT, EntryKind.RECORD, EntryKind.NOTICE})


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


TASK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    TaskState.OPEN: (TaskState.DONE, TaskState.CANCELLED),
    TaskState.DONE: (),
    TaskState.CANCELLED: (),
}


class Case(models.Model):
    id = models.UUIDField(primary_key=True)  # the same on every participant's node
    owner = models.CharField(max_length=8)  # the node that created it
    created_by = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    outcome = models.TextField(blank=True)
    template = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(db_index=True)
    # The first action by a participant other than the owner, as this node learns it.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    # When this node's officers last read the case page (what is new is after it).
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return None if self.acknowledged_at is None else self.acknowledged_at - self.created_at

    @property
    def time_to_resolve(self) -> timedelta | None:
        return None if self.closed_at is None else self.closed_at - self.created_at

    @property
    def closed(self) -> bool:
        return self.status == CaseStatus.CLOSED

    def permission_of(self, node: str) -> str | None:
        found = self.participants.filter(node=node).first()
        return None if found is None else found.permission

    def allows(self, node: str, needed: str) -> bool:
        """Whether `node` holds at least the permission `needed` in this copy."""
        held = self.permission_of(node)
        return held is not None and RANK[Permission(held)] >= RANK[Permission(needed)]

    def move(self, to: str, at: datetime, outcome: str = "") -> str:
        if to not in CASE_TRANSITIONS[self.status]:
            raise ValidationError(
                {
                    "status": _("A case that is %(state)s cannot become %(to)s.")
                    % {"state": CaseStatus(self.status).label.lower(), "to": CaseStatus(to).label.lower()}
                }
            )
        if to == CaseStatus.CLOSED:
            if not outcome.strip():
                raise ValidationError({"outcome": _("Say how the case ended.")})
            self.outcome, self.closed_at = outcome.strip(), at
        before, self.status = self.status, to
        return str(before)

    def acknowledge(self, node: str, at: datetime) -> None:
        """Note the first action of a participant other than the owner."""
        if node != self.owner and self.acknowledged_at is None:
            self.acknowledged_at = at

    def open_mandatory_tasks(self) -> list[CaseTask]:
        return list(self.tasks.filter(mandatory=True, state=TaskState.OPEN))


class CaseParticipant(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    node = models.CharField(max_length=8)
    permission = models.CharField(max_length=10, choices=Permission.choices)
    added_at = models.DateTimeField()
    added_by = models.CharField(max_length=200)

    class Meta:
        ordering: ClassVar = ["node"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["case", "node"], name="case_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.node}: {self.permission}"


class CaseEntry(models.Model):
    """One entry of a case's timeline, as its author's node wrote it (the same id everywhere)."""

    id = models.UUIDField(primary_key=True)  # chosen by its author
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    text = models.TextField(blank=True)
    ref = models.CharField(max_length=64, blank=True)  # the id of what it links
    author_name = models.CharField(max_length=200)
    author_node = models.CharField(max_length=8)
    at = models.DateTimeField(db_index=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    file_data = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind} by {self.author_node}"


class CaseTask(models.Model):
    id = models.UUIDField(primary_key=True)  # chosen by the node that created it
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=300)
    assignee_node = models.CharField(max_length=8, blank=True)
    assignee_name = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    mandatory = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    created_by_node = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    log = models.JSONField(default=list)  # [{"at", "by", "node", "text"}]

    class Meta:
        ordering: ClassVar = ["state", "due_at", "created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"

    def overdue(self, now: datetime) -> bool:
        return self.state == TaskState.OPEN and self.due_at is not None and self.due_at < now

    def time_left(self, now: datetime) -> timedelta | None:
        if self.state != TaskState.OPEN or self.due_at is None:
            return None
        return self.due_at - now

    def move(self, to: str) -> None:
        if to != self.state and to not in TASK_TRANSITIONS[self.state]:
            raise ValidationError(
                {
                    "state": _("A task that is %(state)s cannot become %(to)s.")
                    % {"state": TaskState(self.state).label.lower(), "to": TaskState(to).label.lower()}
                }
            )
        self.state = to

    def note(self, at: datetime, by: str, node: str, text: str) -> None:
        item: dict[str, Any] = {"at": at.isoformat(), "by": by, "node": node, "text": text}
        self.log = [*self.log, item]
