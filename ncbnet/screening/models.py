"""The person candidate index: blocking keys of every name of every person this node holds (the
global databases at the hub, the replica on an NCB node), and each person's card. A search reads
the keys of the query's names, takes the records that share the most with their cards, and scores
only those with `names.compare`."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class Card(models.Model):
    """What a search weighs of one person record besides its name keys (`index.card`): its names as
    written, date of birth, sex and nationalities. The candidates a search finds are weighed from
    their cards, read with the keys in one query; only a hit reads its record (with what the
    searcher may see of it). The keys name the card by its number: a small index, grouped fast."""

    record_id = models.UUIDField(unique=True)
    data = models.JSONField()

    def __str__(self) -> str:
        return f"card {self.pk} of {self.record_id}"


class NameKey(models.Model):
    """One blocking key of one person record (by the record's card)."""

    key = models.CharField(max_length=32)
    card = models.ForeignKey(Card, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        # Unique by expressions, which every backend makes a unique index of its own (not a
        # constraint in the table's definition): a node loading its first snapshot drops it and
        # builds it again after the last chunk (`records.snapshot`), which SQLite allows only of
        # an index.
        constraints: ClassVar = [models.UniqueConstraint(F("key"), F("card"), name="namekey_once")]

    def __str__(self) -> str:
        return f"{self.key} {self.card_id}"


class Manifest(models.Model):
    """A passenger manifest (or any list of people and documents) screened as one job. The rows
    stay with the job; results are written chunk by chunk with the progress, so a restarted worker
    carries on where the last chunk ended."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True)
    filename = models.CharField(max_length=200)
    submitted_by = models.CharField(max_length=150)
    context = models.JSONField(default=dict)
    columns = models.JSONField(default=list)  # the file's own columns, in order, kept in the result
    rows = models.JSONField(default=list)
    total = models.PositiveIntegerField()
    done = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)
    problems = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    error = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The process running the job (host:pid) and until when it holds it: it renews the lease with
    # each chunk; once the lease runs out (its process stopped), another runner takes the job.
    runner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-submitted_at"]

    def __str__(self) -> str:
        return f"manifest {self.filename} ({self.done}/{self.total}, {self.state})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


class ManifestRow(models.Model):
    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="results")
    n = models.PositiveIntegerField()  # the row's place in the file, from 1
    outcome = models.CharField(max_length=8)  # clear, hit, problem
    hits = models.JSONField(default=list)
    problems = models.JSONField(default=list)

    class Meta:
        ordering: ClassVar = ["manifest", "n"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["manifest", "n"], name="manifest_row_once")]

    def __str__(self) -> str:
        return f"{self.manifest_id} row {self.n}: {self.outcome}"
