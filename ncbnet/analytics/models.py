"""The figures: one row per UTC day and combination of the values an event is counted by
(`base.tally.Count`), added to in the transaction of every event it counts."""

from __future__ import annotations

from django.db import models

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
