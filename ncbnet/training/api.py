"""The training API: the catalogue (read on every node, authored at the hub), enrolments (the NCB's
and the user's own, progress, the quiz, xAPI statements), certificates (the user's, the JSON
credential) and their offline verification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Body, Field, Router, Schema, Status

from ncbnet.base.api import allow
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import services
from .models import Course, Enrolment
from .policies import CATALOGUE, ENROL, LEARNER, TRAINER, VERIFY

router = Router(tags=["training"])


class CourseOut(Schema):
    code: str
    version: int
    title: dict[str, str]
    summary: dict[str, str]
    modules: list[str] = Field(description="the modules' keys, in order")
    pass_mark: int
    validity_days: int
    open_enrolment: bool
    published_at: datetime


def _course(c: Course) -> CourseOut:
    return CourseOut(
        code=c.code,
        version=c.version,
        title=c.title,
        summary=c.summary,
        modules=c.module_keys(),
        pass_mark=c.quiz.get("pass_mark", 0),
        validity_days=c.validity_days,
        open_enrolment=c.open_enrolment,
        published_at=c.published_at,
    )


class CourseIn(Schema):
    code: str
    title: dict[str, str]
    summary: dict[str, str] = {}
    content: dict[str, Any]
    validity_days: int = 1461
    open_enrolment: bool = False


@router.get("/courses", response=list[CourseOut], auth=allow(CATALOGUE), summary="The course catalogue")
def list_courses(request: AuthedRequest) -> list[CourseOut]:
    return [_course(c) for c in services.courses()]


@router.post(
    "/courses",
    response={201: CourseOut},
    auth=allow(TRAINER),
    summary="Publish a course (or its next version) to every node (the GS's training staff, at the hub)",
)
def publish_course(request: AuthedRequest, payload: CourseIn) -> Status:
    return Status(201, _course(services.author(request.user, payload.dict())))


class EnrolmentOut(Schema):
    id: uuid.UUID = Field(description="the registration every statement of the enrolment carries")
    username: str
    course: str
    course_version: int
    status: str
    method: str
    start: datetime
    end: datetime | None
    progress: int
    modules_viewed: list[str]
    attempts: int
    best_score: int | None
    completed_at: datetime | None
    certificate: str


def _enrolment(e: Enrolment) -> EnrolmentOut:
    return EnrolmentOut(
        id=e.pk,
        username=e.user.get_username(),
        course=e.course.code,
        course_version=e.course_version,
        status=e.status,
        method=e.method,
        start=e.start,
        end=e.end,
        progress=e.progress(),
        modules_viewed=e.modules_viewed,
        attempts=e.attempts,
        best_score=e.best_score,
        completed_at=e.completed_at,
        certificate=e.certificate,
    )


class EnrolIn(Schema):
    course: str
    usernames: list[str] = Field(default=[], max_length=1000)
    role: str = ""
    agency: int | None = Field(default=None, ge=1, le=2**31 - 1)
    end: datetime | None = Field(default=None, description="when the enrolment ends (none: open-ended)")


@router.post(
    "/enrolments",
    response={201: list[EnrolmentOut]},
    auth=allow(ENROL),
    summary="Enrol people of the bureau: named, by role or by agency (the NCB)",
)
def enrol(request: AuthedRequest, payload: EnrolIn) -> Status:
    try:
        made = services.enrol(
            request.user,
            payload.course,
            usernames=payload.usernames or None,
            by_role=payload.role,
            agency_id=payload.agency,
            end=payload.end,
        )
    except LookupError as missing:
        raise Http404(str(missing)) from None
    return Status(201, [_enrolment(e) for e in made])


@router.get("/enrolments", response=list[EnrolmentOut], auth=allow(LEARNER), summary="My enrolments")
def my_enrolments(request: AuthedRequest) -> list[EnrolmentOut]:
    return [_enrolment(e) for e in services.my_training(request.user)["enrolments"]]


@router.post(
    "/enrolments/self",
    response={201: EnrolmentOut},
    auth=allow(LEARNER),
    summary="Enrol myself in an open course",
)
def self_enrol(request: AuthedRequest, payload: EnrolIn) -> Status:
    try:
        return Status(201, _enrolment(services.self_enrol(request.user, payload.course)))
    except LookupError as missing:
        raise Http404(str(missing)) from None


def _mine(request: AuthedRequest, enrolment_id: uuid.UUID) -> Enrolment:
    try:
        return services.enrolment(request.user, enrolment_id)
    except LookupError:
        raise Http404("no such enrolment of yours") from None


@router.post(
    "/enrolments/{enrolment_id}/modules/{key}",
    response=EnrolmentOut,
    auth=allow(LEARNER),
    summary="Record that I viewed a module",
)
def view_module(request: AuthedRequest, enrolment_id: uuid.UUID, key: str) -> EnrolmentOut:
    _mine(request, enrolment_id)
    try:
        e, _module = services.open_module(request.user, enrolment_id, key)
    except LookupError as missing:
        raise Http404(str(missing)) from None
    return _enrolment(e)


class AnswersIn(Schema):
    answers: dict[str, list[str]]


class AttemptOut(Schema):
    score: int
    passed: bool
    enrolment: EnrolmentOut


@router.post(
    "/enrolments/{enrolment_id}/attempts",
    response=AttemptOut,
    auth=allow(LEARNER),
    summary="Answer the quiz (graded on this node; a pass completing the course is sent to the GS)",
)
def answer(request: AuthedRequest, enrolment_id: uuid.UUID, payload: AnswersIn) -> AttemptOut:
    _mine(request, enrolment_id)
    a = services.attempt(request.user, enrolment_id, payload.answers)
    return AttemptOut(score=a.score, passed=a.passed, enrolment=_enrolment(a.enrolment))


@router.get(
    "/enrolments/{enrolment_id}/statements",
    response=list[dict[str, Any]],
    auth=allow(LEARNER),
    summary="The enrolment's xAPI statements",
)
def statements(request: AuthedRequest, enrolment_id: uuid.UUID) -> list[dict[str, Any]]:
    _mine(request, enrolment_id)
    return services.statements(request.user, enrolment_id)


class CertificateOut(Schema):
    id: uuid.UUID
    course: str
    valid_from: datetime
    valid_until: datetime
    in_force: bool
    credential: dict[str, Any]


@router.get("/certificates", response=list[CertificateOut], auth=allow(LEARNER), summary="My certificates")
def my_certificates(request: AuthedRequest) -> list[CertificateOut]:
    mine = services.my_training(request.user)
    held = {c.pk for c in mine["held"].values()}
    return [
        CertificateOut(
            id=c.pk,
            course=c.course_code,
            valid_from=c.valid_from,
            valid_until=c.valid_until,
            in_force=c.pk in held,
            credential=c.credential,
        )
        for c in mine["certificates"]
    ]


class VerdictOut(Schema):
    valid: bool
    reasons: list[str]
    subject: str
    name: str
    course: str
    valid_until: str
    revocation_checked: bool


@router.post(
    "/certificates/verify",
    response=VerdictOut,
    auth=allow(VERIFY, Scope.SCREENING),
    summary="Verify an Open Badges 3.0 certificate offline (the hub's key and status list held here)",
)
def verify(request: AuthedRequest, payload: Body[dict[str, Any]]) -> VerdictOut:
    v = services.verify(request.user, payload)
    return VerdictOut(**v.__dict__)


@router.get(
    "/certificates/{certificate_id}",
    response=dict[str, Any],
    auth=allow(CATALOGUE),
    summary="A certificate's credential (my own; the bureau's for its head; any for the GS's training staff)",
)
def certificate(request: AuthedRequest, certificate_id: uuid.UUID) -> dict[str, Any]:
    try:
        return dict(services.certificate(request.user, certificate_id).credential)
    except LookupError:
        raise Http404("no such certificate") from None


class RevokeIn(Schema):
    reason: str


@router.post(
    "/certificates/{certificate_id}/revocation",
    response=CertificateOut,
    auth=allow(TRAINER),
    summary="Revoke a certificate: the status list is signed again and sent to every node",
)
def revoke(request: AuthedRequest, certificate_id: uuid.UUID, payload: RevokeIn) -> CertificateOut:
    try:
        c = services.revoke(request.user, certificate_id, payload.reason)
    except LookupError:
        raise Http404("no such certificate") from None
    return CertificateOut(
        id=c.pk,
        course=c.course_code,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        in_force=False,
        credential=c.credential,
    )


class RequirementsIn(Schema):
    requirements: dict[str, list[str]]


@router.put(
    "/requirements",
    response=dict[str, list[str]],
    auth=allow(TRAINER),
    summary="Set the courses each role needs (the GS), sent to every node",
)
def set_requirements(request: AuthedRequest, payload: RequirementsIn) -> dict[str, list[str]]:
    return services.set_requirements(request.user, payload.requirements)


@router.get(
    "/requirements",
    response=dict[str, list[str]],
    auth=allow(CATALOGUE),
    summary="The courses each role needs",
)
def requirements(request: AuthedRequest) -> dict[str, list[str]]:
    return services.required()
