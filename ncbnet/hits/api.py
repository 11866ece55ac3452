from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.db.models import QuerySet
from ninja import Field, Router, Schema
from ninja.pagination import CursorPagination, paginate

from ncbnet.base.api import allow
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import services
from .models import HitReport
from .policies import ANSWER_HITS, READ_HITS

router = Router(tags=["hits"])


class HitOut(Schema):
    id: UUID
    record_id: UUID
    database: str
    label: str
    iccs: str = Field(description="the crime category of what was hit (a level-2 ICCS code), or empty")
    owner: str
    found_by: str
    officer: str
    context: dict[str, Any]
    query: dict[str, Any]
    score: float
    explanation: list[str]
    urgent: bool
    state: str
    status: str = Field(description="what the officer may take from it")
    escalation: int
    found_at: datetime
    due_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    answered_by: str
    answer: str

    @staticmethod
    def resolve_status(obj: HitReport) -> str:
        return str(obj.get_state_display())


class AnswerIn(Schema):
    outcome: Literal["confirmed", "denied", "more_time"]
    note: str = Field("", max_length=2000)
    minutes: int | None = Field(None, description="with more_time: how many minutes the owner needs")


@router.get(
    "", response=list[HitOut], auth=allow(READ_HITS, Scope.SCREENING), summary="Hit reports this node keeps"
)
@paginate(CursorPagination, ordering=("-found_at",))
def hit_list(request: AuthedRequest, state: str = "", to_answer: bool = False) -> QuerySet[HitReport]:
    qs = services.to_answer(request.user) if to_answer else services.visible(request.user)
    return qs.filter(state=state) if state else qs


@router.get("/{report_id}", response=HitOut, auth=allow(READ_HITS, Scope.SCREENING), summary="One hit report")
def hit_detail(request: AuthedRequest, report_id: UUID) -> HitReport:
    return services.read(request.user, report_id)


@router.post(
    "/{report_id}/answer",
    response=HitOut,
    auth=allow(ANSWER_HITS),
    summary="The owner confirms, denies, or says how many minutes it needs",
)
def hit_answer(request: AuthedRequest, report_id: UUID, payload: AnswerIn) -> HitReport:
    return services.answer(request.user, report_id, payload.outcome, payload.note, payload.minutes)
