"""The Commission's tables (all in its own database, `router.ALIAS`).

A request moves filed → admissible (the statutory clock starts) or inadmissible; each step is a
`Step` the applicant sees on the status page. The applicant's files are kept here, as bytes, and
go out only as downloads to the Commission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from ncbnet.base import ids
from ncbnet.base.dates import add_months

# Months from admissibility within which the Commission decides (CCF Statute, art. 40).
DECISION_MONTHS = {"access": 4, "correction": 9, "deletion": 9}


class IllegalStep(Exception):
    """A request asked to move in a way its state does not allow; the message is safe to show."""


class Request(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("Access: is data about me held, and what?")
        CORRECTION = "correction", _("Correction of data about me")
        DELETION = "deletion", _("Deletion of data about me")

    class Filer(models.TextChoices):
        SELF = "self", _("The person concerned")
        LAWYER = "lawyer", _("Their lawyer or representative")

    class State(models.TextChoices):
        FILED = "filed", _("Filed: admissibility being checked")
        ADMISSIBLE = "admissible", _("Admissible: under examination")
        INADMISSIBLE = "inadmissible", _("Inadmissible")
        DECIDED = "decided", _("Decided")

    class Decision(models.TextChoices):
        ANSWERED = "answered", _("Answered: what may be disclosed is in the reasons")
        KEEP = "keep", _("The data is kept")
        CORRECT = "correct", _("The data is corrected")
        DELETE = "delete", _("The data is deleted")

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    secret_hash = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    filer = models.CharField(max_length=8, choices=Filer.choices)
    family_name = models.CharField(max_length=100)
    given_names = models.CharField(max_length=150, blank=True)
    date_of_birth = models.DateField()
    nationality = models.CharField(max_length=2)
    email = models.EmailField(max_length=200)
    representative = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=2)
    asked = models.TextField()
    reasons = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.FILED)
    filed_at = models.DateTimeField()
    admissible_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    reasons_given = models.TextField(blank=True)  # the decision's reasons, for the applicant

    class Meta:
        ordering: ClassVar = ["filed_at"]
        indexes: ClassVar = [models.Index(fields=["state", "due_at"], name="ccf_request_state_due")]

    def __str__(self) -> str:
        return self.reference

    @property
    def months(self) -> int:
        return DECISION_MONTHS[self.kind]

    def declare_admissible(self, at: datetime) -> None:
        """The secretariat found the request admissible: the decision is due `months` later."""
        if self.state != self.State.FILED:
            raise IllegalStep(
                _("Only a request waiting for its admissibility check can be declared admissible.")
            )
        self.state = self.State.ADMISSIBLE
        self.admissible_at = at
        self.due_at = add_months(at, self.months)

    def decide(self, decision: str, at: datetime) -> None:
        if self.state != self.State.ADMISSIBLE:
            raise IllegalStep(_("Only an admissible request is decided."))
        self.state, self.decision, self.decided_at = self.State.DECIDED, decision, at

    def declare_inadmissible(self) -> None:
        if self.state != self.State.FILED:
            raise IllegalStep(
                _("Only a request waiting for its admissibility check can be declared inadmissible.")
            )
        self.state = self.State.INADMISSIBLE


class Step(models.Model):
    """One step of a request, as the applicant sees it (the note is written for them)."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Request received")
        ADMISSIBLE = "admissible", _("Declared admissible")
        INADMISSIBLE = "inadmissible", _("Declared inadmissible")
        CONSULTED = "consulted", _("The data's owner consulted")
        OWNER_ANSWERED = "owner_answered", _("The data's owner answered")
        BLOCKED = "blocked", _("Access to the data blocked while the request is examined")
        UNBLOCKED = "unblocked", _("Access to the data restored")
        DECIDED = "decided", _("Decided")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class Document(models.Model):
    """A file the applicant sent, kept in the Commission's database and served to it only."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", _("Identity document")
        AUTHORITY = "authority", _("Power of attorney")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=150)
    media_type = models.CharField(max_length=32)  # read from the file's signature, not the sender
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()

    class Meta:
        ordering: ClassVar = ["kind", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


class Position(models.TextChoices):
    """What the owner bureau says should become of its challenged data."""

    KEEP = "keep", _("Keep: the data is accurate and still needed")
    CORRECT = "correct", _("Correct the data")
    DELETE = "delete", _("Delete the data")


# Days the owner bureau has to give its position (the Commission may ask again).
OWNER_DAYS = 30


class Consultation(models.Model):
    """The Commission asks the owner bureau of a record or notice for its position (at the hub, in
    the Commission's database; the bureau keeps its side as an `OwnerConsultation`)."""

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="consultations")
    database = models.CharField(max_length=10)  # "records" or "notices"
    subject = models.UUIDField()
    label = models.CharField(max_length=300)
    owner = models.CharField(max_length=2)
    question = models.TextField()
    asked_at = models.DateTimeField()
    due_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    position = models.CharField(max_length=8, choices=Position.choices, blank=True)
    note = models.TextField(blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    # While set, the record is blocked at the hub (records.services.block) and its owner told.
    blocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["asked_at"]

    def __str__(self) -> str:
        return f"{self.owner} {self.subject}"


class OwnerConsultation(models.Model):
    """The owner bureau's side of a consultation, on its own node and in the node's own database
    (router.NODE_MODELS): its officers answer it there, before `due_at`."""

    id = models.UUIDField(primary_key=True)  # the Commission's Consultation id
    database = models.CharField(max_length=10)
    subject = models.UUIDField()
    label = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=Request.Kind.choices)
    question = models.TextField()
    asked_at = models.DateTimeField()
    due_at = models.DateTimeField()
    received_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    position = models.CharField(max_length=8, choices=Position.choices, blank=True)
    note = models.TextField(blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)  # the Commission blocked the data
    # The Commission's decision on the request, as it reached the owner (ccf.decision).
    decision = models.CharField(max_length=8, choices=Request.Decision.choices, blank=True)
    decision_reasons = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["due_at"]

    def __str__(self) -> str:
        return f"{self.database} {self.subject}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


class Throttle(models.Model):
    """Attempts from one client address within a window, per action (filing, following)."""

    action = models.CharField(max_length=16)
    address = models.CharField(max_length=45)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["action", "address"], name="ccf_throttle_action_address")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.address}"


class JournalEntry(models.Model):
    """The Commission's own audit chain: each entry's hash covers the previous one's and its own
    canonical content (the node's chain scheme, base.audit.entry_hash). Never updated or deleted."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    request_ref = models.CharField(max_length=20, blank=True, db_index=True)
    detail = models.JSONField(default=dict)
    ip = models.CharField(max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering: ClassVar = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("journal entries are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("journal entries are append-only")

    def content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "actor": self.actor,
            "action": self.action,
            "request": self.request_ref,
            "detail": self.detail,
            "ip": self.ip,
        }


class JournalHead(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
