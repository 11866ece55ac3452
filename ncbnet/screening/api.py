from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BaseModel, ConfigDict

from ncbnet.base import downloads
from ncbnet.base.api import allow
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import manifests, mrz, services
from .forms import MANIFEST_UPLOAD
from .models import Manifest
from .policies import SCREEN
from .schemas import Result

router = Router(tags=["screening"])


class ContextIn(Schema):
    """Why and where: sent with every hit report to the record's owner and the GS."""

    reason: str = Field("", max_length=200, description="why this screening (border check, investigation …)")
    place: str = Field("", max_length=200, description="where (border crossing, airport, city)")
    urgent: bool = Field(
        False, description="the person or object is here now: the owner answers within 10 minutes"
    )

    def context(self) -> dict[str, Any]:
        return {"reason": self.reason, "place": self.place, "urgent": self.urgent}


class PersonIn(ContextIn):
    name: str = Field(min_length=1, max_length=300, description="in any script, in any order")
    date_of_birth: str = Field("", max_length=10, description="1980, 1980-05 or 1980-05-12")
    sex: str = Field("", pattern="^[FMXU]?$")
    nationality: str = Field("", max_length=2)


class DocumentIn(ContextIn):
    number: str = Field(min_length=1, max_length=60)
    issuing_country: str = Field("", max_length=2)


class Plain(BaseModel):
    """A schema validated by pydantic alone, for what a batch holds a thousand of: Ninja's `Schema`
    reads every object through a getter in Python (its `DjangoGetter`), which for a batch of 1,000
    lookups cost more than the lookups (its ORM conveniences are not needed here: the data are
    JSON in, and dataclasses and dicts out)."""

    model_config = ConfigDict(from_attributes=True)


class DocumentQuery(Plain):
    number: str = Field(min_length=1, max_length=60)
    issuing_country: str = Field("", max_length=2)


class DocumentsIn(ContextIn):
    documents: list[DocumentQuery] = Field(min_length=1, max_length=1000)


class MRZIn(ContextIn):
    mrz: str = Field(
        min_length=60, max_length=200, description="The lines of the zone, separated by newlines"
    )


class VehicleIn(ContextIn):
    vin: str = Field("", max_length=30)
    plate: str = Field("", max_length=20)


class FirearmIn(ContextIn):
    serial_number: str = Field(min_length=1, max_length=60)
    make: str = Field("", max_length=60)


class ArtworkIn(ContextIn):
    text: str = Field(min_length=3, max_length=300, description="title, artist or description")


class OutstandingNoticeOut(Plain):
    """A notice out for the person found (`screening.outstanding`)."""

    id: UUID = Field(description="the notice (GET /api/v1/notices/{id})")
    kind: str = Field(description="red, yellow, blue, black, green, orange, purple, silver or unsc")
    kind_label: str
    title: str
    owner: str = Field(description="the NCB that requested the notice or sent the diffusion")
    source: str = Field(description="notice (published by the GS) or diffusion (sent by the owner NCB)")
    asked: str = Field(description="what the notice asks: locate and arrest, locate, information …")
    next: str = Field(description="what to do next, once the owner NCB has confirmed the match")


class MatchOut(Plain):
    """A possible match (`hits.schemas.Hit`), reported to its owner for confirmation: a record,
    or the subject of a notice (database "notices", `record` the notice's id)."""

    record: UUID
    database: str
    owner: str = Field(description="the owner NCB's country, who confirms or denies the hit")
    label: str
    data: dict[str, Any] = Field(description="the record's fields (not its photos)")
    handling: str
    matched: str = Field(description="what matched, in a few words")
    score: float
    explanation: list[str] = Field(description="why it matched, one line a reason")
    status: str
    report: UUID | None = Field(description="the hit report to the owner (GET /api/v1/hits/{id})")
    due_at: str | None = Field(description="when the owner's answer is due (ISO 8601)")
    notices: list[OutstandingNoticeOut] = Field(
        description="the notices out for this person: still a possible match, awaiting the owner"
    )


class ResultOut(Plain):
    query: dict[str, Any]
    problems: list[str]
    hits: list[MatchOut]
    possible: list[MatchOut] = Field(
        description="possible matches below the threshold (persons): shown with why, never reported"
    )


@router.post(
    "/persons",
    response=ResultOut,
    auth=allow(SCREEN, Scope.SCREENING),
    summary="Screen a person by name (any script), with date of birth, sex and nationality as qualifiers",
)
def person(request: AuthedRequest, payload: PersonIn) -> Result:
    try:
        found = services.person(
            request.user,
            payload.name,
            payload.date_of_birth,
            payload.sex,
            payload.nationality,
            context=payload.context(),
        )
    except ValueError as exc:
        raise ValidationError({"date_of_birth": str(exc)}) from exc
    return found


@router.post(
    "/documents",
    response=ResultOut,
    auth=allow(SCREEN, Scope.SCREENING),
    summary="Screen a travel document number",
)
def document(request: AuthedRequest, payload: DocumentIn) -> Result:
    return services.document(request.user, payload.number, payload.issuing_country, payload.context())


@router.post(
    "/documents/batch",
    response=list[ResultOut],
    auth=allow(SCREEN, Scope.SCREENING),
    summary="Screen up to 1,000 travel documents in one request (a border system's batch)",
)
def documents(request: AuthedRequest, payload: DocumentsIn) -> list[Result]:
    queries = [(d.number, d.issuing_country) for d in payload.documents]
    return services.documents(request.user, queries, payload.context())


@router.post(
    "/mrz",
    response=ResultOut,
    auth=allow(SCREEN, Scope.SCREENING),
    summary="Screen a machine-readable zone (TD1, TD2 or TD3; every check digit verified)",
)
def machine_readable_zone(request: AuthedRequest, payload: MRZIn) -> Result:
    try:
        return services.machine_readable_zone(request.user, payload.mrz, payload.context())
    except mrz.MRZInvalid as exc:
        raise ValidationError({"mrz": str(exc)}) from exc


@router.post(
    "/vehicles",
    response=ResultOut,
    auth=allow(SCREEN, Scope.SCREENING),
    summary="Screen a vehicle by VIN or plate",
)
def vehicle(request: AuthedRequest, payload: VehicleIn) -> Result:
    if not (payload.vin or payload.plate):
        raise ValidationError({"vin": "a VIN or a plate"})
    return services.vehicle(request.user, payload.vin, payload.plate, payload.context())


@router.post(
    "/firearms",
    response=ResultOut,
    auth=allow(SCREEN, Scope.SCREENING),
    summary="Screen a firearm by serial number",
)
def firearm(request: AuthedRequest, payload: FirearmIn) -> Result:
    return services.firearm(request.user, payload.serial_number, payload.make, payload.context())


class ManifestOut(Schema):
    id: UUID
    filename: str
    state: str
    total: int
    done: int
    percent: int
    hits: int
    problems: int
    error: str
    submitted_at: datetime
    finished_at: datetime | None


@router.post(
    "/manifests",
    response={202: ManifestOut},
    auth=allow(SCREEN, Scope.SCREENING, upload=MANIFEST_UPLOAD),
    summary="Submit a manifest (CSV or JSON, up to 100,000 rows) to be screened as one job",
)
def manifest_submit(request: AuthedRequest, file: File[UploadedFile], context: Form[ContextIn]) -> Status:
    job = manifests.submit(request.user, file.name or "manifest", file.read(), context.context())
    return Status(202, job)


@router.get(
    "/manifests/{manifest_id}",
    response=ManifestOut,
    auth=allow(SCREEN, Scope.SCREENING),
    summary="A manifest job's progress",
)
def manifest_progress(request: AuthedRequest, manifest_id: UUID) -> Manifest:
    return manifests.get(request.user, manifest_id)


@router.get(
    "/manifests/{manifest_id}/result",
    auth=allow(SCREEN, Scope.SCREENING),
    summary="The result as CSV: the manifest's rows with outcome, possible matches and hit reports",
    openapi_extra={"responses": {200: downloads.openapi("text/csv", "The result, as CSV")}},
)
def manifest_result(request: AuthedRequest, manifest_id: UUID) -> StreamingHttpResponse:
    job = manifests.download(request.user, manifests.get(request.user, manifest_id))
    return downloads.download(
        manifests.result_lines(job), f"screening-{job.pk}.csv", content_type="text/csv; charset=utf-8"
    )


@router.post(
    "/artworks",
    response=ResultOut,
    auth=allow(SCREEN, Scope.SCREENING),
    summary="Screen a work of art by text",
)
def artwork(request: AuthedRequest, payload: ArtworkIn) -> Result:
    return services.artwork(request.user, payload.text, payload.context())
