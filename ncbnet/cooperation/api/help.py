"""The API of help requests (/api/v1/cooperation/help-requests): a national agency asks its NCB
for international help; the bureau's staff send it abroad as requests or return it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.db.models import QuerySet
from ninja import Field, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.messaging.models import Handling
from ncbnet.security.models import Scope

from ..models.requests import Access, Kind, UrgencyGround
from ..models.tasks import HelpRequest
from ..policies import AGENCY, COOPERATE, NATIONAL
from ..services import help as services

router = Router(tags=["cooperation"])


class HelpSubjectIn(Schema):
    type: Literal["person", "object"]
    name: str = Field("", max_length=300)
    date_of_birth: str = Field("", max_length=10)
    sex: Literal["", "F", "M", "U"] = ""
    nationality: str = Field("", max_length=2)
    description: str = Field("", max_length=2000)
    record_id: str | None = Field(None, max_length=64)
    notice_id: str | None = Field(None, max_length=64)
    hit_id: str | None = Field(None, max_length=64)


class HelpIn(Schema):
    kind: Literal["help", "public_information"] = "help"
    title: str = Field(min_length=1, max_length=300)
    details: str = Field(min_length=1, max_length=services.MAX_DETAILS)
    purpose: str = Field(min_length=1, max_length=1000)
    legal_basis: str = Field(min_length=1, max_length=500)
    countries: list[str] = Field(min_length=1, max_length=services.MAX_COUNTRIES)
    subjects: list[HelpSubjectIn] = Field([], max_length=20)
    urgent: bool = False
    urgency_ground: UrgencyGround | Literal[""] = ""


class SendIn(Schema):
    """How the officer sends it: the request's kind, action, access and handling code, and any
    field of the agency's that the officer corrects (left out: as the agency wrote it)."""

    request_kind: Kind = Kind.INFORMATION
    action: str = Field("", max_length=16)
    access: Access = Access.DIRECT
    handling: Handling = Handling.H1
    handling_note: str = Field("", max_length=500)
    title: str | None = Field(None, min_length=1, max_length=300)
    details: str | None = Field(None, min_length=1, max_length=services.MAX_DETAILS)
    purpose: str | None = Field(None, min_length=1, max_length=1000)
    legal_basis: str | None = Field(None, min_length=1, max_length=500)
    countries: list[str] | None = Field(None, min_length=1, max_length=services.MAX_COUNTRIES)
    subjects: list[HelpSubjectIn] | None = Field(None, max_length=20)
    urgent: bool | None = None
    urgency_ground: UrgencyGround | Literal[""] | None = None


class ReturnIn(Schema):
    reason: str = Field(min_length=1, max_length=10_000)


class AnswerOut(Schema):
    at: datetime
    kind: str = Field(description="answered or refused")
    handling: str
    withheld: bool = Field(description="H2 or H3: the text is withheld from the agency (ask your NCB)")
    text: str
    ground: str


class OutcomeOut(Schema):
    request_id: UUID
    country: str
    state: str
    state_label: str
    answers: list[AnswerOut]


class HelpOut(Schema):
    id: UUID
    agency_id: int
    agency: str
    kind: str
    title: str
    details: str
    purpose: str
    legal_basis: str
    countries: list[str]
    subjects: list[dict[str, Any]]
    urgent: bool
    urgency_ground: str
    state: str
    return_reason: str
    created_at: datetime
    reviewed_at: datetime | None
    requests: list[OutcomeOut]

    @staticmethod
    def resolve_agency(obj: HelpRequest) -> str:
        return obj.agency.name

    @staticmethod
    def resolve_requests(obj: HelpRequest, context: Any) -> list[services.Outcome]:
        return services.outcomes(context["request"].user, obj)


def _subjects(items: list[HelpSubjectIn] | None) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    return [s.dict(exclude_defaults=True) for s in items]


@router.post(
    "",
    response={201: HelpOut},
    auth=allow(AGENCY, Scope.SEND_MESSAGES),
    summary="Ask your NCB for international help (agency users)",
)
def submit(request: AuthedRequest, payload: HelpIn) -> Status:
    draft = services.Draft(
        title=payload.title,
        details=payload.details,
        purpose=payload.purpose,
        legal_basis=payload.legal_basis,
        countries=payload.countries,
        kind=payload.kind,
        subjects=_subjects(payload.subjects) or [],
        urgent=payload.urgent,
        urgency_ground=str(payload.urgency_ground),
    )
    return Status(201, services.submit(request.user, draft, client_ip(request)))


@router.get(
    "",
    response=list[HelpOut],
    auth=allow(NATIONAL, Scope.READ_MESSAGES),
    summary="Help requests (an agency's own; for the bureau's staff, the review list)",
)
@paginate(CursorPagination, ordering=("-created_at",))
def list_help(
    request: AuthedRequest, q: str = "", state: str = "", kind: str = "", urgent: bool = False
) -> QuerySet[HelpRequest]:
    f = services.Filters(q=q, state=state, kind=kind, urgent=urgent)
    return services.search(request.user, f, client_ip(request))


@router.get(
    "/{help_id}", response=HelpOut, auth=allow(NATIONAL, Scope.READ_MESSAGES), summary="Read a help request"
)
def read(request: AuthedRequest, help_id: UUID) -> HelpRequest:
    return services.read(request.user, help_id, client_ip(request))


@router.post(
    "/{help_id}/send",
    response=HelpOut,
    auth=allow(COOPERATE, Scope.SEND_MESSAGES),
    summary="Send a help request abroad as requests (the bureau's staff)",
)
def send(request: AuthedRequest, help_id: UUID, payload: SendIn) -> HelpRequest:
    review = services.Review(
        request_kind=payload.request_kind,
        action=payload.action,
        access=payload.access,
        handling=payload.handling,
        handling_note=payload.handling_note,
        title=payload.title,
        details=payload.details,
        purpose=payload.purpose,
        legal_basis=payload.legal_basis,
        countries=payload.countries,
        subjects=_subjects(payload.subjects),
        urgent=payload.urgent,
        urgency_ground=None if payload.urgency_ground is None else str(payload.urgency_ground),
    )
    return services.send(request.user, help_id, review, client_ip(request))


@router.post(
    "/{help_id}/return",
    response=HelpOut,
    auth=allow(COOPERATE, Scope.SEND_MESSAGES),
    summary="Return a help request to its agency with the reason",
)
def return_(request: AuthedRequest, help_id: UUID, payload: ReturnIn) -> HelpRequest:
    return services.return_to_agency(request.user, help_id, payload.reason, client_ip(request))
