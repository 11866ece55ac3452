"""A hit report: a screening result that matched a record, to be confirmed by the record's owner
before anyone acts on it. The same report (same id) is kept by the bureau that screened, the owner
and the GS, each with its own view of the deadline."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    AWAITING = "awaiting", _("Possible match: awaiting confirmation by the owner")
    CONFIRMED = "confirmed", _("Confirmed by the owner")
    DENIED = "denied", _("Not a match, says the owner")


class Escalation(models.IntegerChoices):
    NONE = 0, _("On time")
    REMINDED = 1, _("Overdue: the owner was reminded")
    HEAD = 2, _("Overdue: escalated to the owner's head of NCB")
    GS = 3, _("Overdue: escalated to the General Secretariat")


class HitReport(models.Model):
    id = models.UUIDField(primary_key=True)
    record_id = models.UUIDField()
    database = models.CharField(max_length=10)
    label = models.CharField(max_length=300)
    owner = models.CharField(max_length=2)
    found_by = models.CharField(max_length=8)  # the screening bureau's country, or "GS"
    found_by_node = models.CharField(max_length=8)  # where answers go: a country code or "hub"
    officer = models.CharField(max_length=150)
    context = models.JSONField(default=dict)  # why and where the screening happened
    query = models.JSONField(default=dict)
    score = models.FloatField()
    explanation = models.JSONField(default=list)
    urgent = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.AWAITING)
    escalation = models.PositiveSmallIntegerField(choices=Escalation.choices, default=Escalation.NONE)
    found_at = models.DateTimeField()
    received_at = models.DateTimeField()  # when this node learnt of it
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)  # on the screening node: handed to the network
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    answer = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["-found_at"]
        indexes: ClassVar = [
            models.Index(fields=["state", "due_at"], name="hit_due"),
            models.Index(fields=["owner", "state"], name="hit_owner"),
        ]

    def __str__(self) -> str:
        return f"hit on {self.label} ({self.owner}) by {self.found_by}: {self.state}"

    @property
    def awaiting(self) -> bool:
        return self.state == State.AWAITING
