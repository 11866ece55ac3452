"""The API of national tasks (/api/v1/cooperation/tasks): the bureau tasks its national agencies;
an agency's users (or the bureau's national systems) acknowledge, report, answer or decline them."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from ncbnet.base import downloads, uploads
from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from ..models.tasks import Task, TaskEvent, TaskFile
from ..policies import COOPERATE, NATIONAL, TASK_ACT
from ..services import tasks as services

router = Router(tags=["cooperation"])

# Evidence arrives base64-encoded in the JSON body: 10 MB of files is about 14 MB of text.
TASK_BODY = uploads.Limit(
    fields=15 * uploads.MB,
    message=gettext_lazy("The files of a task are limited to 10 MB in all."),
)


class TaskFileIn(Schema):
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=100)
    data: str = Field(description="The file, base64-encoded")


class NationalTaskIn(Schema):
    parent_kind: Literal["request", "hit", "case"]
    parent_id: UUID
    agency_id: int = Field(description="One of this bureau's national agencies")
    action: str = Field(min_length=1, max_length=300, description="What the agency is to do")
    legal_basis: str = Field(min_length=1, max_length=500)
    details: str = Field(min_length=1, max_length=services.MAX_TEXT)
    due_at: datetime | None = Field(
        None,
        description=f"Default: {services.TASK_SHARE:.0%} of the parent's remaining time (a case: 7 days)",
    )
    files: list[TaskFileIn] = Field([], max_length=services.MAX_FILES)


class TaskTextIn(Schema):
    text: str = Field("", max_length=services.MAX_TEXT)


class ReportIn(Schema):
    text: str = Field(min_length=1, max_length=services.MAX_TEXT)
    files: list[TaskFileIn] = Field([], max_length=services.MAX_FILES)


class DeclineIn(Schema):
    reason: str = Field(min_length=1, max_length=services.MAX_TEXT)


class TaskEventOut(Schema):
    id: UUID
    kind: str
    at: datetime
    by: str
    text: str

    @staticmethod
    def resolve_by(obj: TaskEvent) -> str:
        return obj.by_name


class TaskFileOut(Schema):
    id: UUID
    name: str
    content_type: str
    size: int
    sha256: str
    event_id: UUID


class NationalTaskOut(Schema):
    id: UUID
    parent_kind: str
    parent_id: UUID
    parent_title: str
    parent_due_at: datetime | None
    agency_id: int
    agency: str
    action: str
    legal_basis: str
    details: str
    due_at: datetime
    late_for_parent: bool
    warning: str = Field(description="Said when the task is due after its parent's deadline")
    state: str
    created_at: datetime
    acknowledged_at: datetime | None
    answered_at: datetime | None
    result: str
    decline_reason: str
    events: list[TaskEventOut]
    files: list[TaskFileOut]

    @staticmethod
    def resolve_agency(obj: Task) -> str:
        return obj.agency.name

    @staticmethod
    def resolve_warning(obj: Task) -> str:
        if not obj.late_for_parent:
            return ""
        return _("This task is due after the deadline of what it is for.")

    @staticmethod
    def resolve_events(obj: Task) -> list[TaskEvent]:
        return list(obj.events.all())

    @staticmethod
    def resolve_files(obj: Task) -> list[TaskFile]:
        return list(obj.files.defer("data"))


def _uploads(files: list[TaskFileIn]) -> list[services.Upload]:
    out = []
    for i, f in enumerate(files):
        try:
            data = base64.b64decode(f.data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError({f"files.{i}.data": _("Not base64.")}) from exc
        out.append(services.Upload(f.name, f.content_type, data))
    return out


@router.post(
    "",
    response={201: NationalTaskOut},
    auth=allow(COOPERATE, Scope.SEND_MESSAGES, upload=TASK_BODY),
    summary="Task one of this bureau's national agencies",
)
def create(request: AuthedRequest, payload: NationalTaskIn) -> Status:
    draft = services.Draft(
        parent_kind=payload.parent_kind,
        parent_id=str(payload.parent_id),
        agency_id=payload.agency_id,
        action=payload.action,
        legal_basis=payload.legal_basis,
        details=payload.details,
        due_at=payload.due_at,
    )
    task = services.create(request.user, draft, _uploads(payload.files), client_ip(request))
    return Status(201, task)


@router.get(
    "",
    response=list[NationalTaskOut],
    auth=allow(NATIONAL, Scope.READ_MESSAGES),
    summary="The tasks (an agency's users: their agency's only)",
)
@paginate(CursorPagination, ordering=("-created_at",))
def list_tasks(
    request: AuthedRequest,
    q: str = "",
    state: str = "",
    agency: str = "",
    parent_kind: str = "",
    open_only: bool = False,
    overdue: bool = False,
) -> QuerySet[Task]:
    f = services.Filters(
        q=q, state=state, agency=agency, parent_kind=parent_kind, open_only=open_only, overdue=overdue
    )
    return services.search(request.user, f, client_ip(request)).prefetch_related("events", "files")


@router.get(
    "/{task_id}", response=NationalTaskOut, auth=allow(NATIONAL, Scope.READ_MESSAGES), summary="Read a task"
)
def read(request: AuthedRequest, task_id: UUID) -> Task:
    return services.read(request.user, task_id, client_ip(request))


@router.get(
    "/{task_id}/files/{file_id}",
    auth=allow(NATIONAL, Scope.READ_MESSAGES),
    summary="Download a file of a task",
    openapi_extra={"responses": {200: downloads.openapi("application/octet-stream", "The file's bytes")}},
)
def download(request: AuthedRequest, task_id: UUID, file_id: UUID) -> StreamingHttpResponse:
    found = services.read_file(request.user, task_id, file_id, client_ip(request))
    response = downloads.download([bytes(found.data)], found.name, size=found.size)
    response["X-Content-SHA256"] = found.sha256
    return response


@router.post(
    "/{task_id}/acknowledge",
    response=NationalTaskOut,
    auth=allow(TASK_ACT, Scope.SEND_MESSAGES),
    summary="Acknowledge a task given to your agency",
)
def acknowledge(request: AuthedRequest, task_id: UUID, payload: TaskTextIn) -> Task:
    return services.acknowledge(request.user, task_id, payload.text, client_ip(request))


@router.post(
    "/{task_id}/report",
    response=NationalTaskOut,
    auth=allow(TASK_ACT, Scope.SEND_MESSAGES, upload=TASK_BODY),
    summary="Report progress on a task",
)
def report(request: AuthedRequest, task_id: UUID, payload: ReportIn) -> Task:
    return services.report(request.user, task_id, payload.text, _uploads(payload.files), client_ip(request))


@router.post(
    "/{task_id}/answer",
    response=NationalTaskOut,
    auth=allow(TASK_ACT, Scope.SEND_MESSAGES, upload=TASK_BODY),
    summary="Answer a task with its results and evidence",
)
def answer(request: AuthedRequest, task_id: UUID, payload: ReportIn) -> Task:
    return services.answer(request.user, task_id, payload.text, _uploads(payload.files), client_ip(request))


@router.post(
    "/{task_id}/decline",
    response=NationalTaskOut,
    auth=allow(TASK_ACT, Scope.SEND_MESSAGES),
    summary="Report that a task cannot be done, with the reason",
)
def decline(request: AuthedRequest, task_id: UUID, payload: DeclineIn) -> Task:
    return services.decline(request.user, task_id, payload.reason, client_ip(request))
