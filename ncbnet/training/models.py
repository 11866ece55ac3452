"""Training's tables. The catalogue (courses, the requirements of each role) is the hub's: authored
there by the GS's training staff and kept on every node as it arrives. Enrolments, their xAPI-style
statements and the certificates a user holds are the node's. At the hub, the completions the nodes
sent (re-graded there), the certificates issued and the revocation status list."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "fr", "es", "ar")
DEFAULT_VALIDITY_DAYS = 1461  # four years


class Course(models.Model):
    """One course of the catalogue, at its latest version. `content` holds the modules (pages and
    downloadable material per language) and the quiz (questions, choices, the right choices and
    the pass mark), as `schemas.CourseContent` checked it."""

    id = models.UUIDField(primary_key=True)
    code = models.CharField(max_length=16, unique=True)
    version = models.PositiveIntegerField(default=1)
    title = models.JSONField(default=dict)  # language -> text
    summary = models.JSONField(default=dict)
    content = models.JSONField(default=dict)
    validity_days = models.PositiveIntegerField(default=DEFAULT_VALIDITY_DAYS)
    open_enrolment = models.BooleanField(default=False)
    authored_by = models.CharField(max_length=150)
    published_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)  # on a node: when it arrived

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def text(self, field: dict[str, str], language: str) -> str:
        return field.get(language) or field.get("en") or next(iter(field.values()), "")

    def title_in(self, language: str) -> str:
        return self.text(self.title, language)

    @property
    def modules(self) -> list[dict[str, Any]]:
        return list(self.content.get("modules", []))

    @property
    def quiz(self) -> dict[str, Any]:
        return dict(self.content.get("quiz", {}))

    def module_keys(self) -> list[str]:
        return [m["key"] for m in self.modules]


class Requirement(models.Model):
    """A role needs a course (the GS sets them; every node keeps the latest set)."""

    role = models.CharField(max_length=20)
    course_code = models.CharField(max_length=16)
    published_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint("role", "course_code", name="requirement_once")]

    def __str__(self) -> str:
        return f"{self.role} needs {self.course_code}"


class Enrolment(models.Model):
    """A user's enrolment in a course (Moodle's user enrolment): its id is the registration every
    statement of it carries (cmi5)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        ABANDONED = "abandoned", _("Abandoned")

    class Method(models.TextChoices):
        MANUAL = "manual", _("Enrolled by the NCB")
        ROLE = "role", _("Enrolled by role")
        AGENCY = "agency", _("Enrolled by agency")
        SELF = "self", _("Self-enrolment")
        RENEWAL = "renewal", _("Renewal before expiry")

    class Certificate(models.TextChoices):
        NONE = "", _("Not yet")
        PENDING = "pending", _("Sent to the GS")
        ISSUED = "downloadable", _("Issued")
        NOT_PASSING = "notpassing", _("Refused by the GS")

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    course_version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    method = models.CharField(max_length=12, choices=Method.choices)
    enrolled_by = models.CharField(max_length=150)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    modules_viewed = models.JSONField(default=list)
    attempts = models.PositiveIntegerField(default=0)
    best_score = models.PositiveIntegerField(null=True, blank=True)
    passed_answers = models.JSONField(default=dict)  # the answers of the passing attempt, sent to the GS
    completed_at = models.DateTimeField(null=True, blank=True)
    certificate = models.CharField(max_length=14, choices=Certificate.choices, default="", blank=True)
    refusal = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                "user", "course", condition=Q(status="active"), name="enrolment_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id} ({self.status})"

    def progress(self) -> int:
        """Modules viewed and the quiz, as a percentage of the course."""
        keys = self.course.module_keys()
        steps = len(keys) + 1
        done = len([k for k in keys if k in self.modules_viewed]) + (1 if self.passed_answers else 0)
        return round(100 * done / steps)


class Statement(models.Model):
    """An xAPI-style statement: actor, verb, object, result, the enrolment's registration."""

    class Verb(models.TextChoices):
        LAUNCHED = "launched", _("launched")
        INITIALIZED = "initialized", _("initialized")
        COMPLETED = "completed", _("completed")
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")
        ABANDONED = "abandoned", _("abandoned")
        WAIVED = "waived", _("waived")
        TERMINATED = "terminated", _("terminated")

    id = models.UUIDField(primary_key=True)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="statements")
    verb = models.CharField(max_length=12, choices=Verb.choices)
    object_id = models.CharField(max_length=200)
    result = models.JSONField(default=dict)
    timestamp = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.verb} {self.object_id}"


class Certificate(models.Model):
    """An Open Badges 3.0 credential: at the hub, issued there; on a node, as the hub sent it for
    one of its users (`holder`). `credential` is the signed document, kept as received."""

    id = models.UUIDField(primary_key=True)
    node = models.CharField(max_length=3)  # the subject's node
    username = models.CharField(max_length=150)
    course_code = models.CharField(max_length=16)
    registration = models.UUIDField()
    status_index = models.PositiveIntegerField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    credential = models.JSONField()
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)  # at the hub
    revocation_reason = models.CharField(max_length=300, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["node", "username", "course_code"])]

    def __str__(self) -> str:
        return f"{self.course_code} for {self.node}:{self.username}"


class Completion(models.Model):
    """At the hub: a node's completion as it arrived, re-graded here (the node's grade is never
    trusted), and what came of it."""

    registration = models.UUIDField(primary_key=True)
    node = models.CharField(max_length=3)
    username = models.CharField(max_length=150)
    course_code = models.CharField(max_length=16)
    course_version = models.PositiveIntegerField()
    answers = models.JSONField(default=dict)
    score = models.PositiveIntegerField()
    passed = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)
    certificate = models.OneToOneField(Certificate, null=True, blank=True, on_delete=models.SET_NULL)
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.course_code} by {self.node}:{self.username}"


class StatusList(models.Model):
    """The revocation bitstring status list: at the hub, its bits and the signed credential; on a
    node, the latest signed credential the hub sent."""

    list_id = models.CharField(max_length=100, primary_key=True)
    credential = models.JSONField()
    published_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.list_id
