"""The national side of a bureau, both ways: tasks the NCB gives its national agencies (police,
border, customs) on a request, a hit or a case, and the agencies' requests to their NCB for
international help. Everything here stays on this node; the state moves only along
`Task.TRANSITIONS` and `HelpRequest.TRANSITIONS`, the services save and audit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext_lazy as _

from ncbnet.base import clock

from .files import StoredFile
from .requests import Request

__all__ = ["HelpRequest", "Task", "TaskEvent", "TaskFile"]


class Task(models.Model):
    """An action the NCB asks one of its national agencies to take, with its due date."""

    class Parent(models.TextChoices):
        REQUEST = "request", _("Request")
        HIT = "hit", _("Hit")
        CASE = "case", _("Case")

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("In progress")
        ANSWERED = "answered", _("Answered")
        DECLINED = "declined", _("Declined")

    OPEN: ClassVar[tuple[str, ...]] = (State.ASSIGNED, State.ACKNOWLEDGED, State.IN_PROGRESS)
    TRANSITIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        State.ASSIGNED: (State.ACKNOWLEDGED, State.IN_PROGRESS, State.ANSWERED, State.DECLINED),
        State.ACKNOWLEDGED: (State.IN_PROGRESS, State.ANSWERED, State.DECLINED),
        State.IN_PROGRESS: (State.IN_PROGRESS, State.ANSWERED, State.DECLINED),  # each report
        State.ANSWERED: (),
        State.DECLINED: (),
    }

    id = models.UUIDField(primary_key=True)
    parent_kind = models.CharField(max_length=8, choices=Parent.choices)
    parent_id = models.UUIDField()
    parent_title = models.CharField(max_length=300)  # what the parent was, as it was tasked
    parent_due_at = models.DateTimeField(null=True, blank=True)
    agency = models.ForeignKey("core.Agency", on_delete=models.PROTECT, related_name="cooperation_tasks")
    action = models.CharField(max_length=300)
    legal_basis = models.CharField(max_length=500)
    details = models.TextField()
    due_at = models.DateTimeField()
    late_for_parent = models.BooleanField(default=False)  # due after the parent's deadline
    state = models.CharField(max_length=12, choices=State.choices, default=State.ASSIGNED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.TextField(blank=True)
    decline_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)  # answered or declined
    alerted_at = models.DateTimeField(null=True, blank=True)  # the overdue alert, raised once
    updated_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["due_at"]
        indexes: ClassVar = [
            models.Index(fields=["parent_kind", "parent_id"], name="task_parent"),
            models.Index(fields=["state", "due_at"], name="task_due"),
        ]

    def __str__(self) -> str:
        return f"{self.action} → {self.agency_id} ({self.state})"

    @property
    def open(self) -> bool:
        return self.state in self.OPEN

    def time_left(self, now: datetime) -> timedelta | None:
        return self.due_at - now if self.open else None

    def overdue(self, now: datetime) -> bool:
        return self.open and self.due_at < now

    @property
    def overdue_now(self) -> bool:
        """Open and past its due date on the node's clock (for the pages)."""
        return self.overdue(clock.now())

    @property
    def due_in_words(self) -> str:
        """How long is left, or how long it is overdue, in words, on the node's clock."""
        now = clock.now()
        return timesince(self.due_at, now) if self.due_at < now else timeuntil(self.due_at, now)

    def move(self, to: str) -> str:
        if to not in self.TRANSITIONS[self.state]:
            raise ValidationError(
                {
                    "state": _("A task that is %(state)s cannot become %(to)s.")
                    % {"state": Task.State(self.state).label.lower(), "to": Task.State(to).label.lower()}
                }
            )
        before, self.state = self.state, to
        return str(before)


class TaskEvent(models.Model):
    """One line of a task's log: who did what, when, with the text of the report."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        PROGRESS = "progress", _("Progress report")
        ANSWERED = "answered", _("Answered")
        DECLINED = "declined", _("Declined")

    id = models.UUIDField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_name = models.CharField(max_length=200)
    text = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.kind} by {self.by_name}"


class TaskFile(StoredFile):
    """Evidence an agency sent with a report or an answer (or the officer with the task)."""

    id = models.UUIDField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="files")
    event = models.ForeignKey(TaskEvent, on_delete=models.CASCADE, related_name="files")


class HelpRequest(models.Model):
    """A national agency asks its NCB for international help, or passes on information received
    from the public about an international case; the NCB's officer sends it abroad as requests or
    returns it with a reason."""

    class Kind(models.TextChoices):
        HELP = "help", _("Request for international help")
        PUBLIC_INFORMATION = "public_information", _("Information received from the public")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted to the NCB")
        RETURNED = "returned", _("Returned by the NCB")
        SENT = "sent", _("Sent abroad")

    TRANSITIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        State.SUBMITTED: (State.RETURNED, State.SENT),
        State.RETURNED: (),
        State.SENT: (),
    }

    id = models.UUIDField(primary_key=True)
    agency = models.ForeignKey("core.Agency", on_delete=models.PROTECT, related_name="help_requests")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.HELP)
    title = models.CharField(max_length=300)
    details = models.TextField()
    subjects = models.JSONField(default=list)  # the requests' Subject dicts
    countries = models.JSONField(default=list)  # country codes (or "hub")
    purpose = models.CharField(max_length=1000)
    legal_basis = models.CharField(max_length=500)
    urgent = models.BooleanField(default=False)
    urgency_ground = models.CharField(max_length=16, blank=True)  # requests.UrgencyGround
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUBMITTED)
    return_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    requests = models.ManyToManyField(Request, blank=True, related_name="help_requests")
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.title} ({self.state})"

    def move(self, to: str) -> str:
        if to not in self.TRANSITIONS[self.state]:
            raise ValidationError(
                {
                    "state": _("A help request that is %(state)s cannot be %(to)s.")
                    % {
                        "state": HelpRequest.State(self.state).label.lower(),
                        "to": HelpRequest.State(to).label.lower(),
                    }
                }
            )
        before, self.state = self.state, to
        return str(before)
