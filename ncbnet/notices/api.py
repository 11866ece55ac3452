from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import Http404
from ninja import Field, Router, Schema, Status

from ncbnet.base.api import allow
from ncbnet.base.policies import NCB_STAFF
from ncbnet.core.http import AuthedRequest

from . import requests
from .models import NoticeRequest

router = Router(tags=["notices"])


class RequestIn(Schema):
    kind: str = Field(description="red, yellow, blue, black, green, orange, purple, silver or unsc")
    data: dict[str, Any]


class DiffusionIn(Schema):
    kind: str
    recipients: list[str] = Field(min_length=1)
    data: dict[str, Any]


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
    return Status(202, requests.request(request.user, payload.kind, payload.data))


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
