"""The API of cooperation: requests between bureaus, for the national case systems. Sending, the
boxes with their filters, one request with its timeline, cross-check matches and time left, each
step of the workflow, and the files of its steps."""

import base64
import binascii
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from ncbnet.base import clock, downloads, uploads
from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.messaging.models import Handling, InformationAccuracy, SourceReliability
from ncbnet.security.models import Scope

from ..models.requests import Access, Action, Kind, RefusalGround, Request, State, UrgencyGround
from ..policies import COOPERATE
from ..schemas.requests import MAX_STEP_FILES_BYTES, Category
from ..services import requests as services

router = Router(tags=["cooperation"])
READ = allow(COOPERATE, Scope.READ_MESSAGES)
CHANGE = allow(COOPERATE, Scope.SEND_MESSAGES)


class RequestSubjectIn(Schema):
    type: Literal["person", "object"]
    name: str = Field("", max_length=300)
    date_of_birth: str = Field("", max_length=10, description="YYYY, YYYY-MM or YYYY-MM-DD")
    sex: Literal["", "F", "M", "U"] = ""
    nationality: str = Field("", max_length=2)
    description: str = Field("", max_length=2000)
    record_id: str | None = None
    notice_id: str | None = None
    hit_id: str | None = None


ICCS_IN = "the crime category: a level-2 code of UNODC's ICCS, such as 0502 (Theft), or empty"


class CooperationRequestIn(Schema):
    to: list[str] = Field(min_length=1, description='Country codes, "hub", "region:<code>", "group:<code>"')
    kind: Kind
    title: str = Field(min_length=1, max_length=300)
    details: str = Field(min_length=1, max_length=services.MAX_DETAILS)
    legal_basis: str = Field(min_length=1, max_length=500)
    purpose: str = Field(min_length=1, max_length=1000)
    action: Action | Literal[""] = ""
    subjects: list[RequestSubjectIn] = []
    urgent: bool = False
    urgency_ground: UrgencyGround | Literal[""] = ""
    access: Access = Access.DIRECT
    handling: Handling = Handling.H0
    handling_note: str = Field("", max_length=500)
    source_reliability: SourceReliability = SourceReliability.X
    information_accuracy: InformationAccuracy = InformationAccuracy.FOUR
    iccs: Category = Field("", description=ICCS_IN)


class RequestFileOut(Schema):
    id: UUID
    name: str
    content_type: str
    size: int
    sha256: str


class RequestEventOut(Schema):
    id: UUID
    kind: str
    at: datetime
    node: str
    by: str
    text: str
    detail: dict[str, Any]
    files: list[RequestFileOut]

    @staticmethod
    def resolve_files(obj: Any) -> list[Any]:
        return list(obj.attachments.all())


class CrossCheckOut(Schema):
    subject: int = Field(description="The subject's index in the request's subjects")
    found: str = Field(description="record, notice, case, hit or request")
    ref: str
    label: str
    score: float
    why: list[str]


class CooperationRequestOut(Schema):
    id: UUID
    direction: str
    requester: str
    requested: str
    sender_name: str
    kind: str
    action: str
    title: str
    details: str
    subjects: list[dict[str, Any]]
    legal_basis: str
    purpose: str
    urgent: bool
    urgency_ground: str
    access: str
    handling: str
    handling_note: str
    source_reliability: str
    information_accuracy: str
    group: str
    iccs: str = Field(description="the crime category (a level-2 ICCS code), or empty")
    state: str
    created_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    acknowledged_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    pause_reason: str
    refusal_ground: str
    refusal_reason: str
    escalation: int
    crosschecked_at: datetime | None
    time_left_hours: float | None = Field(description="Hours left before the deadline (negative: late)")
    overdue: bool = Field(description="Overdue as this side sees it (the requester: once escalated to it)")
    steps: list[str] = Field(description="The steps this side may take now")

    @staticmethod
    def resolve_time_left_hours(obj: Request) -> float | None:
        left = obj.time_left(clock.now())
        return None if left is None else round(left.total_seconds() / 3600, 2)

    @staticmethod
    def resolve_overdue(obj: Request) -> bool:
        return services.seen_overdue(obj, clock.now())

    @staticmethod
    def resolve_steps(obj: Request) -> list[str]:
        return services.steps_open(obj)


class RequestDetailOut(CooperationRequestOut):
    events: list[RequestEventOut]
    matches: list[CrossCheckOut] = Field(
        description="What this node holds about the subjects (received requests)"
    )

    @staticmethod
    def resolve_events(obj: Request) -> list[Any]:
        return list(obj.events.prefetch_related("attachments"))

    @staticmethod
    def resolve_matches(obj: Request) -> list[Any]:
        return list(obj.crosschecks.all())


class RequestTextIn(Schema):
    text: str = Field("", max_length=100_000)


class ClarifyIn(Schema):
    question: str = Field("", max_length=100_000, description="The requested bureau asks")
    answer: str = Field("", max_length=100_000, description="The requester answers the question asked")


class PauseIn(Schema):
    reason: str = Field(min_length=1, max_length=100_000)
    expected_hours: int = Field(ge=1, le=90 * 24)


class AnswerFileIn(Schema):
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=100)
    data: str = Field(description="The file, base64-encoded")


class RequestAnswerIn(Schema):
    text: str = Field(min_length=1, max_length=100_000)
    handling: Handling | Literal[""] = ""
    files: list[AnswerFileIn] = Field([], max_length=10)


class RefuseIn(Schema):
    ground: RefusalGround
    reason: str = Field("", max_length=100_000)


@router.get("", response=list[CooperationRequestOut], auth=READ, summary="The requests received or sent")
@paginate(CursorPagination, ordering=("-created_at",))
def request_list(
    request: AuthedRequest,
    box: Literal["in", "out", "all"] = "in",
    state: State | Literal[""] = "",
    q: str = "",
    country: str = "",
    urgent: bool = False,
    open_only: bool = Query(False, alias="open"),
) -> QuerySet[Request]:
    f = services.Filters(box=box, q=q, state=state, urgent=urgent, country=country, open_only=open_only)
    return services.search(request.user, f, client_ip(request))


@router.post(
    "",
    response={201: list[CooperationRequestOut]},
    auth=CHANGE,
    summary="Send a request (one to each recipient)",
)
def send(request: AuthedRequest, payload: CooperationRequestIn) -> Status:
    data = payload.dict()
    data["subjects"] = [{k: v for k, v in s.items() if v not in ("", None)} for s in data["subjects"]]
    made = services.send(request.user, services.Draft(**data), client_ip(request))
    return Status(201, made)


@router.get("/{request_id}", response=RequestDetailOut, auth=READ, summary="One request with its timeline")
def read(request: AuthedRequest, request_id: UUID) -> Request:
    return services.read(request.user, request_id, client_ip(request))


@router.post(
    "/{request_id}/acknowledge",
    response=CooperationRequestOut,
    auth=CHANGE,
    summary="The requested bureau acknowledges",
)
def acknowledge(request: AuthedRequest, request_id: UUID, payload: RequestTextIn) -> Request:
    return services.acknowledge(request.user, request_id, payload.text, client_ip(request))


@router.post(
    "/{request_id}/clarify",
    response=CooperationRequestOut,
    auth=CHANGE,
    summary="The requested bureau asks a question; the requester answers it",
)
def clarify(request: AuthedRequest, request_id: UUID, payload: ClarifyIn) -> Request:
    if payload.question and payload.answer:
        raise ValidationError({"question": gettext_lazy("Ask a question or answer one, not both.")})
    return services.clarification(
        request.user, request_id, payload.question or payload.answer, client_ip(request)
    )


@router.post(
    "/{request_id}/pause",
    response=CooperationRequestOut,
    auth=CHANGE,
    summary="Paused for a judicial authorisation: the reason and the hours expected",
)
def pause(request: AuthedRequest, request_id: UUID, payload: PauseIn) -> Request:
    return services.pause(
        request.user, request_id, payload.reason, payload.expected_hours, client_ip(request)
    )


# The files arrive base64-encoded in the JSON body: 2 MB of files is under 3 MB of text.
ANSWER_BODY = uploads.Limit(
    fields=4 * uploads.MB,
    message=gettext_lazy("Files with an answer are limited to 2 MB in all; send larger ones as a message."),
)


@router.post(
    "/{request_id}/answer",
    response=CooperationRequestOut,
    auth=allow(COOPERATE, Scope.SEND_MESSAGES, upload=ANSWER_BODY),
    summary="The requested bureau answers, with files (base64) and a handling code",
)
def answer(request: AuthedRequest, request_id: UUID, payload: RequestAnswerIn) -> Request:
    files = []
    for i, f in enumerate(payload.files):
        try:
            content = base64.b64decode(f.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError({f"files.{i}.data": gettext_lazy("Not base64.")}) from exc
        if len(content) > MAX_STEP_FILES_BYTES:
            raise ValidationError(
                {f"files.{i}": gettext_lazy("Files with an answer are limited to 2 MB in all.")}
            )
        files.append(services.Upload(f.name, f.content_type, content))
    return services.answer(
        request.user, request_id, payload.text, files, payload.handling, client_ip(request)
    )


@router.post(
    "/{request_id}/refuse",
    response=CooperationRequestOut,
    auth=CHANGE,
    summary="The requested bureau refuses, on a ground of Art. 6",
)
def refuse(request: AuthedRequest, request_id: UUID, payload: RefuseIn) -> Request:
    return services.refuse(request.user, request_id, payload.ground, payload.reason, client_ip(request))


@router.post(
    "/{request_id}/close",
    response=CooperationRequestOut,
    auth=CHANGE,
    summary="The requester closes the request",
)
def close(request: AuthedRequest, request_id: UUID, payload: RequestTextIn) -> Request:
    return services.close(request.user, request_id, payload.text, client_ip(request))


@router.get(
    "/{request_id}/files/{file_id}",
    auth=READ,
    summary="Download a file of a request's step",
    openapi_extra={"responses": {200: downloads.openapi("application/octet-stream", "The file's bytes")}},
)
def file(request: AuthedRequest, request_id: UUID, file_id: UUID) -> StreamingHttpResponse:
    """The file's bytes as `application/octet-stream` (listed in the timeline's `files`)."""
    found = services.attachment(request.user, request_id, file_id, client_ip(request))
    response = downloads.download([bytes(found.data)], found.name, size=found.size)
    response["X-Content-SHA256"] = found.sha256
    return response
