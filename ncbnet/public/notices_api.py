"""The hub's public notices API, compatible with INTERPOL's (https://ws-public.interpol.int): the
published extracts of Red, Yellow and UN Security Council notices, under the same paths, query
parameters, field names and formats, so that its existing clients work unchanged against a hub.
Beyond the original: `/notices/v1/withdrawn?since=` for mirrors, and `/notices/v1/openapi.json`.

No session, no cookie (public.middleware), no sign-in; ETag and Cache-Control on every answer,
304 on a matching If-None-Match; a per-client rate limit (429 with Retry-After); every query
parameter validated (a wrong or unknown one is a 400 problem details naming it). On an NCB node
the paths do not exist (404)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal
from urllib.parse import urlencode

import pydantic
from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ConfigDict, Field

from ncbnet.base import clock
from ncbnet.base.api import problem
from ncbnet.base.dates import add_years
from ncbnet.base.http import client_ip
from ncbnet.base.node import role
from ncbnet.base.policies import PUBLIC_NOTICES_API, route
from ncbnet.notices import extracts
from ncbnet.notices.models import ExtractPhoto, ExtractState, PublicExtract

MAX_PER_PAGE = 160
DEFAULT_PER_PAGE = 20
MAX_PAGE = 100_000
MAX_AGE = 60  # seconds a cache may keep an answer: a withdrawn extract is gone within a minute
WITHDRAWN_BATCH = 1000
JSON = "application/json"


# --- query parameters, as the original names them --------------------------------------------------

_Text = Field(None, min_length=1, max_length=100)
_Country = Field(None, pattern=r"^[A-Z]{2}$")


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    page: int = Field(1, ge=1, le=MAX_PAGE)
    resultPerPage: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)


class PersonQuery(_Query):
    forename: str | None = _Text
    name: str | None = _Text
    nationality: str | None = _Country
    ageMin: int | None = Field(None, ge=0, le=120)
    ageMax: int | None = Field(None, ge=0, le=120)
    freeText: str | None = Field(None, min_length=1, max_length=200)
    sexId: Literal["F", "M", "U"] | None = None


class RedQuery(PersonQuery):
    arrestWarrantCountryId: str | None = _Country


class UNQuery(_Query):
    name: str | None = _Text
    unReference: str | None = _Text
    unResolution: str | None = _Text


@dataclass(frozen=True)
class Collection:
    """One list of the API: its path, the kind of notice, persons or entities, its query."""

    path: str
    kind: str
    entity: bool
    query: type[_Query]


COLLECTIONS = {
    "red": Collection("red", "red", False, RedQuery),
    "yellow": Collection("yellow", "yellow", False, PersonQuery),
    "un/persons": Collection("un/persons", "unsc", False, UNQuery),
    "un/entities": Collection("un/entities", "unsc", True, UNQuery),
}


class BadQuery(Exception):
    def __init__(self, errors: list[dict[str, str | None]]):
        self.errors = errors
        super().__init__("invalid query")


def parse(schema: type[BaseModel], request: HttpRequest) -> Any:
    """The query string as the schema allows it: each parameter once, no NUL, known names only."""
    return validate(schema, request.GET.lists())


def validate(schema: type[BaseModel], pairs: Iterable[tuple[str, list[str]]]) -> Any:
    """Each parameter's values as the schema allows them, or BadQuery naming each one at fault."""
    raw: dict[str, str] = {}
    errors: list[dict[str, str | None]] = []
    for key, values in pairs:
        if len(values) > 1:
            errors.append({"field": key[:50], "message": "given more than once"})
        elif "\x00" in key or "\x00" in values[0]:
            errors.append({"field": key.replace("\x00", "")[:50], "message": "contains a NUL character"})
        else:
            raw[key] = values[0]
    if not errors:
        try:
            return schema.model_validate(raw)
        except pydantic.ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"])[:50]
                message = "unknown parameter" if e["type"] == "extra_forbidden" else str(e["msg"])
                errors.append({"field": field, "message": message})
    raise BadQuery(errors)


# --- answers ---------------------------------------------------------------------------------------


def _limited(request: HttpRequest) -> HttpResponse | None:
    """A 429 once the client's address has made its minute's requests (counted in the bounded
    "public_api" cache, per minute of the node's clock)."""
    limit = settings.NCBNET_PUBLIC_API_PER_MINUTE
    now = clock.now().timestamp()
    minute = int(now // 60)
    key = f"pub:{client_ip(request)}:{minute}"
    cache = caches["public_api"]
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # culled between add and incr: count this request as the first
        cache.set(key, 1, timeout=120)
        count = 1
    if count <= limit:
        return None
    response = problem(429, "Too many requests", f"At most {limit} requests a minute from one address.")
    response["Retry-After"] = str(max(1, math.ceil((minute + 1) * 60 - now)))
    return response


def _cached(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """ETag (of the body) and Cache-Control on every answer; 304 when the client holds it."""
    tag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    response["ETag"] = tag
    ok = response.status_code == 200
    response["Cache-Control"] = f"public, max-age={MAX_AGE}" if ok else "no-store"
    if ok:
        held = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
        if tag in held or "*" in held:
            not_modified = HttpResponse(status=304)
            for header in ("ETag", "Cache-Control"):
                not_modified[header] = response[header]
            return not_modified
    return response


def send_json(body: Any) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type=JSON)


ANSWERS = "public_answers"


def _version(request: HttpRequest) -> int:
    """The public data's version (`extracts.version`), read once a request."""
    found = getattr(request, "_public_version", None)
    if found is None:
        found = extracts.version()
        setattr(request, "_public_version", found)  # noqa: B010 - a request's own cache
    return int(found)


def _answer_key(request: HttpRequest) -> str:
    """An answer is the same for the same public data (`extracts.version`, moved by every change
    in its transaction), day (the age filters), host (the absolute links) and path and query."""
    at = f"{_version(request)}|{clock.now().date()}|{request.scheme}://{request.get_host()}"
    return "ans:" + hashlib.sha256(f"{at}|{request.get_full_path()}".encode()).hexdigest()


def public_api(view: Callable[..., HttpResponse] | None = None, *, keep: bool = True) -> Any:
    """A view of the public API: hub only, GET only, rate-limited, bad queries a 400, ETag and
    Cache-Control. With `keep`, its 200 answers are kept in the bounded "public_answers" cache
    until the public data change (images are not: they are large and read straight)."""
    if view is None:
        return lambda v: public_api(v, keep=keep)

    @route(PUBLIC_NOTICES_API)
    @csrf_exempt  # read only, no session: a POST is a 405, not a CSRF refusal
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not role().public_portal:
            return problem(404, "Not found", "No such resource.")
        if request.method not in ("GET", "HEAD"):
            response = problem(405, "Method not allowed", "The public API is read only.")
            response["Allow"] = "GET, HEAD"
            return response
        refused = _limited(request)
        if refused is not None:
            return refused
        key = _answer_key(request) if keep else ""
        kept = caches[ANSWERS].get(key) if keep else None
        if kept is not None:
            response = HttpResponse(kept[1], content_type=kept[0])
            return _cached(request, response)
        try:
            response = view(request, *args, **kwargs)
        except BadQuery as exc:
            response = problem(400, "Bad request", "Some query parameters are not valid.", errors=exc.errors)
        if keep and response.status_code == 200:
            caches[ANSWERS].set(key, (response["Content-Type"], response.content), timeout=3600)
        return _cached(request, response)

    return wrapper


def _not_found() -> HttpResponse:
    return problem(404, "Not found", "No such notice.")


# --- the notices -----------------------------------------------------------------------------------


def _href(request: HttpRequest, path: str, query: dict[str, Any] | None = None) -> dict[str, str]:
    base = getattr(request, "_public_api_base", None)
    if base is None:  # once a request: its scheme and host, as the client reached the hub
        base = request.build_absolute_uri("/notices/v1/")
        setattr(request, "_public_api_base", base)  # noqa: B010 - a request's own cache
    url = base + path
    if query:
        url += "?" + urlencode(query)
    return {"href": url}


def _path_id(extract: PublicExtract) -> str:
    return extract.entity_id.replace("/", "-")


def _links(request: HttpRequest, c: Collection, e: PublicExtract, thumb: int | None) -> dict[str, Any]:
    base = f"{c.path}/{_path_id(e)}"
    links = {"self": _href(request, base), "images": _href(request, f"{base}/images")}
    if thumb is not None:
        links["thumbnail"] = _href(request, f"{base}/images/{thumb}")
    return links


def filtered(c: Collection, q: Any) -> QuerySet[PublicExtract]:
    qs = extracts.published().filter(kind=c.kind, entity=c.entity)
    if getattr(q, "forename", None):
        qs = qs.filter(forename__contains=extracts.fold(q.forename))
    if getattr(q, "name", None):
        qs = qs.filter(name_key__contains=extracts.fold(q.name))
    if getattr(q, "nationality", None):
        qs = qs.filter(nationalities__contains=f",{q.nationality},")
    if getattr(q, "freeText", None):
        qs = qs.filter(free_key__contains=extracts.fold(q.freeText))
    if getattr(q, "sexId", None):
        qs = qs.filter(sex_id=q.sexId)
    if getattr(q, "arrestWarrantCountryId", None):
        qs = qs.filter(warrant_countries__contains=f",{q.arrestWarrantCountryId},")
    now = clock.now()
    if getattr(q, "ageMin", None) is not None:  # could be that old: the earliest birth early enough
        qs = qs.filter(born_earliest__lte=add_years(now, -q.ageMin).date())
    if getattr(q, "ageMax", None) is not None:  # could be that young
        qs = qs.filter(born_latest__gt=add_years(now, -(q.ageMax + 1)).date())
    if getattr(q, "unReference", None):
        qs = qs.filter(un_reference__contains=extracts.fold(q.unReference))
    if getattr(q, "unResolution", None):
        qs = qs.filter(un_resolution__contains=extracts.fold(q.unResolution))
    return qs


def _total(request: HttpRequest, c: Collection, filters: dict[str, Any], qs: QuerySet[PublicExtract]) -> int:
    """How many extracts match the filters, counted once for every page of the same filters while
    the public data stay as they are (`extracts.version`) on the same day (the age filters)."""
    at = f"{_version(request)}|{clock.now().date()}|{c.path}|{json.dumps(filters, sort_keys=True)}"
    key = "total:" + hashlib.sha256(at.encode()).hexdigest()
    total = caches[ANSWERS].get(key)
    if total is None:
        total = qs.count()
        caches[ANSWERS].set(key, total, timeout=3600)
    return int(total)


def listing(request: HttpRequest, c: Collection) -> HttpResponse:
    q = parse(c.query, request)
    qs = filtered(c, q)
    filters = q.model_dump(exclude={"page", "resultPerPage"}, exclude_none=True)
    total = _total(request, c, filters, qs)
    per, page = q.resultPerPage, q.page
    start = (page - 1) * per
    # The page's ids from the narrow search index (migration notices 0007), then their rows.
    ids = list(qs.order_by("-published_at", "-id").values_list("id", flat=True)[start : start + per])
    found = {e.pk: e for e in PublicExtract.objects.filter(pk__in=ids).only("entity_id", "data", "thumb")}
    rows = [found[pk] for pk in ids if pk in found]
    notices = []
    for e in rows:
        d = e.data
        notices.append(
            {
                "forename": d.get("forename"),
                "name": d.get("name"),
                "date_of_birth": d.get("date_of_birth"),
                "entity_id": e.entity_id,
                "nationalities": d.get("nationalities"),
                "_links": _links(request, c, e, e.thumb),
            }
        )
    last = max(1, math.ceil(total / per))

    def at(n: int) -> dict[str, str]:
        return _href(request, c.path, {**filters, "page": n, "resultPerPage": per})

    links = {"self": at(page), "first": at(1)}
    if page < last:
        links["next"] = at(page + 1)
    links["last"] = at(last)
    return send_json(
        {
            "total": total,
            "query": {"page": page, "resultPerPage": per, **filters},
            "_embedded": {"notices": notices},
            "_links": links,
        }
    )


def one(c: Collection, notice_id: str) -> PublicExtract | None:
    return (
        extracts.published()
        .filter(kind=c.kind, entity=c.entity, entity_id=notice_id.replace("-", "/"))
        .first()
    )


def detail(request: HttpRequest, c: Collection, notice_id: str) -> HttpResponse:
    parse(NoQuery, request)
    e = one(c, notice_id)
    if e is None:
        return _not_found()
    return send_json({**e.data, "entity_id": e.entity_id, "_links": _links(request, c, e, e.thumb)})


class NoQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")


def images(request: HttpRequest, c: Collection, notice_id: str) -> HttpResponse:
    parse(NoQuery, request)
    e = one(c, notice_id)
    if e is None:
        return _not_found()
    base = f"{c.path}/{_path_id(e)}"
    pictures = [
        {"picture_id": str(pk), "_links": {"self": _href(request, f"{base}/images/{pk}")}}
        for pk in ExtractPhoto.objects.filter(extract=e).order_by("number").values_list("pk", flat=True)
    ]
    return send_json(
        {
            "_embedded": {"images": pictures},
            "_links": {"self": _href(request, f"{base}/images"), "notice": _href(request, base)},
        }
    )


def image(request: HttpRequest, c: Collection, notice_id: str, picture_id: int) -> HttpResponse:
    parse(NoQuery, request)
    e = one(c, notice_id)
    photo = ExtractPhoto.objects.filter(extract=e, pk=picture_id).first() if e is not None else None
    if photo is None:
        return problem(404, "Not found", "No such image.")
    response = HttpResponse(bytes(photo.data), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


class WithdrawnQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    since: str = Field(
        min_length=10, max_length=40, description="an ISO 8601 date or date and time (UTC if no zone)"
    )

    def moment(self) -> dt.datetime:
        at = parse_datetime(self.since.replace(" ", "+"))
        if at is None:
            day = parse_date(self.since)
            if day is None:
                raise BadQuery([{"field": "since", "message": "not an ISO 8601 date or date and time"}])
            at = dt.datetime.combine(day, dt.time())
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return at


def withdrawn(request: HttpRequest) -> HttpResponse:
    """The extracts removed since a time (cancelled, expired or withdrawn notices), oldest first,
    at most 1,000 an answer: a mirror asks again from the last `withdrawn_at` while `more`."""
    q = parse(WithdrawnQuery, request)
    try:
        since = q.moment()
    except (ValueError, OverflowError) as exc:
        raise BadQuery([{"field": "since", "message": "not a valid date or time"}]) from exc
    rows = list(
        PublicExtract.objects.filter(
            state=ExtractState.WITHDRAWN, published_at__isnull=False, removed_at__gte=since
        )
        .order_by("removed_at", "id")
        .values("entity_id", "kind", "entity", "removed_at")[: WITHDRAWN_BATCH + 1]
    )
    more = len(rows) > WITHDRAWN_BATCH
    items = [
        {
            "entity_id": r["entity_id"],
            "notice_type": _path_of(r["kind"], r["entity"]),
            "withdrawn_at": _utc(r["removed_at"]),
        }
        for r in rows[:WITHDRAWN_BATCH]
    ]
    return send_json(
        {
            "since": _utc(since),
            "more": more,
            "_embedded": {"withdrawn": items},
            "_links": {"self": _href(request, "withdrawn", {"since": q.since})},
        }
    )


def _utc(at: dt.datetime | None) -> str:
    if at is None:  # not for a withdrawn extract: its removal time is always kept
        return ""
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _path_of(kind: str, entity: bool) -> str:
    if kind == "unsc":
        return "un/entities" if entity else "un/persons"
    return kind


# --- the views -------------------------------------------------------------------------------------


def _collection(path: str) -> Collection:
    return COLLECTIONS[path]


@public_api
def list_view(request: HttpRequest, collection: str) -> HttpResponse:
    return listing(request, _collection(collection))


@public_api
def detail_view(request: HttpRequest, collection: str, notice_id: str) -> HttpResponse:
    return detail(request, _collection(collection), notice_id)


@public_api
def images_view(request: HttpRequest, collection: str, notice_id: str) -> HttpResponse:
    return images(request, _collection(collection), notice_id)


@public_api(keep=False)
def image_view(request: HttpRequest, collection: str, notice_id: str, picture_id: str) -> HttpResponse:
    return image(request, _collection(collection), notice_id, int(picture_id))


@public_api
def withdrawn_view(request: HttpRequest) -> HttpResponse:
    return withdrawn(request)
