"""Notices (published by the GS at an NCB's request after review) and diffusions (sent by an NCB
directly, checked afterwards). State transitions live here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ncbnet.base.dates import add_years


class Kind(models.TextChoices):
    RED = "red", _("Red: locate and arrest with a view to extradition")
    YELLOW = "yellow", _("Yellow: locate a missing person or identify a person")
    BLUE = "blue", _("Blue: information on identity, location or activities")
    BLACK = "black", _("Black: unidentified bodies")
    GREEN = "green", _("Green: warning about a person's criminal activities")
    ORANGE = "orange", _("Orange: serious and imminent threat")
    PURPLE = "purple", _("Purple: modus operandi, objects, devices, concealment")
    SILVER = "silver", _("Silver: trace and locate criminal assets")
    UNSC = "unsc", _("UN Security Council Special Notice")


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class TransitionRefused(Exception):
    """A state change the workflow does not allow (`TRANSITIONS`)."""


REVIEW_TARGET = timedelta(hours=24)  # the GS reviews a submitted notice within this
PERIODIC_REVIEW_YEARS = 5  # a published notice is reviewed (extended or expired) this often


# Which state may follow which: everything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    State.DRAFT: {State.IN_REVIEW, State.CANCELLED},
    State.CHANGES_REQUESTED: {State.IN_REVIEW, State.CANCELLED},
    State.IN_REVIEW: {State.PUBLISHED, State.REJECTED, State.CHANGES_REQUESTED, State.CANCELLED},
    State.PUBLISHED: {State.CANCELLED, State.EXPIRED},
    State.REJECTED: set(),
    State.CANCELLED: set(),
    State.EXPIRED: set(),
}


class Notice(models.Model):
    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    owner = models.CharField(max_length=2)  # the requesting NCB
    title = models.CharField(max_length=300)
    data = models.JSONField()
    # The crime category of `data["iccs"]` as the checks left it ("" when none), for the figures.
    iccs = models.CharField(max_length=4, blank=True, default="")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    flags = models.JSONField(default=list)  # the automatic checks' findings, for the reviewer
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_due = models.DateTimeField(null=True, blank=True)  # the GS's 24-hour target
    published_at = models.DateTimeField(null=True, blank=True)
    periodic_review_at = models.DateTimeField(null=True, blank=True)  # 5 years after publication
    owner_warned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # What the filters search, set at publication (`search.index`): the subject's names as written
    # and in Latin letters, folded, and its nationalities as ",FR,DE,".
    subject_key = models.TextField(blank=True, default="")
    nationalities = models.CharField(max_length=800, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["state", "submitted_at"], name="notice_queue"),
            models.Index(fields=["state", "published_at"], name="notice_published"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.title} ({self.state})"

    def move(self, to: str) -> str:
        """Change state if the workflow allows it; return the state left."""
        if to not in TRANSITIONS[self.state]:
            raise TransitionRefused(
                f"a {self.get_state_display().lower()} notice cannot become {State(to).label.lower()}"
            )
        before, self.state = self.state, to
        return str(before)

    # Each step of the workflow changes the notice in memory and returns the state it left (for
    # the event); the services save it, keep the event, audit it and tell the network.

    @property
    def editable(self) -> bool:
        return self.state in (State.DRAFT, State.CHANGES_REQUESTED)

    def revise(self, data: dict[str, Any], title: str) -> None:
        """The owner's new fields, while it is a draft or sent back for changes."""
        if not self.editable:
            raise ValidationError({"state": "only a draft, or a notice sent back for changes, can be edited"})
        self.data, self.title = data, title[:300]

    def submit(self, flags: list[dict[str, Any]], at: datetime) -> str:
        """To the GS review queue with the automatic checks' flags, due within `REVIEW_TARGET`."""
        before = self.move(State.IN_REVIEW)
        self.flags = flags
        self.submitted_at = at
        self.review_due = at + REVIEW_TARGET
        return before

    def publish(self, at: datetime) -> str:
        """Approved: published now, up for its periodic review in `PERIODIC_REVIEW_YEARS`."""
        before = self.move(State.PUBLISHED)
        self.published_at = at
        self.periodic_review_at = add_years(at, PERIODIC_REVIEW_YEARS)
        return before

    def reject(self, at: datetime) -> str:
        before = self.move(State.REJECTED)
        self.closed_at = at
        return before

    def request_changes(self) -> str:
        return self.move(State.CHANGES_REQUESTED)

    def cancel(self, at: datetime) -> str:
        before = self.move(State.CANCELLED)
        self.closed_at = at
        return before

    def expire(self, at: datetime) -> str:
        before = self.move(State.EXPIRED)
        self.closed_at = at
        return before

    def extend(self) -> datetime:
        """Kept at its periodic review: the next one (returned) `PERIODIC_REVIEW_YEARS` later, the
        owner to be warned again before it."""
        if self.state != State.PUBLISHED or self.periodic_review_at is None:
            raise ValidationError({"state": "only a published notice is extended"})
        self.periodic_review_at = add_years(self.periodic_review_at, PERIODIC_REVIEW_YEARS)
        self.owner_warned_at = None
        return self.periodic_review_at


class NoticeEvent(models.Model):
    """The notice's history: every transition with who, from where and the written reason."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    actor_country = models.CharField(max_length=8)  # a country code or "GS"
    from_state = models.CharField(max_length=10)
    to_state = models.CharField(max_length=10)
    reason = models.TextField(blank=True)
    # The notice's crime category at this step (it may change between submissions): the figures
    # recount a step as it was counted
    iccs = models.CharField(max_length=4, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["notice", "at", "id"]

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.from_state} → {self.to_state}"


class Diffusion(models.Model):
    """An alert an NCB sent directly to chosen countries: recorded at the hub, checked afterwards."""

    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    owner = models.CharField(max_length=2)
    recipients = models.JSONField()
    title = models.CharField(max_length=300)
    data = models.JSONField()
    iccs = models.CharField(max_length=4, blank=True, default="")  # as on `Notice`
    flags = models.JSONField(default=list)
    created_at = models.DateTimeField()
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.CharField(max_length=150, blank=True)
    check_outcome = models.CharField(
        max_length=10, blank=True, choices=[("compliant", _("Compliant")), ("withdrawn", _("Withdrawn"))]
    )
    check_reason = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"diffusion {self.kind} {self.title}"


class ReplicaNotice(models.Model):
    """On an NCB node: a published notice, as the hub sent it; removed when cancelled or expired."""

    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    owner = models.CharField(max_length=2)
    title = models.CharField(max_length=300)
    data = models.JSONField()
    published_at = models.DateTimeField()
    received_at = models.DateTimeField()
    # "notice": published by the GS; "diffusion": sent by the owner NCB directly to chosen countries
    source = models.CharField(max_length=10, default="notice")
    subject_key = models.TextField(blank=True, default="")  # as on `Notice`
    nationalities = models.CharField(max_length=800, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["-published_at"]

    def __str__(self) -> str:
        return f"replica {self.source} {self.kind} {self.title}"


class NoticeRequest(models.Model):
    """On an NCB node: a notice this bureau asked the GS to publish, and where it stands."""

    id = models.UUIDField(primary_key=True)  # the same id as the notice at the hub
    kind = models.CharField(max_length=8, choices=Kind.choices)
    title = models.CharField(max_length=300)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    state = models.CharField(max_length=10, default="sent")  # sent, refused, or the hub's notice state
    reason = models.TextField(blank=True)
    errors = models.JSONField(default=dict)
    updated_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict)  # the fields as last sent, for the officer to edit
    periodic_review_at = models.DateTimeField(null=True, blank=True)  # as the hub last said
    extension_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-requested_at"]

    def __str__(self) -> str:
        return f"request {self.kind} {self.title} ({self.state})"

    @property
    def editable(self) -> bool:
        """Sent back by the GS for changes, or refused at the hub's checks: edit and resubmit."""
        return self.state in ("changes", "refused")

    @property
    def closed(self) -> bool:
        return self.state in ("cancelled", "rejected", "expired")


# --- public extracts (at the hub only) ------------------------------------------------------------

PUBLIC_KINDS = ("red", "yellow", "unsc")  # the kinds whose notices may have a public extract


class ExtractState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PUBLISHED = "published", _("Published")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PublicExtract(models.Model):
    """What the public may see of a Red, Yellow or UN Security Council notice: asked for by its
    owner bureau, allowed by its national law, approved by the GS in the review. `data` holds only
    the public fields, built in one place (`extracts.build`); removed (data and photos emptied, the
    time kept for `/notices/v1/withdrawn`) when the notice is cancelled, expires or is withdrawn."""

    notice = models.OneToOneField(Notice, on_delete=models.PROTECT, related_name="extract")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    entity = models.BooleanField(default=False)  # a UN-listed entity rather than a person
    entity_id = models.CharField(max_length=10, unique=True)  # "YYYY/NNNNN", as INTERPOL writes it
    state = models.CharField(max_length=10, choices=ExtractState.choices, default=ExtractState.REQUESTED)
    details = models.JSONField(default=dict)  # what the owner gave for publication (public fields)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    record_id = models.UUIDField(null=True, blank=True, db_index=True)  # the subject's record
    # False while the subject's record is restricted, withdrawn or purged (kept by `extracts`).
    visible = models.BooleanField(default=True)
    thumb = models.PositiveBigIntegerField(null=True, blank=True)  # its first photo's id
    data = models.JSONField(default=dict)  # the public fields, in the public API's own form
    # What the public filters search, set at publication and emptied at removal.
    forename = models.CharField(max_length=200, blank=True, default="")
    name = models.CharField(max_length=200, blank=True, default="")
    name_key = models.TextField(blank=True, default="")
    free_key = models.TextField(blank=True, default="")
    sex_id = models.CharField(max_length=1, blank=True, default="")
    nationalities = models.CharField(max_length=800, blank=True, default="")
    warrant_countries = models.CharField(max_length=800, blank=True, default="")
    born_earliest = models.DateField(null=True, blank=True)
    born_latest = models.DateField(null=True, blank=True)
    un_reference = models.CharField(max_length=60, blank=True, default="")
    un_resolution = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["-published_at", "-id"]
        indexes: ClassVar = [
            models.Index(
                fields=["state", "kind", "entity", "visible", "published_at"], name="extract_public"
            ),
            models.Index(fields=["state", "removed_at"], name="extract_withdrawn"),
        ]

    def __str__(self) -> str:
        return f"extract {self.entity_id} ({self.state})"


class ExtractPhoto(models.Model):
    """A photograph of a published extract (from the subject's record or given for publication)."""

    extract = models.ForeignKey(PublicExtract, on_delete=models.CASCADE, related_name="photos")
    number = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=20)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering: ClassVar = ["extract", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["extract", "number"], name="extract_photo_once")
        ]

    def __str__(self) -> str:
        return f"{self.extract_id} photo {self.number}"


class PublicVersion(models.Model):
    """One row: a number moved by every change of what the public may see (an extract published
    or removed, a subject's record restricted or withdrawn), in the transaction that makes the
    change. The public API keys its answers' cache on it, so no answer outlives its data."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"public version {self.value}"
