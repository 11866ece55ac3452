"""A hit report: a screening result that matched a record, to be confirmed by the record's owner
before anyone acts on it. The same report (same id) is kept by the bureau that screened, the owner
and the GS, each with its own view of the deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.core.exceptions import ValidationError
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


URGENT = timedelta(minutes=10)  # the owner answers an urgent hit within this
ROUTINE = timedelta(hours=1)
OUTCOMES = ("confirmed", "denied", "more_time")


def period(urgent: bool) -> timedelta:
    """How long the owner has to answer, and each escalation step lasts."""
    return URGENT if urgent else ROUTINE


class HitReport(models.Model):
    id = models.UUIDField(primary_key=True)
    record_id = models.UUIDField()
    database = models.CharField(max_length=10)
    label = models.CharField(max_length=300)
    iccs = models.CharField(max_length=4, blank=True, default="")  # the crime category of what was hit
    owner = models.CharField(max_length=2)
    found_by = models.CharField(max_length=8)  # the screening bureau's country, or "GS"
    found_by_node = models.CharField(max_length=8)  # where answers go: a country code or "hub"
    officer = models.CharField(max_length=150)
    context = models.JSONField(default=dict)  # why and where the screening happened
    query = models.JSONField(default=dict)
    score = models.FloatField()
    explanation = models.JSONField(default=list)
    urgent = models.BooleanField(default=False)
    # a hit on a record not every country may see (the hub reads it from the record on receipt):
    # counted in the owner's and the GS's own figures, never in those published to every bureau
    restricted = models.BooleanField(default=False)
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

    # The report's answer and escalation change it in memory; the services save it, audit it and
    # tell the other nodes.

    def take_answer(
        self, outcome: str, note: str, minutes: int | None, by: str, at: datetime, now: datetime
    ) -> None:
        """The owner's answer, given `at`: confirmed or denied closes the report; more time (how
        many minutes) sets a new deadline from `now` on this node's clock and ends the escalation."""
        if not self.awaiting:
            raise ValidationError({"outcome": f"this hit was already answered ({self.state})"})
        if outcome not in OUTCOMES:
            raise ValidationError({"outcome": "confirmed, denied or more_time"})
        self.answer, self.answered_by = note, by
        if outcome == "more_time":
            self.due_at = now + timedelta(minutes=int(minutes or 0))
            self.escalation = Escalation.NONE
            self.answer = f"more time: {minutes} min" + (f" ({note})" if note else "")
        else:
            self.state = outcome
            self.answered_at = at

    def escalate(self, now: datetime, level: int | None = None) -> None:
        """Overdue: one step up (or to `level`, as the hub says, never down), with its next
        deadline one period from `now`."""
        if not self.awaiting:
            raise ValidationError({"state": f"an answered hit is not escalated ({self.state})"})
        level = self.escalation + 1 if level is None else max(self.escalation, level)
        if level > Escalation.GS:
            raise ValidationError({"escalation": "a hit escalates no further than the General Secretariat"})
        self.escalation = level
        self.due_at = now + period(self.urgent)
