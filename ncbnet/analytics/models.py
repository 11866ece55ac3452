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


class Rebuild(models.Model):
    """A rebuild of the figures of some days from the base data (`rebuild`): a day at a time, each
    in its own transaction with the progress, so a rebuild whose process stopped carries on from
    the day after the last one done (its lease runs out, and it is resumed or marked failed)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True)
    first = models.DateField()  # the first day rebuilt
    last = models.DateField()  # the last day rebuilt, included
    requested_by = models.CharField(max_length=150)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField()  # days
    done = models.PositiveIntegerField(default=0)  # days rebuilt, from the first
    rows = models.PositiveBigIntegerField(default=0)  # figure rows written
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The process running it (host:pid) and until when it holds it, renewed with each day
    runner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"rebuild {self.first}..{self.last} ({self.done}/{self.total} days, {self.state})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


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
