"""The Heads of NCB Conference: the year's conference, the delegations and their credentials, the
timetable (sessions and breaks, agenda items with speakers), documents in the four languages,
minutes per item as revisions, resolutions with their workflow, polls and their signed ballots,
and the actions adopted resolutions become.

The hub is the authority: it keeps every row and sends each node copies (same ids) of what the
node may see. A node keeps its own delegation's registration and its own ballots as it sent them,
with the hub's answer. Every state change is a method on its model: an illegal one raises
`IllegalStep` with a message safe to show.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from ncbnet.base import clock, ids

LANGUAGES = ("en", "fr", "es", "ar")  # the working languages (ISO 639-1)
MAX_DOCUMENT = 1024 * 1024  # a document's bytes: it travels to every node inside one envelope
MAX_DELEGATES = 10
GS = "GS"  # an action assigned to the General Secretariat (else to a bureau, by country code)


class IllegalStep(Exception):
    """A conference object was asked to move in a way its state does not allow; the message is
    safe to show."""


def _step(current: str, allowed: tuple[str, ...], what: str, to: str) -> None:
    if current not in allowed:
        raise IllegalStep(f"{what} is {current}: it cannot become {to}")


class Conference(models.Model):
    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    year = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=300)
    starts = models.DateField()
    ends = models.DateField()
    venue = models.CharField(max_length=300)
    time_zone = models.CharField(max_length=64, default="UTC")
    languages = models.JSONField(default=list)  # among LANGUAGES
    # Drafts and amendments are submitted until then (the hub's clock).
    submission_deadline = models.DateTimeField()
    published_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering: ClassVar = ["-year"]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"

    def takes_submissions(self) -> bool:
        return clock.now() <= self.submission_deadline


class Registration(models.Model):
    """A bureau's delegation: its head and delegates. The bureau submits it (pending); the GS
    checks the credentials (complete, credentialed) or rejects it; the bureau may withdraw it.
    Submitting again after a change sends it back to pending: the GS checks it again."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending: credentials to check")
        COMPLETE = "complete", _("Complete: credentialed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="registrations")
    country = models.CharField(max_length=2)
    head = models.CharField(max_length=150)
    delegates = models.JSONField(default=list)  # names, at most MAX_DELEGATES
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    submitted_by = models.CharField(max_length=150)
    submitted_at = models.DateTimeField(default=clock.now)
    credentialed_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=500, blank=True)  # why it was rejected

    class Meta:
        ordering: ClassVar = ["country"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["conference", "country"], name="one_delegation_per_country")
        ]

    def __str__(self) -> str:
        return f"{self.country} at {self.conference_id}: {self.state}"

    @property
    def credentialed(self) -> bool:
        return self.state == self.State.COMPLETE and self.credentialed_at is not None

    def resubmit(self) -> None:
        _step(
            self.state,
            (self.State.PENDING, self.State.COMPLETE, self.State.WITHDRAWN),
            "the delegation",
            "pending",
        )
        self.state, self.credentialed_at, self.checked_by, self.reason = self.State.PENDING, None, "", ""

    def credential(self, by: str) -> None:
        _step(self.state, (self.State.PENDING,), "the delegation", "credentialed")
        self.state, self.credentialed_at, self.checked_by = self.State.COMPLETE, clock.now(), by

    def reject(self, by: str, reason: str) -> None:
        _step(self.state, (self.State.PENDING, self.State.COMPLETE), "the delegation", "rejected")
        self.state, self.credentialed_at, self.checked_by, self.reason = self.State.REJECTED, None, by, reason

    def withdraw(self) -> None:
        _step(self.state, (self.State.PENDING, self.State.COMPLETE), "the delegation", "withdrawn")
        self.state, self.credentialed_at = self.State.WITHDRAWN, None


class Session(models.Model):
    """A block of the timetable: a session (with agenda items) or a break."""

    class Kind(models.TextChoices):
        SESSION = "session", _("Session")
        BREAK = "break", _("Break")

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SESSION)
    title = models.CharField(max_length=300)
    starts = models.DateTimeField()
    ends = models.DateTimeField()
    room = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering: ClassVar = ["starts"]

    def __str__(self) -> str:
        return self.title


class Item(models.Model):
    """An agenda item of a session, with its speakers and the majority its vote needs."""

    class Majority(models.TextChoices):
        SIMPLE = "simple", _("Simple majority of Yes and No")
        TWO_THIRDS = "two_thirds", _("Two-thirds majority of Yes and No")

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    speakers = models.JSONField(default=list)
    majority = models.CharField(max_length=10, choices=Majority.choices, default=Majority.SIMPLE)

    class Meta:
        ordering: ClassVar = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Document(models.Model):
    """A conference document in one language, kept whole on every node (bounded, hashed)."""

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="documents")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    title = models.CharField(max_length=300)
    language = models.CharField(max_length=2)
    filename = models.CharField(max_length=150)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering: ClassVar = ["title", "language"]

    def __str__(self) -> str:
        return f"{self.title} [{self.language}]"


class MinutesRevision(models.Model):
    """The minutes of an item: every revision kept, the latest shown."""

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="minutes")
    revision = models.PositiveIntegerField()
    text = models.TextField(max_length=20_000)
    author = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering: ClassVar = ["item", "-revision"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["item", "revision"], name="one_minutes_revision_number")
        ]

    def __str__(self) -> str:
        return f"minutes of {self.item_id}, revision {self.revision}"


class Resolution(models.Model):
    """A draft resolution or an amendment to one, submitted by a delegation (or the GS) before the
    deadline: submitted → admitted → in plenary → adopted or rejected (by its poll), or withdrawn."""

    class Kind(models.TextChoices):
        DRAFT = "draft", _("Draft resolution")
        AMENDMENT = "amendment", _("Amendment")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ADMITTED = "admitted", _("Admitted")
        IN_PLENARY = "in_plenary", _("In plenary")
        ADOPTED = "adopted", _("Adopted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="resolutions")
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="resolutions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DRAFT)
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    title = models.CharField(max_length=300)
    text = models.TextField(max_length=20_000)
    submitted_by = models.CharField(max_length=3)  # a country code, or GS
    submitted_at = models.DateTimeField(default=clock.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUBMITTED)
    majority = models.CharField(max_length=10, choices=Item.Majority.choices, default=Item.Majority.SIMPLE)

    class Meta:
        ordering: ClassVar = ["submitted_at"]

    def __str__(self) -> str:
        return self.title

    def admit(self) -> None:
        _step(self.state, (self.State.SUBMITTED,), "the resolution", "admitted")
        self.state = self.State.ADMITTED

    def to_plenary(self) -> None:
        _step(self.state, (self.State.ADMITTED,), "the resolution", "in plenary")
        self.state = self.State.IN_PLENARY

    def withdraw(self) -> None:
        _step(
            self.state,
            (self.State.SUBMITTED, self.State.ADMITTED, self.State.IN_PLENARY),
            "the resolution",
            "withdrawn",
        )
        self.state = self.State.WITHDRAWN

    def decide(self, adopted: bool) -> None:
        target = self.State.ADOPTED if adopted else self.State.REJECTED
        _step(self.state, (self.State.IN_PLENARY,), "the resolution", target)
        self.state = target


class Poll(models.Model):
    """The vote on a resolution in plenary: created → started → finished → published. One country,
    one vote, among the credentialed delegations; the entitled voters are frozen when voting stops.
    The result is published with every signed ballot, so that every bureau recomputes it."""

    class State(models.TextChoices):
        CREATED = "created", _("Created")
        STARTED = "started", _("Voting open")
        FINISHED = "finished", _("Voting closed")
        PUBLISHED = "published", _("Result published")

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="polls")
    majority = models.CharField(max_length=10, choices=Item.Majority.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CREATED)
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    entitled = models.JSONField(default=list)  # the countries entitled to vote, frozen when it finished
    result = models.JSONField(default=dict)  # the tally (tally.Result.as_dict) once published
    published_ballots = models.JSONField(default=list)  # the signed ballots, as published

    class Meta:
        ordering: ClassVar = ["created_at"]

    def __str__(self) -> str:
        return f"poll {self.pk} on {self.resolution_id}: {self.state}"

    def start(self) -> None:
        _step(self.state, (self.State.CREATED,), "the poll", "started")
        self.state, self.started_at = self.State.STARTED, clock.now()

    def finish(self, entitled: list[str]) -> None:
        _step(self.state, (self.State.STARTED,), "the poll", "finished")
        self.state, self.finished_at, self.entitled = self.State.FINISHED, clock.now(), sorted(entitled)

    def publish(self, result: dict[str, object], ballots: list[dict[str, object]]) -> None:
        _step(self.state, (self.State.FINISHED,), "the poll", "published")
        self.state, self.published_at = self.State.PUBLISHED, clock.now()
        self.result, self.published_ballots = result, ballots


class Ballot(models.Model):
    """A country's ballot as its node signed it. At the hub: the ballots counted (one per country
    and poll). On a node: the ballots this bureau sent, with the hub's answer."""

    class Choice(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        ABSTAIN = "abstain", _("Abstain")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent, waiting for the hub's answer")
        COUNTED = "counted", _("Counted")
        REFUSED = "refused", _("Refused")

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)  # the ballot's nonce
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    country = models.CharField(max_length=2)
    choice = models.CharField(max_length=8, choices=Choice.choices)
    cast_at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=128)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENT)
    reason = models.CharField(max_length=500, blank=True)  # why the hub refused it
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["poll", "country"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["poll", "country"],
                condition=models.Q(status="counted"),
                name="one_counted_ballot_per_country",
            )
        ]

    def __str__(self) -> str:
        return f"ballot {self.pk} of {self.country} on {self.poll_id}: {self.status}"


class Action(models.Model):
    """What an adopted resolution asks of the GS or of a bureau, tracked until done and reported at
    the next conference."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    id = models.UUIDField(primary_key=True, default=ids.uuid7, editable=False)
    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=300)
    assignee = models.CharField(max_length=3, default=GS)  # GS or a country code
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    progress = models.TextField(max_length=4000, blank=True)
    updated_at = models.DateTimeField(default=clock.now)
    # The conference at which it was (last) reported on.
    reported_at = models.ForeignKey(
        Conference, null=True, blank=True, on_delete=models.SET_NULL, related_name="reported_actions"
    )

    class Meta:
        ordering: ClassVar = ["resolution", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.assignee}, {self.state})"

    def move(self, state: str, progress: str) -> None:
        if state not in self.State.values:
            raise IllegalStep(f"{state!r} is not a state of an action")
        _step(self.state, (self.State.OPEN, self.State.IN_PROGRESS), "the action", state)
        self.state, self.progress, self.updated_at = state, progress, clock.now()
