"""The figures: one row per UTC day (and per month, per year) and combination of the values an
event is counted by (`base.tally.Count`), with its rolled rows (`rollups.ROLLED`), added to in the
transaction of every event it counts."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

DIMENSIONS = (
    "day",
    "event",
    "country",
    "owner",
    "database",
    "kind",
    "iccs",
    "outcome",
    "restricted",
    "rolled",
)
# What a rolled row keeps of the values (`rollups.ROLLED`): the others are summed over, left empty
VALUES = ("country", "owner", "database", "kind", "iccs", "outcome")


class Figures(models.Model):
    """The counts of one period and combination of the values an event is counted by."""

    day = models.DateField()
    event = models.CharField(max_length=32)
    country = models.CharField(max_length=8, blank=True)  # where it happened: a country code or "GS"
    owner = models.CharField(max_length=8, blank=True)  # whose data it concerns
    database = models.CharField(max_length=10, blank=True)
    kind = models.CharField(max_length=16, blank=True)
    iccs = models.CharField(max_length=4, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    restricted = models.BooleanField(default=False)  # never in published figures (base.tally.Count)
    # empty: the counts as counted; else the name of the values kept (`rollups.ROLLED`), the row
    # summing the counts over the others, so that a figure grouped by a few values reads few rows
    rolled = models.CharField(max_length=8, blank=True, default="")
    n = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0.0)  # summed durations of the n events
    late = models.BigIntegerField(default=0)  # of the n, how many missed their deadline

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.event} {self.country}: {self.n}"


class DailyFigure(Figures):
    """A UTC day's counts."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=list(DIMENSIONS), name="analytics_figure_one_row")]
        indexes = [models.Index(fields=["event", "rolled", "day"], name="analytics_figure_rolled_day")]


class MonthlyFigure(Figures):
    """A month's counts, its `day` the month's first: the sums of its days' rows, kept in the same
    statements as they are (`rollups`), so that a dashboard reads a month as one row per values
    rather than one per day (`figures.Select`)."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=list(DIMENSIONS), name="analytics_month_one_row")]
        indexes = [models.Index(fields=["event", "rolled", "day"], name="analytics_month_rolled_day")]


class YearlyFigure(Figures):
    """A year's counts, its `day` the year's first: the sums of its months' rows, kept as they are,
    so that a year's dashboard reads the year's rows rather than twelve months'."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=list(DIMENSIONS), name="analytics_year_one_row")]
        indexes = [models.Index(fields=["event", "rolled", "day"], name="analytics_year_rolled_day")]


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


class ReportedDay(models.Model):
    """Hub: a day of a node's searches as the node last reported it (`analytics.reported`). The
    day's figures are replaced whole by a newer report; which countries reported a day is the
    coverage of the network's search figures."""

    node = models.CharField(max_length=8)  # the sender's identity: the country whose key signed it
    day = models.DateField()
    received = models.DateTimeField()
    as_of = models.DateTimeField()  # when the node made the report (the envelope's created_at)
    envelope = models.CharField(max_length=36)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "day"], name="analytics_reported_one_day")]
        indexes = [models.Index(fields=["day", "node"], name="analytics_reported_day")]

    def __str__(self) -> str:
        return f"{self.node} {self.day}"


class ReportedFigure(models.Model):
    """Hub: one of a node's daily search figures, as reported (event `screening.searched`)."""

    node = models.CharField(max_length=8)
    day = models.DateField()
    database = models.CharField(max_length=10)
    kind = models.CharField(max_length=16)
    outcome = models.CharField(max_length=16)
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["node", "day", "database", "kind", "outcome"], name="analytics_reported_one_figure"
            )
        ]
        indexes = [models.Index(fields=["day", "node"], name="analytics_reported_fig_day")]

    def __str__(self) -> str:
        return f"{self.node} {self.day} {self.database}/{self.kind}/{self.outcome}: {self.n}"


class Report(models.Model):
    """The yearly network report, built as a job (`analytics.reports.build`): its sections gathered
    and kept, their charts drawn one section at a time, then the HTML and the PDF published together.
    A restarted job carries on from the last section drawn."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    year = models.PositiveSmallIntegerField()
    language = models.CharField(max_length=2)
    # The GS's publication it is made from (its frozen figures), on every node and at the hub;
    # none for a report made here from this node's own figures (`ncbnet analytics report`)
    publication = models.ForeignKey(
        Publication, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)  # sections drawn
    total = models.PositiveIntegerField(default=0)  # sections gathered (0 until they are)
    html = models.TextField(blank=True)  # empty until published
    pdf = models.BinaryField(blank=True, default=b"")
    created = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "language"], name="analytics_report_one_language")
        ]

    def __str__(self) -> str:
        return f"report {self.year} ({self.language}, {self.state})"


class ReportSection(models.Model):
    """A section of a report as gathered (`documents.Section`, as JSON), and its chart once drawn."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    content = models.JSONField()
    drawn = models.BooleanField(default=False)
    png = models.BinaryField(null=True, blank=True)  # the chart as drawn for the PDF (none without one)

    class Meta:
        ordering: ClassVar = ["report", "position"]
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="analytics_report_section")
        ]

    def __str__(self) -> str:
        return f"section {self.position} of {self.report_id}"
