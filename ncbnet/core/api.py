from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.base.policies import AUTHENTICATED, MANAGE_AGENCIES, MANAGE_USERS, NATIONAL
from ncbnet.core.http import AuthedRequest

from . import services
from .models import Agency, Country, User

router = Router(tags=["registry and people"])


class CountryOut(Schema):
    code: str
    name: str
    region: str = Field(alias="region_id")
    regional_bureau: str | None = Field(None, alias="regional_bureau_id")


class AgencyOut(Schema):
    id: int
    name: str
    kind: str
    country: str = Field(alias="ncb.country_id")
    closed_at: datetime | None = None


class NationalAgencyIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: Agency.Kind


class NationalAgencyPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Agency.Kind | None = None
    closed: Literal[True] | None = Field(
        None, description="true closes the agency: its users are disabled, it takes no new users"
    )


class AccountOut(Schema):
    username: str
    name: str
    kind: str
    role: str
    country: str | None
    agency: str | None
    active: bool


class AgencyDetailOut(AgencyOut):
    accounts: list[AccountOut]


class UserIn(Schema):
    username: str = Field(min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    kind: User.Kind
    role: User.Role
    password: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    agency_id: int | None = None
    sub_bureau_id: int | None = None
    time_zone: str = "UTC"


def _account(u: User) -> AccountOut:
    d = services.describe(u)
    return AccountOut(active=u.is_active, **d)


@router.get("/me", response=AccountOut, auth=allow(AUTHENTICATED), summary="Who am I")
def me(request: AuthedRequest) -> AccountOut:
    return _account(request.user)


@router.get("/countries", response=list[CountryOut], auth=allow(AUTHENTICATED))
@paginate(CursorPagination, ordering=("code",))
def countries(request: AuthedRequest, region: str | None = None) -> object:
    return services.list_countries(region)


@router.get("/countries/{code}", response=CountryOut, auth=allow(AUTHENTICATED))
def country(request: AuthedRequest, code: str) -> Country:
    try:
        return services.get_country(code)
    except services.UnknownCountry as exc:
        raise Http404(str(exc)) from exc


@router.get("/agencies", response=list[AgencyOut], auth=allow(NATIONAL))
@paginate(CursorPagination, ordering=("id",))
def agencies(request: AuthedRequest, closed: bool | None = None) -> object:
    return services.list_agencies(request.user, closed)


@router.post(
    "/agencies",
    response={201: AgencyOut},
    auth=allow(MANAGE_AGENCIES),
    summary="Add a national agency (the NCB's administrator)",
)
def create_agency(request: AuthedRequest, payload: NationalAgencyIn) -> Status:
    created = services.create_agency(request.user, payload.name, payload.kind, client_ip(request))
    return Status(201, created)


@router.patch(
    "/agencies/{agency_id}",
    response=AgencyOut,
    auth=allow(MANAGE_AGENCIES),
    summary="Rename, change the kind of, or close a national agency (the NCB's administrator)",
)
def change_agency(request: AuthedRequest, agency_id: int, payload: NationalAgencyPatch) -> Agency:
    return services.update_agency(
        request.user,
        agency_id,
        name=payload.name,
        kind=payload.kind,
        close=bool(payload.closed),
        ip=client_ip(request),
    )


@router.get("/agencies/{agency_id}", response=AgencyDetailOut, auth=allow(NATIONAL))
def agency(request: AuthedRequest, agency_id: int) -> dict[str, object]:
    found, users = services.read_agency(request.user, agency_id, client_ip(request))
    return {
        "id": found.pk,
        "name": found.name,
        "kind": found.kind,
        "ncb.country_id": found.ncb.country_id,
        "closed_at": found.closed_at,
        "accounts": [_account(u) for u in users],
    }


@router.get("/users", response=list[AccountOut], auth=allow(MANAGE_USERS))
def users(request: AuthedRequest, q: str = "") -> list[AccountOut]:
    return [_account(u) for u in services.search_users(request.user, q, client_ip(request))]


@router.post("/users", response={201: AccountOut}, auth=allow(MANAGE_USERS))
def create_user(request: AuthedRequest, payload: UserIn) -> Status:
    created = services.create_user(request.user, ip=client_ip(request), **payload.dict())
    return Status(201, _account(created))


@router.post("/users/{username}/disable", response=AccountOut, auth=allow(MANAGE_USERS))
def disable_user(request: AuthedRequest, username: str) -> AccountOut:
    return _account(services.set_active(request.user, username, False, client_ip(request)))
