"""The OpenAPI document of the public notices API (/notices/v1/openapi.json): its parameters come
from the query models the views validate with, so the two cannot drift."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from pydantic import BaseModel

from .notices_api import COLLECTIONS, MAX_PER_PAGE, NoQuery, WithdrawnQuery, parse, public_api, send_json

_LINK = {"type": "object", "properties": {"href": {"type": "string", "format": "uri"}}, "required": ["href"]}
_STRS = {"type": ["array", "null"], "items": {"type": "string"}}
_STR = {"type": ["string", "null"]}
_PROBLEM = {
    "description": "problem details (RFC 9457)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_ERRORS = {
    "400": {**_PROBLEM, "description": "a query parameter is wrong or unknown (each one named)"},
    "404": {**_PROBLEM, "description": "no such notice or image"},
    "429": {
        **_PROBLEM,
        "description": "too many requests from this address; retry after the Retry-After seconds",
    },
}
_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "send it back as If-None-Match for a 304"},
    "Cache-Control": {"schema": {"type": "string"}},
}


def _parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    out = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        if "anyOf" in prop:
            options = [p for p in prop.pop("anyOf") if p.get("type") != "null"]
            prop.update(options[0] if options else {})
        prop.pop("title", None)
        out.append(
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", []),
                "schema": prop,
                **({"description": prop["description"]} if "description" in prop else {}),
            }
        )
    return out


def _ok(ref: str, description: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "headers": _HEADERS,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
        },
        "304": {"description": "not modified (If-None-Match)", "headers": _HEADERS},
        **_ERRORS,
    }


_ID = {
    "name": "notice_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{5}$"},
    "description": "the entity_id with its / written -, as in 2026-00042",
}
_PICTURE = {"name": "picture_id", "in": "path", "required": True, "schema": {"type": "string"}}

_PERSON_FIELDS = {
    "forename": _STR,
    "name": {"type": "string"},
    "date_of_birth": {**_STR, "description": "YYYY/MM/DD (or YYYY/MM, YYYY when partial)"},
    "entity_id": {"type": "string", "pattern": "^[0-9]{4}/[0-9]{5}$"},
    "nationalities": {**_STRS, "description": "ISO 3166-1 alpha-2"},
}
_DETAIL = {
    **_PERSON_FIELDS,
    "sex_id": {"type": "string", "enum": ["F", "M", "U"]},
    "height": {"type": ["number", "null"], "description": "metres"},
    "weight": {"type": ["integer", "null"], "description": "kilograms"},
    "eyes_colors_id": _STRS,
    "hairs_id": _STRS,
    "distinguishing_marks": _STR,
    "languages_spoken_ids": {**_STRS, "description": "ISO 639-2/B, upper case"},
    "place_of_birth": _STR,
    "country_of_birth_id": _STR,
}
_WARRANT = {
    "type": "object",
    "properties": {
        "issuing_country_id": {"type": "string"},
        "charge": {"type": "string"},
        "charge_translation": _STR,
    },
}


def _obj(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


def _links(*names: str) -> dict[str, Any]:
    return _obj({n: _LINK for n in names})


def document(base: str) -> dict[str, Any]:
    item = _obj({**_PERSON_FIELDS, "_links": _links("self", "images", "thumbnail")})
    schemas: dict[str, Any] = {
        "Problem": _obj(
            {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": _obj({"field": _STR, "message": {"type": "string"}})},
            }
        ),
        "NoticeList": _obj(
            {
                "total": {"type": "integer"},
                "query": _obj(
                    {
                        "page": {"type": "integer"},
                        "resultPerPage": {"type": "integer", "maximum": MAX_PER_PAGE},
                    }
                ),
                "_embedded": _obj({"notices": {"type": "array", "items": item}}),
                "_links": _links("self", "first", "next", "last"),
            }
        ),
        "RedNotice": _obj(
            {
                **_DETAIL,
                "arrest_warrants": {"type": "array", "items": _WARRANT},
                "_links": _links("self", "images", "thumbnail"),
            }
        ),
        "YellowNotice": _obj(
            {
                **_DETAIL,
                **{
                    k: _STR
                    for k in (
                        "birth_name",
                        "date_of_event",
                        "place",
                        "country",
                        "father_forename",
                        "mother_name",
                        "mother_forename",
                    )
                },
                "_links": _links("self", "images", "thumbnail"),
            }
        ),
        "UNNotice": _obj(
            {
                **_DETAIL,
                "un_reference": {"type": "string"},
                "un_resolution": _STR,
                "un_reference_date": {**_STR, "description": "YYYY/MM/DD"},
                "aliases": _STRS,
                "identity_documents": _STRS,
                "adresses": {**_STRS, "description": "spelt as the original API spells it"},
                "_links": _links("self", "images", "thumbnail"),
            }
        ),
        "Images": _obj(
            {
                "_embedded": _obj(
                    {
                        "images": {
                            "type": "array",
                            "items": _obj({"picture_id": {"type": "string"}, "_links": _links("self")}),
                        }
                    }
                ),
                "_links": _links("self", "notice"),
            }
        ),
        "Withdrawn": _obj(
            {
                "since": {"type": "string", "format": "date-time"},
                "more": {"type": "boolean"},
                "_embedded": _obj(
                    {
                        "withdrawn": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "entity_id": {"type": "string"},
                                    "notice_type": {"type": "string"},
                                    "withdrawn_at": {"type": "string", "format": "date-time"},
                                }
                            ),
                        }
                    }
                ),
                "_links": _links("self"),
            }
        ),
    }
    detail_schema = {
        "red": "RedNotice",
        "yellow": "YellowNotice",
        "un/persons": "UNNotice",
        "un/entities": "UNNotice",
    }
    paths: dict[str, Any] = {}
    for path, c in COLLECTIONS.items():
        tag = [path]
        paths[f"/{path}"] = {
            "get": {
                "tags": tag,
                "summary": f"Search the published {path} notices",
                "parameters": _parameters(c.query),
                "responses": _ok("NoticeList", "one page of the notices matching the filters"),
            }
        }
        paths[f"/{path}/{{notice_id}}"] = {
            "get": {
                "tags": tag,
                "summary": "One notice",
                "parameters": [_ID],
                "responses": _ok(detail_schema[path], "the notice"),
            }
        }
        paths[f"/{path}/{{notice_id}}/images"] = {
            "get": {
                "tags": tag,
                "summary": "Its images",
                "parameters": [_ID],
                "responses": _ok("Images", "the notice's images"),
            }
        }
        paths[f"/{path}/{{notice_id}}/images/{{picture_id}}"] = {
            "get": {
                "tags": tag,
                "summary": "One image",
                "parameters": [_ID, _PICTURE],
                "responses": {
                    "200": {
                        "description": "the image",
                        "headers": _HEADERS,
                        "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}},
                    },
                    "304": {"description": "not modified"},
                    **_ERRORS,
                },
            }
        }
    paths["/withdrawn"] = {
        "get": {
            "tags": ["withdrawn"],
            "summary": "Notices removed since a time (cancelled, expired, withdrawn), for mirrors",
            "parameters": _parameters(WithdrawnQuery),
            "responses": _ok("Withdrawn", "the removed notices' ids, oldest first, at most 1,000"),
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ncbnet public notices API",
            "version": "1",
            "description": (
                "The published extracts of Red, Yellow and UN Security Council notices, compatible with "
                "INTERPOL's public API (ws-public.interpol.int). No sign-in, no cookie. If you have "
                "information, contact your local or national police."
            ),
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


@public_api
def openapi_view(request: HttpRequest) -> HttpResponse:
    parse(NoQuery, request)
    return send_json(document(request.build_absolute_uri("/notices/v1")))
