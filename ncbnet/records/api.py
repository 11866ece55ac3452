import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import CursorPagination, paginate

from ncbnet.base import downloads, holdings, uploads
from ncbnet.base.actor import Actor
from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import approval, contribution, imports, lifecycle, services
from .models import BulkImport, Contribution, PendingContribution, RecordChange
from .policies import (
    APPROVE_CONTRIBUTIONS,
    CHANGE_OWN,
    CONTRIBUTE,
    EXPORT,
    PENDING_CONTRIBUTIONS,
    READ_RECORDS,
    READ_REPLICA,
    SUBMIT_FOR_APPROVAL,
)
from .schemas import Filters

router = Router(tags=["records"])


class ContributionIn(Schema):
    database: str = Field(description="persons, documents, vehicles, artworks or firearms")
    data: dict[str, Any] = Field(
        description="the database's fields; with `iccs`, the crime category: a level-2 code of "
        "UNODC's ICCS such as 0502 (Theft), checked by the hub (a section such as 05, or a "
        "more detailed code such as 05021, is refused)"
    )
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
    iccs: str = Field(description="the crime category (a level-2 ICCS code), or empty")


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


class RecordListOut(Schema):
    id: UUID
    database: str
    owner: str
    label: str
    iccs: str = Field(description="the crime category (a level-2 ICCS code), or empty")
    version: int
    handling: str
    updated_at: datetime
    retain_until: datetime
    status: str = Field("live", description="live, or withdrawn (at the hub only)")


class RecordChangeIn(Schema):
    data: dict[str, Any] | None = Field(
        None, description="the record's data as a whole, as contributed (with its `iccs` category, if any)"
    )
    restriction: dict[str, Any] | None = Field(
        None,
        description="a new restriction, whole: access, countries, handling, handling_note, notify_on_view",
    )
    reason: str = Field("", max_length=2000, description="why (kept with the record's version)")


class RecordReasonIn(Schema):
    reason: str = Field(max_length=2000)


class RecordChangeOut(Schema):
    id: UUID
    record_id: UUID
    action: str
    status: str = Field(description="sent, accepted or refused")
    version: int | None
    errors: dict[str, Any]
    sent_at: datetime


def _filters(
    owner: str, status: str, updated_since: datetime | None, updated_before: datetime | None
) -> Filters:
    if status not in ("live", "withdrawn", "any"):
        raise ValidationError({"status": "live, withdrawn or any"})
    return Filters(owner=owner.upper(), status=status, since=updated_since, until=updated_before)  # type: ignore[arg-type]


@router.get(
    "/replica",
    response=list[ReplicaOut],
    auth=allow(READ_REPLICA, Scope.SCREENING),
    summary="Search this country's replica of the global databases",
)
@paginate(CursorPagination, ordering=("id",))
def replica(
    request: AuthedRequest,
    database: str | None = None,
    q: str = "",
    owner: str = "",
    updated_since: datetime | None = None,
    updated_before: datetime | None = None,
) -> Any:
    return services.search_replica(
        request.user, database, q, _filters(owner, "live", updated_since, updated_before)
    )


@router.get(
    "",
    response=list[RecordListOut],
    auth=allow(READ_RECORDS, Scope.SCREENING),
    summary="List the records this node holds that the caller may see, with filters",
)
@paginate(CursorPagination, ordering=("-updated_at", "id"))
def records(
    request: AuthedRequest,
    database: str | None = None,
    q: str = "",
    owner: str = "",
    status: str = "live",
    updated_since: datetime | None = None,
    updated_before: datetime | None = None,
) -> Any:
    return holdings.here().search(
        request.user, database, q, _filters(owner, status, updated_since, updated_before)
    )


@router.get("/changes/{change_id}", response=RecordChangeOut, auth=allow(CHANGE_OWN, Scope.CONTRIBUTIONS))
def change_status(request: AuthedRequest, change_id: UUID) -> RecordChange:
    found = RecordChange.objects.filter(pk=change_id).first()
    if found is None:
        raise Http404("No such change.")
    return found


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


class BulkContributionIn(Schema):
    database: str = Field(description="persons, documents, vehicles, artworks or firearms")
    restriction: str = Field(
        "", description='for every row, as JSON: {"access": "deny", "countries": ["BR"]}'
    )


class BulkContributionOut(Schema):
    id: UUID
    database: str
    filename: str
    status: str = Field(description="reading, sending or done")
    rows: int = Field(description="rows read from the file")
    sent: int = Field(description="rows sent to the hub")
    accepted: int
    refused: int = Field(description="rows refused by the hub, or unreadable on this node")
    started_at: datetime
    finished_at: datetime | None


def _restriction_of(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError({"restriction": [f"not JSON: {exc.msg}"]}) from exc
    if not isinstance(value, dict):
        raise ValidationError({"restriction": ["a JSON object"]})
    return value


@router.post(
    "/bulk",
    response={202: BulkContributionOut},
    auth=allow(CONTRIBUTE, Scope.CONTRIBUTIONS, upload=imports.UPLOAD),
    summary="Contribute a file of records (CSV with a header, or JSON lines) as one bulk contribution",
)
def bulk_submit(request: AuthedRequest, file: File[UploadedFile], form: Form[BulkContributionIn]) -> Status:
    restriction = _restriction_of(form.restriction)
    job = imports.submit(request.user, form.database, file.name or "records", file, restriction)
    return Status(202, job)


@router.get(
    "/bulk",
    response=list[BulkContributionOut],
    auth=allow(CONTRIBUTE, Scope.CONTRIBUTIONS),
    summary="This bureau's bulk contributions, the newest first",
)
@paginate(CursorPagination, ordering=("-started_at", "-id"))
def bulk_list(request: AuthedRequest) -> Any:
    return imports.visible()


@router.get(
    "/bulk/{job_id}",
    response=BulkContributionOut,
    auth=allow(CONTRIBUTE, Scope.CONTRIBUTIONS),
    summary="A bulk contribution's progress",
)
def bulk_progress(request: AuthedRequest, job_id: UUID) -> BulkImport:
    return imports.get(job_id)


@router.get(
    "/bulk/{job_id}/outcome",
    auth=allow(CONTRIBUTE, Scope.CONTRIBUTIONS),
    summary="Each row's outcome as CSV: row, status, record_id, errors",
    openapi_extra={"responses": {200: downloads.openapi("text/csv", "The outcome, as CSV")}},
)
def bulk_outcome(request: AuthedRequest, job_id: UUID) -> StreamingHttpResponse:
    job = imports.get(job_id)
    imports.download(request.user, job)
    name = f"contribution-{job.pk}-outcome.csv"
    return downloads.download(imports.outcome_lines(job), name, content_type="text/csv; charset=utf-8")


# The routes of one record come last: `/{record_id}` would otherwise take `/export`.


@router.patch(
    "/{record_id}",
    response={202: RecordChangeOut},
    auth=allow(CHANGE_OWN, Scope.CONTRIBUTIONS, upload=CONTRIBUTION_BODY),
    summary="Edit one of this bureau's records or change its restriction (the hub decides)",
)
def change(request: AuthedRequest, record_id: UUID, payload: RecordChangeIn) -> Status:
    if payload.data is None and payload.restriction is None:
        raise ValidationError({"data": "Give the record's data, its restriction, or both."})
    action = "edit" if payload.data is not None else "restrict"
    return Status(
        202,
        lifecycle.submit(
            request.user,
            record_id,
            action,
            data=payload.data,
            restriction=payload.restriction,
            reason=payload.reason,
        ),
    )


@router.post(
    "/{record_id}/withdraw",
    response={202: RecordChangeOut},
    auth=allow(CHANGE_OWN, Scope.CONTRIBUTIONS),
    summary="Withdraw one of this bureau's records from every replica (the hub keeps it until purged)",
)
def withdraw(request: AuthedRequest, record_id: UUID, payload: RecordReasonIn) -> Status:
    return Status(202, lifecycle.submit(request.user, record_id, "withdraw", reason=payload.reason))


@router.post(
    "/{record_id}/extend",
    response={202: RecordChangeOut},
    auth=allow(CHANGE_OWN, Scope.CONTRIBUTIONS),
    summary="Keep one of this bureau's records for another retention period, with a reason",
)
def extend(request: AuthedRequest, record_id: UUID, payload: RecordReasonIn) -> Status:
    return Status(202, lifecycle.submit(request.user, record_id, "extend", reason=payload.reason))
