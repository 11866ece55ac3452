"""The API of cooperation: cases (cross-border investigations shared by the participating bureaus).
Reading needs the `read_messages` scope, changing `send_messages`."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from ncbnet.base import uploads
from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from ..models.cases import Case, CaseEntry, CaseStatus, CaseTask, EntryKind, Permission, Severity, TaskState
from ..policies import COOPERATE
from ..services import cases as services

router = Router(tags=["cooperation"])

READ = allow(COOPERATE, Scope.READ_MESSAGES)
CHANGE = allow(COOPERATE, Scope.SEND_MESSAGES)
# An entry's file (2 MB) arrives base64-encoded in the JSON body.
ENTRY_BODY = uploads.Limit(
    fields=3 * uploads.MB,
    message=gettext_lazy("A file in a case is limited to 2 MB; send larger ones as a message."),
)


class CaseIn(Schema):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=services.MAX_TEXT)
    severity: Severity = Severity.MEDIUM
    template: str = Field("", max_length=100)
    participants: dict[str, str] = Field(
        default_factory=dict, description='Other bureaus and their permission: {"BR": "contribute"}'
    )


class ShareIn(Schema):
    participants: dict[str, Permission | str] = Field(
        description='Bureaus and their permission (read, contribute, manage); "" removes a bureau'
    )


class CaseFileIn(Schema):
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=100)
    data: str = Field(description="The file, base64-encoded (at most 2 MB)")


class EntryIn(Schema):
    kind: EntryKind
    text: str = Field("", max_length=services.MAX_TEXT)
    ref: str = Field("", max_length=64, description="The id of the request, hit, record or notice it links")
    file: CaseFileIn | None = None


class CaseTaskIn(Schema):
    title: str = Field(min_length=1, max_length=300)
    assignee_node: str = Field("", max_length=3, description="A participant bureau")
    assignee_name: str = Field("", max_length=200)
    due_at: datetime | None = None
    mandatory: bool = False


class TaskUpdateIn(Schema):
    state: TaskState | None = None
    note: str = Field("", max_length=10_000)
    due_at: datetime | None = None


class StatusIn(Schema):
    status: CaseStatus
    outcome: str = Field("", max_length=services.MAX_TEXT)


class CloseIn(Schema):
    outcome: str = Field(min_length=1, max_length=services.MAX_TEXT)


class ParticipantOut(Schema):
    node: str
    permission: str
    added_at: datetime
    added_by: str


class CaseTaskOut(Schema):
    id: UUID
    title: str
    assignee_node: str
    assignee_name: str
    due_at: datetime | None
    mandatory: bool
    state: str
    created_by_node: str
    created_at: datetime
    updated_at: datetime
    log: list[dict[str, Any]]


class CaseEntryOut(Schema):
    id: UUID
    kind: str
    text: str
    ref: str
    author_name: str
    author_node: str
    at: datetime
    file_name: str
    file_type: str
    file_size: int
    file_sha256: str


class CaseOut(Schema):
    id: UUID
    owner: str
    created_by: str
    title: str
    description: str
    severity: str
    status: str
    outcome: str
    template: str
    created_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    time_to_acknowledge_seconds: float | None = None
    time_to_resolve_seconds: float | None = None
    participants: list[ParticipantOut]

    @staticmethod
    def resolve_participants(obj: Case) -> list[Any]:
        return list(obj.participants.all())

    @staticmethod
    def resolve_time_to_acknowledge_seconds(obj: Case) -> float | None:
        span = obj.time_to_acknowledge
        return None if span is None else span.total_seconds()

    @staticmethod
    def resolve_time_to_resolve_seconds(obj: Case) -> float | None:
        span = obj.time_to_resolve
        return None if span is None else span.total_seconds()


class CaseDetailOut(CaseOut):
    tasks: list[CaseTaskOut]

    @staticmethod
    def resolve_tasks(obj: Case) -> list[Any]:
        return list(obj.tasks.all())


@router.post("", response={201: CaseOut}, auth=CHANGE, summary="Create a case and share it")
def create(request: AuthedRequest, payload: CaseIn) -> Status:
    draft = services.Draft(**payload.dict())
    return Status(201, services.create(request.user, draft, client_ip(request)))


@router.get("", response=list[CaseOut], auth=READ, summary="The cases this bureau takes part in")
@paginate(CursorPagination, ordering=("-updated_at",))
def list_cases(request: AuthedRequest, q: str = "", status: str = "", severity: str = "") -> QuerySet[Case]:
    f = services.Filters(q=q.strip(), status=status, severity=severity)
    return services.search(request.user, f, client_ip(request)).prefetch_related("participants")


@router.get("/{case_id}", response=CaseDetailOut, auth=READ, summary="Read a case")
def read(request: AuthedRequest, case_id: UUID) -> Case:
    return services.read(request.user, case_id, client_ip(request))


@router.post("/{case_id}/share", response=CaseOut, auth=CHANGE, summary="Add, change or remove participants")
def share(request: AuthedRequest, case_id: UUID, payload: ShareIn) -> Case:
    changes = {node: str(permission) for node, permission in payload.participants.items()}
    return services.share(request.user, case_id, changes, client_ip(request))


def _upload(file: CaseFileIn | None) -> services.Upload | None:
    if file is None:
        return None
    try:
        data = base64.b64decode(file.data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({"file.data": "not base64"}) from exc
    return services.Upload(file.name, file.content_type, data)


@router.post(
    "/{case_id}/entries",
    response={201: CaseEntryOut},
    auth=allow(COOPERATE, Scope.SEND_MESSAGES, upload=ENTRY_BODY),
    summary="Add an entry to the case's timeline",
)
def add_entry(request: AuthedRequest, case_id: UUID, payload: EntryIn) -> Status:
    entry = services.add_entry(
        request.user,
        case_id,
        payload.kind,
        payload.text,
        payload.ref,
        _upload(payload.file),
        client_ip(request),
    )
    return Status(201, entry)


@router.get("/{case_id}/entries", response=list[CaseEntryOut], auth=READ, summary="The case's timeline")
def list_entries(request: AuthedRequest, case_id: UUID) -> QuerySet[CaseEntry]:
    return services.entries(request.user, case_id, client_ip(request))


@router.post("/{case_id}/tasks", response={201: CaseTaskOut}, auth=CHANGE, summary="Add a task to the case")
def add_task(request: AuthedRequest, case_id: UUID, payload: CaseTaskIn) -> Status:
    task = services.add_task(
        request.user,
        case_id,
        payload.title,
        assignee_node=payload.assignee_node,
        assignee_name=payload.assignee_name,
        due_at=payload.due_at,
        mandatory=payload.mandatory,
        ip=client_ip(request),
    )
    return Status(201, task)


@router.post(
    "/{case_id}/tasks/{task_id}",
    response=CaseTaskOut,
    auth=CHANGE,
    summary="Update a task: done, cancelled, a note",
)
def update_task(request: AuthedRequest, case_id: UUID, task_id: UUID, payload: TaskUpdateIn) -> CaseTask:
    return services.update_task(
        request.user,
        case_id,
        task_id,
        state=str(payload.state) if payload.state else "",
        note=payload.note,
        due_at=payload.due_at,
        ip=client_ip(request),
    )


@router.post("/{case_id}/status", response=CaseOut, auth=CHANGE, summary="Activate, suspend or resume")
def change_status(request: AuthedRequest, case_id: UUID, payload: StatusIn) -> Case:
    return services.change_status(request.user, case_id, payload.status, payload.outcome, client_ip(request))


@router.post("/{case_id}/close", response=CaseOut, auth=CHANGE, summary="Close the case with its outcome")
def close(request: AuthedRequest, case_id: UUID, payload: CloseIn) -> Case:
    return services.close(request.user, case_id, payload.outcome, client_ip(request))
