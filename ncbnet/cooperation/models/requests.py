"""A request between bureaus (or with the GS), as each party's node keeps it: the same id on the
requester's node (direction out) and the requested one's (direction in), each with the timeline of
what happened to it. The state moves only along `TRANSITIONS`; the services save, audit and tell
the other party."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ncbnet.cooperation import deadlines

from .files import StoredFile

__all__ = [
    "AWAITING_ANSWER",
    "OPEN_STATES",
    "TRANSITIONS",
    "Access",
    "Action",
    "Alert",
    "CrossCheck",
    "Kind",
    "RefusalGround",
    "Request",
    "RequestAttachment",
    "RequestEvent",
    "State",
    "TransitionRefused",
    "UrgencyGround",
]


class Kind(models.TextChoices):
    INFORMATION = "information", _("Information")
    ACTION = "action", _("Action")
    ASSISTANCE = "assistance", _("Assistance")


class Action(models.TextChoices):
    LOCATE = "locate", _("Locate a person or object")
    VERIFY_IDENTITY = "verify_identity", _("Verify an identity")
    HEAR_WITNESS = "hear_witness", _("Hear a witness")
    SEIZE = "seize", _("Seize")
    OTHER = "other", _("Other action")


class UrgencyGround(models.TextChoices):
    """EU Directive 2023/977, Art. 4: why a request is urgent."""

    PUBLIC_SECURITY = "public_security", _("An immediate and serious threat to public security")
    LIFE = "life", _("A threat to life or physical safety")
    DETENTION = "detention", _("An imminent decision that could involve detention")
    RELEVANCE = "relevance", _("A risk that the information loses relevance")


class Access(models.TextChoices):
    DIRECT = "direct", _("Directly accessible to the requested bureau")
    INDIRECT = "indirect", _("Obtained from another authority (indirect access)")


class RefusalGround(models.TextChoices):
    """EU Directive 2023/977, Art. 6: why a request may be refused."""

    NOT_AVAILABLE = "not_available", _("The information is not available")
    REQUIREMENTS = "requirements", _("The request does not meet the requirements")
    JUDICIAL_REFUSED = "judicial_refused", _("Judicial authorisation was refused")
    DATA_CATEGORIES = "data_categories", _("Personal data outside the permitted categories")
    INACCURATE = "inaccurate", _("The information is inaccurate, incomplete or outdated")
    SECURITY = "security", _("National security, an ongoing investigation or someone's safety")
    MINOR_OFFENCE = (
        "minor_offence",
        _("An offence punishable by one year or less, or not an offence in the requested state"),
    )
    NO_CONSENT = "no_consent", _("The state the information came from did not consent")


class State(models.TextChoices):
    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLARIFICATION = "clarification", _("Clarification asked")
    PAUSED = "paused", _("Paused for judicial authorisation")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")
    CLOSED = "closed", _("Closed")


OPEN_STATES = (State.SENT, State.RECEIVED, State.ACKNOWLEDGED, State.CLARIFICATION, State.PAUSED)
# The states a request waits in for the requested bureau's answer (the deadline runs).
AWAITING_ANSWER = (State.RECEIVED, State.ACKNOWLEDGED, State.CLARIFICATION, State.PAUSED)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.SENT: (State.RECEIVED,),
    State.RECEIVED: (State.ACKNOWLEDGED, State.CLARIFICATION, State.PAUSED, State.ANSWERED, State.REFUSED),
    State.ACKNOWLEDGED: (State.CLARIFICATION, State.PAUSED, State.ANSWERED, State.REFUSED),
    # The requester's clarification brings the request back to acknowledged.
    State.CLARIFICATION: (State.ACKNOWLEDGED, State.PAUSED, State.ANSWERED, State.REFUSED),
    State.PAUSED: (State.ACKNOWLEDGED, State.CLARIFICATION, State.ANSWERED, State.REFUSED),
    State.ANSWERED: (State.CLOSED, State.ANSWERED),  # a further answer may follow before closing
    State.REFUSED: (State.CLOSED,),
    State.CLOSED: (),
}


class TransitionRefused(ValidationError):
    """The request's state does not allow this step."""


class Request(models.Model):
    class Direction(models.TextChoices):
        OUT = "out", _("Sent")
        IN = "in", _("Received")

    id = models.UUIDField(primary_key=True)  # the same on both parties' nodes
    direction = models.CharField(max_length=3, choices=Direction.choices)
    requester = models.CharField(max_length=8)  # node id: a country code or "hub"
    requested = models.CharField(max_length=8)
    sender_name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    action = models.CharField(max_length=16, choices=Action.choices, blank=True)
    title = models.CharField(max_length=300)
    details = models.TextField()
    # [{"type": "person"|"object", "name", "date_of_birth", "sex", "nationality", "description",
    #   "record_id", "notice_id", "hit_id"}]
    subjects = models.JSONField(default=list)
    legal_basis = models.CharField(max_length=500)
    purpose = models.CharField(max_length=1000)
    urgent = models.BooleanField(default=False)
    urgency_ground = models.CharField(max_length=16, choices=UrgencyGround.choices, blank=True)
    access = models.CharField(max_length=8, choices=Access.choices, default=Access.DIRECT)
    handling = models.CharField(max_length=2)  # messaging's handling codes H0 to H3
    handling_note = models.CharField(max_length=500, blank=True)
    source_reliability = models.CharField(max_length=1, default="X")
    information_accuracy = models.CharField(max_length=1, default="4")
    group = models.CharField(max_length=64, blank=True)  # the group it was sent to, if any
    # The crime category (a level-2 ICCS code, `base.iccs`), or "": set by the requester when it
    # sends the request, and counted with it in the figures
    iccs = models.CharField(max_length=4, blank=True, default="")
    state = models.CharField(max_length=14, choices=State.choices, default=State.SENT)
    created_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(null=True, blank=True)  # receipt at the requested bureau
    due_at = models.DateTimeField(null=True, blank=True)  # from receipt, pauses added
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.TextField(blank=True)
    pause_expected = models.DurationField(null=True, blank=True)
    judicial_delay = models.DurationField(default=timedelta(0))  # every pause, added up
    answered_at = models.DateTimeField(null=True, blank=True)
    refusal_ground = models.CharField(max_length=16, choices=RefusalGround.choices, blank=True)
    refusal_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalation = models.PositiveSmallIntegerField(default=0)  # deadlines.BUREAU, HEAD, REQUESTER
    crosschecked_at = models.DateTimeField(null=True, blank=True)  # requested side: holdings checked
    updated_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["direction", "state", "due_at"], name="request_due"),
        ]

    def __str__(self) -> str:
        return f"{self.requester} → {self.requested}: {self.title} ({self.state})"

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def span(self) -> timedelta:
        return deadlines.window(self.urgent, self.access == Access.DIRECT)

    def time_left(self, now: datetime) -> timedelta | None:
        if self.due_at is None or self.state not in AWAITING_ANSWER:
            return None
        return self.due_at - now

    def overdue(self, now: datetime) -> bool:
        left = self.time_left(now)
        return left is not None and left < timedelta(0)

    def answered_in_time(self) -> bool | None:
        """Answered or refused before its deadline (None while it is not)."""
        if self.answered_at is None or self.due_at is None:
            return None
        return self.answered_at <= self.due_at

    def move(self, to: str) -> str:
        if to not in TRANSITIONS[self.state]:
            raise TransitionRefused(
                {
                    "state": _("A request that is %(state)s cannot become %(to)s.")
                    % {"state": State(self.state).label.lower(), "to": State(to).label.lower()}
                }
            )
        before, self.state = self.state, to
        return str(before)

    # The steps of the workflow change the request in memory and return the state left.

    def receive(self, at: datetime) -> str:
        before = self.move(State.RECEIVED)
        self.received_at = at
        self.due_at = deadlines.due(at, self.urgent, self.access == Access.DIRECT)
        return before

    def acknowledge(self, at: datetime) -> str:
        before = self.move(State.ACKNOWLEDGED)
        self.acknowledged_at = self.acknowledged_at or at
        self.paused_at = None
        return before

    def ask_clarification(self, at: datetime) -> str:
        before = self.move(State.CLARIFICATION)
        self.acknowledged_at = self.acknowledged_at or at
        self.paused_at = None
        return before

    def clarified(self, at: datetime) -> str:
        if self.state != State.CLARIFICATION:
            raise TransitionRefused({"state": _("No clarification was asked for this request.")})
        return self.move(State.ACKNOWLEDGED)

    def pause(self, at: datetime, reason: str, expected: timedelta) -> str:
        """Paused while a judicial authorisation is obtained: the deadline moves by `expected`."""
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the request waits for a judicial authorisation.")})
        if expected <= timedelta(0) or expected > timedelta(days=90):
            raise ValidationError({"expected": _("An expected duration between one hour and 90 days.")})
        before = self.move(State.PAUSED)
        self.acknowledged_at = self.acknowledged_at or at
        self.paused_at, self.pause_reason, self.pause_expected = at, reason.strip(), expected
        if self.due_at is not None:
            self.due_at += expected
        self.judicial_delay += expected
        self.escalation = 0
        return before

    def answer(self, at: datetime) -> str:
        before = self.move(State.ANSWERED)
        self.acknowledged_at = self.acknowledged_at or at
        self.answered_at = self.answered_at or at
        self.paused_at = None
        return before

    def refuse(self, at: datetime, ground: str, reason: str) -> str:
        if ground not in RefusalGround.values:
            raise ValidationError({"ground": _("A refusal needs one of the grounds of Art. 6.")})
        before = self.move(State.REFUSED)
        self.acknowledged_at = self.acknowledged_at or at
        self.answered_at = at
        self.refusal_ground, self.refusal_reason = ground, reason.strip()
        self.paused_at = None
        return before

    def close(self, at: datetime) -> str:
        before = self.move(State.CLOSED)
        self.closed_at = at
        return before


class RequestEvent(models.Model):
    """One step in a request's timeline, as both parties keep it (the same id on both nodes)."""

    class Kind(models.TextChoices):
        SENT = "sent", _("Sent")
        RECEIVED = "received", _("Received (signed receipt)")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLARIFICATION_ASKED = "clarification_asked", _("Clarification asked")
        CLARIFIED = "clarified", _("Clarification given")
        PAUSED = "paused", _("Paused for judicial authorisation")
        ANSWERED = "answered", _("Answered")
        REFUSED = "refused", _("Refused")
        CLOSED = "closed", _("Closed")
        OVERDUE = "overdue", _("Overdue")

    id = models.UUIDField(primary_key=True)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    node = models.CharField(max_length=8)  # whose bureau did it
    by = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    # What the step carries: {"ground", "expected_hours", "due_at", "handling", ...}
    detail = models.JSONField(default=dict)

    class Meta:
        ordering: ClassVar = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.kind} by {self.node}"


class RequestAttachment(StoredFile):
    """A file that came with a step of the request (an answer's evidence); small enough to travel
    inside the step's envelope."""

    id = models.UUIDField(primary_key=True)
    event = models.ForeignKey(RequestEvent, on_delete=models.CASCADE, related_name="attachments")


class CrossCheck(models.Model):
    """What the requested bureau's node already holds about a subject of an incoming request: a
    record found by the screening engine, a notice on the same person, an open case, a recent hit."""

    class Found(models.TextChoices):
        RECORD = "record", _("Record")
        NOTICE = "notice", _("Notice")
        CASE = "case", _("Case")
        HIT = "hit", _("Hit")
        REQUEST = "request", _("Earlier request")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="crosschecks")
    subject = models.PositiveSmallIntegerField()  # index in the request's subjects
    found = models.CharField(max_length=8, choices=Found.choices)
    ref = models.CharField(max_length=64)  # the found thing's id
    label = models.CharField(max_length=300)
    score = models.FloatField(default=1.0)
    why = models.JSONField(default=list)

    class Meta:
        ordering: ClassVar = ["subject", "-score"]

    def __str__(self) -> str:
        return f"{self.request_id} #{self.subject}: {self.found} {self.label}"


class Alert(models.Model):
    """Something in cooperation that needs a person now: an overdue request or task, for the
    bureau's officers or for its head of NCB."""

    class Audience(models.TextChoices):
        BUREAU = "bureau", _("The bureau's officers")
        HEAD = "head", _("The head of NCB")

    at = models.DateTimeField(db_index=True)
    audience = models.CharField(max_length=8, choices=Audience.choices)
    what = models.CharField(max_length=16)  # "request", "task", "case"
    ref = models.UUIDField()
    text = models.CharField(max_length=500)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-at"]

    def __str__(self) -> str:
        return f"{self.audience}: {self.text}"
