import datetime as dt
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from ncbnet.base import holdings, iccs
from ncbnet.base.api import allow
from ncbnet.base.holdings import NoticeFilters
from ncbnet.base.http import client_ip
from ncbnet.base.policies import NCB_STAFF
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import requests
from .models import Kind, NoticeRequest
from .policies import READ_NOTICES

router = Router(tags=["notices"])


ICCS_IN = (
    "the kind's fields; with `iccs`, the crime category: a level-2 code of UNODC's ICCS such as "
    "0101 (Intentional homicide). Left out, a Red Notice's is taken from its charges where their "
    "text names one; a section such as 01, or a more detailed code such as 01011, is refused"
)


class RequestIn(Schema):
    kind: str = Field(description="red, yellow, blue, black, green, orange, purple, silver or unsc")
    data: dict[str, Any] = Field(description=ICCS_IN)
    public_extract: dict[str, Any] | None = Field(
        None,
        description="ask for a public extract too (red, yellow, unsc; if the national law allows): "
        "its public description (height in metres, weight in kg, languages, photos …)",
    )


class ExtractIn(Schema):
    details: dict[str, Any] = Field(description="the public description (see public_extract)")


class DiffusionIn(Schema):
    kind: str
    recipients: list[str] = Field(min_length=1)
    data: dict[str, Any] = Field(description=ICCS_IN)


class CancelIn(Schema):
    reason: str = Field(min_length=1)


class RequestOut(Schema):
    id: UUID
    kind: str
    title: str
    state: str
    reason: str
    errors: dict[str, Any]
    requested_at: datetime
    updated_at: datetime | None


def _get(request_id: UUID) -> NoticeRequest:
    found = NoticeRequest.objects.filter(pk=request_id).first()
    if found is None:
        raise Http404("No such notice request from this bureau.")
    return found


@router.post(
    "/requests",
    response={202: RequestOut},
    auth=allow(NCB_STAFF),
    summary="Ask the GS to publish a notice (checked and reviewed at the hub)",
)
def request_notice(request: AuthedRequest, payload: RequestIn) -> Status:
    return Status(
        202, requests.request(request.user, payload.kind, payload.data, extract=payload.public_extract)
    )


@router.post(
    "/requests/{request_id}/extract",
    response={202: RequestOut},
    auth=allow(NCB_STAFF),
    summary="Ask for the public extract of a notice requested earlier (approved by the GS)",
)
def request_extract(request: AuthedRequest, request_id: UUID, payload: ExtractIn) -> Status:
    return Status(202, requests.request_extract(request.user, str(_get(request_id).pk), payload.details))


@router.get("/requests/{request_id}", response=RequestOut, auth=allow(NCB_STAFF))
def request_status(request: AuthedRequest, request_id: UUID) -> NoticeRequest:
    return _get(request_id)


@router.post("/requests/{request_id}/cancel", response={202: RequestOut}, auth=allow(NCB_STAFF))
def cancel_notice(request: AuthedRequest, request_id: UUID, payload: CancelIn) -> Status:
    return Status(202, requests.cancel(request.user, str(_get(request_id).pk), payload.reason))


@router.post(
    "/diffusions",
    response={202: dict[str, str]},
    auth=allow(NCB_STAFF),
    summary="Send a diffusion to chosen countries (the GS checks it afterwards)",
)
def diffuse(request: AuthedRequest, payload: DiffusionIn) -> Status:
    return Status(202, {"id": requests.diffuse(request.user, payload.kind, payload.recipients, payload.data)})


class NoticeQuery(Schema):
    """The filters of the published notices (each left out: any)."""

    kind: Kind | None = Field(
        None, description="red, yellow, blue, black, green, orange, purple, silver or unsc"
    )
    owner: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="the requesting NCB's country")
    name: str | None = Field(None, max_length=200, description="the subject's name, in any script")
    nationality: str | None = Field(
        None, pattern=r"^[A-Za-z]{2}$", description="a nationality of the subject"
    )
    published_from: dt.date | None = Field(None, description="published on or after this day (UTC)")
    published_to: dt.date | None = Field(None, description="published on or before this day (UTC)")

    def filters(self) -> NoticeFilters:
        return NoticeFilters(
            kind=self.kind.value if self.kind else "",
            owner=self.owner or "",
            name=self.name or "",
            nationality=self.nationality or "",
            published_from=self.published_from,
            published_to=self.published_to,
        )


class PublishedNoticeOut(Schema):
    id: UUID
    kind: str
    owner: str = Field(description="the NCB that requested it (or sent it, for a diffusion)")
    title: str
    source: str = Field("notice", description="notice (published by the GS) or diffusion")
    published_at: datetime | None
    iccs: str = Field(description="the crime category (a level-2 ICCS code), or empty")
    data: dict[str, Any]

    @staticmethod
    def resolve_source(obj: Any) -> str:
        return str(getattr(obj, "source", "notice"))

    @staticmethod
    def resolve_iccs(obj: Any) -> str:
        return iccs.of(obj.data)


@router.get(
    "",
    response=list[PublishedNoticeOut],
    auth=allow(READ_NOTICES, Scope.SCREENING),
    summary="Published notices the caller may see (on a node: its replica, diffusions included)",
)
@paginate(CursorPagination, ordering=("-published_at", "-id"))
def notice_list(request: AuthedRequest, q: Query[NoticeQuery]) -> Any:
    return holdings.here().notices(request.user, q.filters(), client_ip(request))


@router.get(
    "/{notice_id}",
    response=PublishedNoticeOut,
    auth=allow(READ_NOTICES, Scope.SCREENING),
    summary="One published notice (the read is audited)",
)
def notice_detail(request: AuthedRequest, notice_id: UUID) -> Any:
    return holdings.here().notice(request.user, notice_id, client_ip(request))
