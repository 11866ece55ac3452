import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from ncbnet.base import downloads, uploads
from ncbnet.base.actor import Actor
from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import approval, contribution, services
from .models import Contribution, PendingContribution
from .policies import (
    APPROVE_CONTRIBUTIONS,
    CONTRIBUTE,
    EXPORT,
    PENDING_CONTRIBUTIONS,
    READ_REPLICA,
    SUBMIT_FOR_APPROVAL,
)

router = Router(tags=["records"])


class ContributionIn(Schema):
    database: str = Field(description="persons, documents, vehicles, artworks or firearms")
    data: dict[str, Any]
    restriction: dict[str, Any] | None = None


class ContributionOut(Schema):
    id: UUID
    database: str
    status: str
    record_id: UUID | None
    errors: dict[str, Any]
    sent_at: datetime


class ReplicaOut(Schema):
    id: UUID
    database: str
    owner: str
    label: str
    data: dict[str, Any]
    version: int
    handling: str
    handling_note: str


# A record with its photos (up to four of 1 MB each, base64-encoded in the JSON body).
CONTRIBUTION_BODY = uploads.Limit(
    fields=8 * uploads.MB, message=gettext_lazy("A record with its photos is at most 8 MB.")
)


@router.post(
    "/contributions",
    response={202: ContributionOut},
    auth=allow(CONTRIBUTE, Scope.CONTRIBUTIONS, upload=CONTRIBUTION_BODY),
    summary="Contribute a record (the hub checks it and answers)",
)
def contribute(request: AuthedRequest, payload: ContributionIn) -> Status:
    return Status(202, contribution.submit(request.user, payload.database, payload.data, payload.restriction))


@router.get(
    "/contributions/{contribution_id}", response=ContributionOut, auth=allow(CONTRIBUTE, Scope.CONTRIBUTIONS)
)
def contribution_status(request: AuthedRequest, contribution_id: UUID) -> Contribution:
    found = Contribution.objects.filter(pk=contribution_id).first()
    if found is None:
        raise Http404("No such contribution.")
    return found


class AgencySubmissionOut(Schema):
    id: UUID
    database: str
    label: str
    agency: str = Field(alias="agency.name")
    submitted_by: str
    submitted_at: datetime
    state: str = Field(description="pending, approved or returned")
    decided_by: str
    decided_at: datetime | None
    reason: str
    contribution_id: UUID | None = Field(None, description="once approved: the contribution sent to the hub")
    hub_status: str | None = Field(None, alias="contribution.status", description="sent, accepted or refused")
    record_id: UUID | None = Field(None, alias="contribution.record_id")


class AgencySubmissionReturn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


@router.post(
    "/submissions",
    response={202: AgencySubmissionOut},
    auth=allow(SUBMIT_FOR_APPROVAL, upload=CONTRIBUTION_BODY),
    summary="A national agency's user submits a record for their NCB to approve",
)
def submit_for_approval(request: AuthedRequest, payload: ContributionIn) -> Status:
    return Status(202, approval.submit(request.user, payload.database, payload.data, payload.restriction))


@router.get(
    "/submissions",
    response=list[AgencySubmissionOut],
    auth=allow(PENDING_CONTRIBUTIONS),
    summary="An agency's user: their submissions; the NCB's staff: the submissions waiting for approval",
)
@paginate(CursorPagination, ordering=("submitted_at",))
def submissions(request: AuthedRequest) -> Any:
    return approval.listed(request.user)


@router.get("/submissions/{submission_id}", response=AgencySubmissionOut, auth=allow(PENDING_CONTRIBUTIONS))
def submission(request: AuthedRequest, submission_id: UUID) -> PendingContribution:
    return approval.read(request.user, submission_id, client_ip(request))


@router.post(
    "/submissions/{submission_id}/approve",
    response=AgencySubmissionOut,
    auth=allow(APPROVE_CONTRIBUTIONS),
    summary="Approve: the record goes to the hub as the bureau's contribution",
)
def approve_submission(request: AuthedRequest, submission_id: UUID) -> PendingContribution:
    return approval.approve(request.user, submission_id, client_ip(request))


@router.post(
    "/submissions/{submission_id}/return",
    response=AgencySubmissionOut,
    auth=allow(APPROVE_CONTRIBUTIONS),
    summary="Return the submission to its contributor with a reason",
)
def return_submission(
    request: AuthedRequest, submission_id: UUID, payload: AgencySubmissionReturn
) -> PendingContribution:
    return approval.return_(request.user, submission_id, payload.reason, client_ip(request))


@router.get(
    "/replica",
    response=list[ReplicaOut],
    auth=allow(READ_REPLICA, Scope.SCREENING),
    summary="Search this country's replica of the global databases",
)
@paginate(CursorPagination, ordering=("id",))
def replica(request: AuthedRequest, database: str | None = None, q: str = "") -> Any:
    return services.search_replica(request.user, database, q)


@router.get(
    "/export",
    auth=allow(EXPORT),
    summary="Export the records the caller may see, as JSON lines",
    openapi_extra={"responses": {200: downloads.openapi("application/x-ndjson", "One record a line")}},
)
def export(request: AuthedRequest, database: str | None = None) -> StreamingHttpResponse:
    user = request.user
    actor = Actor.of(user)
    lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in services.export(actor, database))
    return StreamingHttpResponse(lines, content_type="application/x-ndjson")
