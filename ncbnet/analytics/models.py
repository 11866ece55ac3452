"""The figures: one row per UTC day and combination of the values an event is counted by
(`base.tally.Count`), added to in the transaction of every event it counts."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

DIMENSIONS = ("day", "event", "country", "owner", "database", "kind", "iccs", "outcome", "restricted")


class DailyFigure(models.Model):
    day = models.DateField()
    event = models.CharField(max_length=32)
    country = models.CharField(max_length=8, blank=True)  # where it happened: a country code or "GS"
    owner = models.CharField(max_length=8, blank=True)  # whose data it concerns
    database = models.CharField(max_length=10, blank=True)
    kind = models.CharField(max_length=16, blank=True)
    iccs = models.CharField(max_length=4, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    restricted = models.BooleanField(default=False)  # never in published figures (base.tally.Count)
    n = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0.0)  # summed durations of the n events
    late = models.BigIntegerField(default=0)  # of the n, how many missed their deadline

    class Meta:
        constraints = [models.UniqueConstraint(fields=list(DIMENSIONS), name="analytics_figure_one_row")]
        indexes = [models.Index(fields=["event", "day"], name="analytics_figure_event_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.event} {self.country}: {self.n}"


class Publication(models.Model):
    """Network figures the GS published for a period: the published view (`figures.published`),
    small counts suppressed and restricted rows left out, frozen as it was sent. Kept at the hub
    that made it and on every node it reached, the same row (its id) on each."""

    class Kind(models.TextChoices):
        FIGURES = "figures", _("Figures for a period")
        REPORT = "report", _("Yearly network report")

    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    start = models.DateField()
    end = models.DateField()
    figures = models.JSONField()  # [{key, columns, rows, query, coverage}], as `figures.Figure`
    published_by = models.CharField(max_length=150)
    published_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)  # on a node: when it arrived from the hub

    class Meta:
        ordering: ClassVar = ["-published_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.start} to {self.end}"
