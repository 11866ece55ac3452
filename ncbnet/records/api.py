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

from ncbnet.base import downloads, uploads
from ncbnet.base.actor import Actor
from ncbnet.base.api import allow
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import contribution, imports, services
from .models import BulkImport, Contribution
from .policies import CONTRIBUTE, EXPORT, READ_REPLICA

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
