"""The API of cooperation: groups (the registry's regions and regional bureaus, and the groups a
member defines) and operations with their results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.messaging.models import Message
from ncbnet.security.models import Scope

from ..models.operations import Operation, OperationResult, OperationState, ResultKind
from ..policies import COOPERATE
from ..schemas.requests import Category
from ..services import groups
from ..services import operations as ops

router = Router(tags=["cooperation"])  # /operations
groups_router = Router(tags=["cooperation"])  # /groups


# --- groups --------------------------------------------------------------------------------------


class GroupOut(Schema):
    code: str = Field(description='"region:<code>", "bureau:<code>" or "group:<code>"')
    kind: str = Field(description="region, bureau (from the registry) or defined (by a member)")
    name: str
    members: list[str]
    defined_by: str
    editable: bool


class GroupIn(Schema):
    code: str = Field(min_length=2, max_length=48, description="lower-case letters, digits, hyphens")
    name: str = Field(min_length=1, max_length=200)
    members: list[str] = Field(min_length=1, max_length=196, description="member countries' codes")


class GroupMessageIn(Schema):
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=100_000)


class SentOut(Schema):
    id: UUID
    recipients: list[str]
    subject: str
    created_at: datetime


@groups_router.get(
    "",
    response=list[GroupOut],
    auth=allow(COOPERATE, Scope.READ_MESSAGES),
    summary="Regional and defined groups",
)
def list_groups(
    request: AuthedRequest, q: str = "", kind: Literal["", "region", "bureau", "defined"] = ""
) -> list[groups.GroupView]:
    return groups.search(request.user, q, kind, client_ip(request))


@groups_router.post(
    "", response={201: GroupOut}, auth=allow(COOPERATE, Scope.SEND_MESSAGES), summary="Define a group"
)
def create_group(request: AuthedRequest, payload: GroupIn) -> Status:
    made = groups.create(request.user, payload.code, payload.name, payload.members, client_ip(request))
    return Status(201, made)


@groups_router.get(
    "/{code}",
    response=GroupOut,
    auth=allow(COOPERATE, Scope.READ_MESSAGES),
    summary="A group and its members",
)
def read_group(request: AuthedRequest, code: str) -> groups.GroupView:
    return groups.read(request.user, code, client_ip(request))


@groups_router.post(
    "/{code}",
    response=GroupOut,
    auth=allow(COOPERATE, Scope.SEND_MESSAGES),
    summary="Change a defined group",
)
def edit_group(request: AuthedRequest, code: str, payload: GroupIn) -> groups.GroupView:
    return groups.edit(request.user, code, payload.name, payload.members, client_ip(request))


@groups_router.post(
    "/{code}/message",
    response={201: SentOut},
    auth=allow(COOPERATE, Scope.SEND_MESSAGES),
    summary="Send a message to each member of a group on the network",
)
def message_group(request: AuthedRequest, code: str, payload: GroupMessageIn) -> Status:
    sent: Message = groups.message(request.user, code, payload.subject, payload.body, client_ip(request))
    return Status(201, sent)


# --- operations ----------------------------------------------------------------------------------


class AgencyIn(Schema):
    country: str = Field(min_length=2, max_length=2)
    agency: str = Field(min_length=1, max_length=200)
    contact: str = Field("", max_length=300)


class OperationIn(Schema):
    code_name: str = Field(min_length=1, max_length=100)
    target_crime: str = Field(min_length=1, max_length=300)
    period_start: date
    period_end: date
    participants: list[str] = Field([], max_length=196, description="country codes")
    group: str = Field("", max_length=64, description="or a group whose members take part")
    series: str = Field("", max_length=100)
    coordinating_body: str = Field("", max_length=300)
    agencies: list[AgencyIn] = Field([], max_length=500)
    operational_hub: str = Field("", max_length=200)
    commodities: list[str] = Field([], max_length=30)
    tools: list[str] = Field([], max_length=30, description="database searches, hits, …")
    state: OperationState = OperationState.PLANNED

    def draft(self) -> ops.Draft:
        data = self.dict()
        data["agencies"] = [dict(a) for a in data["agencies"]]
        data["state"] = str(self.state)
        return ops.Draft(**data)


class OperationOut(Schema):
    id: UUID
    code_name: str
    series: str
    coordinator: str
    coordinating_body: str
    participants: list[str]
    group: str
    agencies: list[dict[str, str]]
    period_start: date
    period_end: date
    operational_hub: str
    target_crime: str
    commodities: list[str]
    tools: list[str]
    state: str
    version: int
    created_at: datetime
    updated_at: datetime


class ResultIn(Schema):
    kind: ResultKind
    date: date
    person_name: str = Field("", max_length=300)
    date_of_birth: str = Field("", max_length=10, description="YYYY, YYYY-MM or YYYY-MM-DD")
    nationality: str = Field("", max_length=2)
    notice_subject: bool = False
    notice_id: str = Field("", max_length=64)
    commodity: str = Field("", max_length=100)
    quantity: Decimal | None = Field(None, ge=0)
    unit: str = Field("", max_length=20)
    value_usd: Decimal | None = Field(None, ge=0)
    count: int = Field(1, ge=1, le=1_000_000, description="investigations, sites closed, victims")
    place: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)
    iccs: Category = Field(
        "", description="the crime category: a level-2 code of UNODC's ICCS, such as 0601 (drugs), or empty"
    )

    def draft(self) -> ops.ResultDraft:
        data = self.dict()
        data["kind"] = str(self.kind)
        data["date"] = self.date.isoformat()
        data["quantity"] = "" if self.quantity is None else str(self.quantity)
        data["value_usd"] = "" if self.value_usd is None else str(self.value_usd)
        return ops.ResultDraft(**data)


class OperationResultOut(Schema):
    id: UUID
    operation_id: UUID
    reported_by: str
    reporter_name: str
    kind: str
    person_name: str
    date_of_birth: str
    nationality: str
    notice_subject: bool
    notice_id: str
    commodity: str
    quantity: Decimal | None
    unit: str
    value_usd: Decimal | None
    count: int
    place: str
    date: date
    note: str
    iccs: str = Field(description="the crime category (a level-2 ICCS code), or empty")
    reported_at: datetime
    duplicate_of: UUID | None = Field(description="the result counted in its place, if a duplicate")

    @staticmethod
    def resolve_duplicate_of(obj: OperationResult) -> UUID | None:
        return obj.duplicate_of_id


@router.get(
    "",
    response=list[OperationOut],
    auth=allow(COOPERATE, Scope.READ_MESSAGES),
    summary="Operations",
)
def list_operations(
    request: AuthedRequest, q: str = "", state: str = "", series: str = ""
) -> list[Operation]:
    found = ops.search(request.user, ops.Filters(q=q, state=state, series=series), client_ip(request))
    return list(found[:500])


@router.post(
    "",
    response={201: OperationOut},
    auth=allow(COOPERATE, Scope.SEND_MESSAGES),
    summary="Create an operation",
)
def create_operation(request: AuthedRequest, payload: OperationIn) -> Status:
    return Status(201, ops.create(request.user, payload.draft(), client_ip(request)))


@router.get(
    "/{operation_id}",
    response=OperationOut,
    auth=allow(COOPERATE, Scope.READ_MESSAGES),
    summary="An operation",
)
def read_operation(request: AuthedRequest, operation_id: UUID) -> Operation:
    return ops.read(request.user, operation_id, client_ip(request))


@router.post(
    "/{operation_id}",
    response=OperationOut,
    auth=allow(COOPERATE, Scope.SEND_MESSAGES),
    summary="Update or finish an operation (its coordinator only)",
)
def update_operation(request: AuthedRequest, operation_id: UUID, payload: OperationIn) -> Operation:
    return ops.update(request.user, operation_id, payload.draft(), client_ip(request))


@router.post(
    "/{operation_id}/results",
    response={201: OperationResultOut},
    auth=allow(COOPERATE, Scope.SEND_MESSAGES),
    summary="Report a result (a bureau in the operation)",
)
def report_result(request: AuthedRequest, operation_id: UUID, payload: ResultIn) -> Status:
    return Status(201, ops.report(request.user, operation_id, payload.draft(), client_ip(request)))


class SeizedOut(Schema):
    commodity: str
    unit: str
    quantity: Decimal
    value_usd: Decimal
    seizures: int


class TotalsOut(Schema):
    arrests: int
    notice_subjects: int
    investigations: int
    sites_closed: int
    victims: int
    seizures: int
    duplicates: int


class ResultsOut(Schema):
    results: list[OperationResultOut]
    totals: TotalsOut
    by_country: dict[str, TotalsOut]
    by_commodity: list[SeizedOut]
    arrests_by_nationality: dict[str, int]


@router.get(
    "/{operation_id}/results",
    response=ResultsOut,
    auth=allow(COOPERATE, Scope.READ_MESSAGES),
    summary="The results, duplicates marked, with totals by country and commodity (format=csv: CSV)",
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def list_results(
    request: AuthedRequest, operation_id: UUID, format: Literal["json", "csv"] = "json"
) -> HttpResponse | dict[str, object]:
    if format == "csv":
        op, text = ops.results_csv(request.user, operation_id, client_ip(request))
        return csv_response(op, text)
    _op, found, summary = ops.totals(request.user, operation_id, client_ip(request))
    return {
        "results": found,
        "totals": summary.overall,
        "by_country": summary.by_country,
        "by_commodity": summary.by_commodity,
        "arrests_by_nationality": summary.by_nationality,
    }


def csv_response(op: Operation, text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = "".join(c if c.isalnum() else "-" for c in op.code_name)[:60] or "operation"
    response["Content-Disposition"] = f'attachment; filename="{name}-results.csv"'
    return response
