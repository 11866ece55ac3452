"""The JSON API (/api/v1/): one NinjaAPI, routers from each app, errors as RFC 9457 problem details.

Deny by default: the API's default auth refuses everyone; each operation names its policy with
`auth=allow(POLICY)`, and the URL-policy test fails on any operation that does not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from ncbnet.base import uploads
from ncbnet.base.api import (
    ERRORS,
    PROBLEM,
    BoundedParser,
    DenyAll,
    ProblemSchema,
    Refused,
    ScopeMissing,
    problem,
)
from ncbnet.base.policies import API_OPERATION
from ncbnet.security.throttle import TooManyAttempts

log = logging.getLogger("ncbnet.api")


def _docs_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The OpenAPI document and its viewer: any signed-in person, never the anonymous public."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return problem(401, "Unauthorized", "Sign in to read the API documentation.")
        return view(request, *args, **kwargs)

    return wrapper


class Api(NinjaAPI):
    """The NinjaAPI whose OpenAPI document lists, for every operation, the problem details it may
    answer as well as its result."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = ProblemSchema.model_json_schema()
        problem_ref = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERRORS.items():
                    responses.setdefault(status, {"description": description, "content": problem_ref})
        return schema


api = Api(
    title="ncbnet",
    version="1",
    description=(
        "The API of one ncbnet node. Humans use a session with a second factor; machines a bearer token."
    ),
    urls_namespace="api",
    auth=DenyAll(),
    docs_decorator=_docs_login_required,
    parser=BoundedParser(),
)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for e in exc.errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        errors.append({"field": ".".join(loc) or None, "message": e.get("msg", "invalid")})
    return problem(422, "Invalid input", "Some fields are not valid.", errors=errors)


@api.exception_handler(DjangoValidationError)
def _invalid_domain(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors: list[dict[str, str | None]]
    if hasattr(exc, "error_dict"):
        errors = [{"field": f, "message": " ".join(m)} for f, m in exc.message_dict.items()]
    else:
        errors = [{"field": None, "message": m} for m in exc.messages]
    return problem(422, "Invalid input", "Some fields are not valid.", errors=errors)


@api.exception_handler(uploads.UploadRefused)
def _refused_input(request: HttpRequest, exc: uploads.UploadRefused) -> HttpResponse:
    refusal = exc.refusal
    title = {413: "Content too large", 422: "Invalid input"}.get(refusal.status, "Bad request")
    return problem(
        refusal.status, title, refusal.message, errors=[{"field": refusal.field, "message": refusal.message}]
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    status = exc.status_code
    return problem(status, "Unauthorized" if status == 401 else "Forbidden", exc.message)


@api.exception_handler(TooManyAttempts)
def _too_many(request: HttpRequest, exc: TooManyAttempts) -> HttpResponse:
    response = problem(429, "Too many requests", str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ScopeMissing)
def _scope_missing(request: HttpRequest, exc: ScopeMissing) -> HttpResponse:
    return problem(403, "Forbidden", str(exc), scope=exc.scope)


@api.exception_handler(Refused)
@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(403, "Forbidden", str(exc) or "You may not do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, "Not found", str(exc) or "No such resource.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, exc.message)


def _register_routers() -> None:
    from ncbnet.analytics.api import router as analytics_router
    from ncbnet.audit.api import router as audit_router
    from ncbnet.conference.api import router as conference_router
    from ncbnet.cooperation.api import router as cooperation_router
    from ncbnet.core.api import router as core_router
    from ncbnet.hits.api import router as hits_router
    from ncbnet.messaging.api import router as messaging_router
    from ncbnet.network.api import router as network_router
    from ncbnet.notices.api import router as notices_router
    from ncbnet.records.api import router as records_router
    from ncbnet.screening.api import router as screening_router
    from ncbnet.training.api import router as training_router

    api.add_router("", core_router)
    api.add_router("/audit", audit_router)
    api.add_router("/keys", network_router)
    api.add_router("/messages", messaging_router)
    api.add_router("/records", records_router)
    api.add_router("/notices", notices_router)
    api.add_router("/screening", screening_router)
    api.add_router("/hits", hits_router)
    api.add_router("/cooperation", cooperation_router)
    api.add_router("/analytics", analytics_router)
    api.add_router("/conference", conference_router)
    api.add_router("/training", training_router)


_register_routers()


def urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns, each marked as delegating its policy to the API operation."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        setattr(pattern.callback, "ncbnet_policy", API_OPERATION)  # noqa: B010 - callbacks are partials
    return patterns, app_name, namespace


def operations() -> list[tuple[str, str, Any]]:
    """Every (path, method, operation) of the API, for the URL-policy test."""
    out = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                for method in op.methods:
                    out.append((f"{prefix}{path}", method, op))
    return out
