"""Regional groups, joint operations and their results.

A group a member defines is kept on the node that defines it (the GS regional bureaus and their
countries come from the registry and are not kept here). An operation is owned by its coordinator
node, which sends every participant its copy; each participant reports its own results, which go
to the coordinator and every other participant. A result reported by two countries is matched and
counted once (see `services.operations.dedup`)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["OPERATION_STEPS", "Group", "Operation", "OperationResult", "OperationState", "ResultKind"]


class Group(models.Model):
    """A group of member countries a bureau (or the GS) defines, e.g. a regional police chiefs'
    organisation."""

    code = models.SlugField(max_length=48, primary_key=True)
    name = models.CharField(max_length=200)
    members = models.JSONField(default=list)  # sorted country codes
    defined_by = models.CharField(max_length=8)  # node id
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return f"group:{self.code}"


class OperationState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    FINISHED = "finished", _("Finished")


# An operation only moves forward: planned → active → finished.
OPERATION_STEPS: dict[str, int] = {
    OperationState.PLANNED: 0,
    OperationState.ACTIVE: 1,
    OperationState.FINISHED: 2,
}


class Operation(models.Model):
    id = models.UUIDField(primary_key=True)  # UUIDv7, the same on every participant's node
    code_name = models.CharField(max_length=100)
    series = models.CharField(max_length=100, blank=True)
    coordinator = models.CharField(max_length=8)  # the node that owns it
    coordinating_body = models.CharField(max_length=300, blank=True)
    participants = models.JSONField(default=list)  # sorted country codes
    group = models.CharField(max_length=64, blank=True)  # the group it was scoped to, if any
    agencies = models.JSONField(default=list)  # [{"country", "agency", "contact"}]
    period_start = models.DateField()
    period_end = models.DateField()
    operational_hub = models.CharField(max_length=200, blank=True)
    target_crime = models.CharField(max_length=300)
    commodities = models.JSONField(default=list)  # ["medicines", "counterfeit goods", …]
    tools = models.JSONField(default=list)  # ["database searches", "hits", …]
    state = models.CharField(max_length=10, choices=OperationState.choices, default=OperationState.PLANNED)
    version = models.PositiveIntegerField(default=1)  # each update the coordinator sends is newer
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-period_start", "-created_at"]

    def __str__(self) -> str:
        return f"{self.code_name} ({self.coordinator}, {self.state})"

    def takes_part(self, node: str) -> bool:
        """The coordinator and the participants are in the operation."""
        return node == self.coordinator or node in self.participants

    @property
    def reporting(self) -> bool:
        """Results are reported while it runs, and late ones after it ends; not before it starts."""
        return self.state != OperationState.PLANNED


class ResultKind(models.TextChoices):
    ARREST = "arrest", _("Arrest")
    SEIZURE = "seizure", _("Seizure")
    INVESTIGATION = "investigation", _("Investigations opened")
    SITE_CLOSED = "site_closed", _("Sites closed")
    VICTIM = "victim", _("Victims safeguarded")


class OperationResult(models.Model):
    """One result a participant reported. Its id is chosen by the reporter (UUIDv7), the same on
    every node; `duplicate_of` is computed on each node from the same rule, so every node agrees."""

    id = models.UUIDField(primary_key=True)
    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="results")
    reported_by = models.CharField(max_length=8)  # node id
    reporter_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=14, choices=ResultKind.choices)
    # The crime category (a level-2 ICCS code, `base.iccs`), or "": set by the reporting bureau
    # when it reports the result, and counted with it in the figures
    iccs = models.CharField(max_length=4, blank=True, default="")
    # An arrest
    person_name = models.CharField(max_length=300, blank=True)
    date_of_birth = models.CharField(max_length=10, blank=True)  # may be partial: YYYY or YYYY-MM
    nationality = models.CharField(max_length=2, blank=True)
    notice_subject = models.BooleanField(default=False)
    notice_id = models.CharField(max_length=64, blank=True)
    # A seizure
    commodity = models.CharField(max_length=100, blank=True)
    quantity = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    value_usd = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    # Investigations opened, sites closed, victims safeguarded
    count = models.PositiveIntegerField(default=1)
    place = models.CharField(max_length=200, blank=True)
    date = models.DateField()
    note = models.TextField(blank=True)
    reported_at = models.DateTimeField()
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )

    class Meta:
        ordering: ClassVar = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.operation_id}: {self.kind} by {self.reported_by}"
