"""The conference API (/api/v1/conference/…): the conferences, the delegations' registrations and
their credentials, the polls with their results and signed ballots, and voting. Each operation
names its policy; a step the state does not allow is a 422 problem saying why."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Router, Schema, Status

from ncbnet.base.api import allow
from ncbnet.base.node import node_id, role
from ncbnet.core.http import AuthedRequest

from . import policies, services
from .models import Conference, IllegalStep, Poll, Registration
from .policies import HEAD, READ, SECRETARIAT

router = Router(tags=["conference"])


class ConferenceOut(Schema):
    id: UUID
    year: int
    title: str
    starts: date
    ends: date
    venue: str
    languages: list[str]
    submission_deadline: datetime


class ConferenceRegistrationOut(Schema):
    id: UUID
    year: int
    country: str
    head: str
    delegates: list[str]
    state: str
    credentialed: bool
    credentialed_at: datetime | None
    reason: str

    @staticmethod
    def resolve_year(obj: Registration) -> int:
        return obj.conference.year


class ConferenceRegistrationIn(Schema):
    head: str = Field(min_length=1, max_length=150)
    delegates: list[str] = Field(default_factory=list, max_length=10)


class ConferenceCredentialsIn(Schema):
    accept: bool
    reason: str = Field("", max_length=500, description="why it is rejected (required to reject)")


class ConferenceBallotOut(Schema):
    conference: str
    poll: str
    country: str
    choice: str
    nonce: str
    cast_at: str
    key_id: str
    signature: str


class ConferenceResultOut(Schema):
    entitled: int
    cast: int
    yes: int
    no: int
    abstain: int
    quorum: bool
    majority: str
    outcome: str


class ConferencePollOut(Schema):
    id: UUID
    resolution: UUID
    resolution_title: str
    state: str
    majority: str
    started_at: datetime | None
    finished_at: datetime | None
    published_at: datetime | None
    entitled: list[str]
    result: ConferenceResultOut | None
    verified: bool | None = Field(
        description="the published ballots checked on this node and the tally recomputed"
    )

    @staticmethod
    def resolve_resolution(obj: Poll) -> UUID:
        return obj.resolution_id

    @staticmethod
    def resolve_resolution_title(obj: Poll) -> str:
        return obj.resolution.title

    @staticmethod
    def resolve_result(obj: Poll) -> dict[str, Any] | None:
        return dict(obj.result) if obj.result else None

    @staticmethod
    def resolve_verified(obj: Poll) -> bool | None:
        return services.verify_tally(obj.pk).ok if obj.state == Poll.State.PUBLISHED else None


class ConferenceVoteIn(Schema):
    choice: Literal["yes", "no", "abstain"]


class ConferenceVoteOut(Schema):
    nonce: UUID
    poll: UUID
    choice: str
    status: str
    reason: str

    @staticmethod
    def resolve_nonce(obj: Any) -> UUID:
        return obj.pk

    @staticmethod
    def resolve_poll(obj: Any) -> UUID:
        return obj.poll_id


def _refused(exc: Exception, field: str | None = None) -> ValidationError:
    return ValidationError({field: str(exc)} if field else str(exc))


def _current() -> Conference:
    c = services.current()
    if c is None:
        raise Http404("No conference yet.")
    return c


@router.get(
    "/conferences", response=list[ConferenceOut], auth=allow(READ), summary="The conferences, newest first"
)
def conferences(request: AuthedRequest) -> Any:
    return list(Conference.objects.order_by("-year"))


@router.get(
    "/registrations",
    response=list[ConferenceRegistrationOut],
    auth=allow(READ),
    summary="The delegations of the current conference (a bureau sees its own)",
)
def registrations(request: AuthedRequest) -> Any:
    rows = Registration.objects.filter(conference=_current()).select_related("conference")
    if role().bureau:
        rows = rows.filter(country=node_id())
    return list(rows)


@router.post(
    "/registrations",
    response={201: ConferenceRegistrationOut},
    auth=allow(HEAD),
    summary="Register (or change) the bureau's delegation to the current conference",
)
def register(request: AuthedRequest, payload: ConferenceRegistrationIn) -> Status:
    try:
        reg = services.register(request.user, _current(), payload.head, payload.delegates)
    except (IllegalStep, ValueError) as exc:
        raise _refused(exc, "delegates" if "delegates" in str(exc) else "head") from exc
    return Status(201, reg)


@router.post(
    "/registrations/{registration_id}/credentials",
    response=ConferenceRegistrationOut,
    auth=allow(SECRETARIAT),
    summary="Credential a delegation, or reject it saying why; the bureau is told",
)
def check(request: AuthedRequest, registration_id: UUID, payload: ConferenceCredentialsIn) -> Any:
    if not Registration.objects.filter(pk=registration_id).exists():
        raise Http404("No such registration.")
    try:
        return services.check_credentials(
            request.user, registration_id, accept=payload.accept, reason=payload.reason
        )
    except (IllegalStep, ValueError) as exc:
        raise _refused(exc, "reason" if "reason" in str(exc) else None) from exc


def _poll(poll_id: UUID) -> Poll:
    p = Poll.objects.select_related("resolution").filter(pk=poll_id).first()
    if p is None:
        raise Http404("No such poll.")
    return p


@router.get(
    "/polls",
    response=list[ConferencePollOut],
    auth=allow(READ),
    summary="The polls, with their published results",
)
def polls(request: AuthedRequest) -> Any:
    return list(Poll.objects.select_related("resolution").order_by("created_at"))


@router.get("/polls/{poll_id}", response=ConferencePollOut, auth=allow(READ), summary="A poll and its result")
def poll(request: AuthedRequest, poll_id: UUID) -> Any:
    return _poll(poll_id)


@router.get(
    "/polls/{poll_id}/ballots",
    response=list[ConferenceBallotOut],
    auth=allow(READ),
    summary="The signed ballots of a published poll, for any bureau to recompute the tally",
)
def ballots(request: AuthedRequest, poll_id: UUID) -> Any:
    p = _poll(poll_id)
    if p.state == Poll.State.PUBLISHED:
        return list(p.published_ballots)
    if policies.is_secretariat(request.user):
        return [
            services.ballot_body(b)
            for b in p.ballots.filter(status="counted").select_related("poll__resolution")
        ]
    return []


@router.post(
    "/polls/{poll_id}/ballots",
    response={202: ConferenceVoteOut},
    auth=allow(HEAD),
    summary="Vote: the ballot is signed with the bureau's node key and sent to the hub, which answers",
)
def vote(request: AuthedRequest, poll_id: UUID, payload: ConferenceVoteIn) -> Status:
    _poll(poll_id)
    try:
        b = services.vote(request.user, poll_id, payload.choice)
    except (IllegalStep, ValueError) as exc:
        raise _refused(exc) from exc
    return Status(202, b)
