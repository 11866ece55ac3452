"""The machinery every app's API routes use: `allow(POLICY)` on each operation (deny by default),
errors as RFC 9457 problem details, bodies read within bounds.

Bearer tokens are the security app's: it hands its token check to `use_tokens()` when Django
starts, so this layer imports no app.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError
from ninja.parser import Parser
from ninja.utils import check_csrf

from ncbnet.base import uploads
from ncbnet.base.http import client_ip
from ncbnet.base.policies import Policy, has_scope

PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Tokens:
    """How bearer tokens sign a system account in: `authenticate(raw, ip)` returns the account or
    raises `refused` (whose message is safe to show); `refuse_scope(user, scope, operation, ip)`
    audits a token used beyond its scopes."""

    authenticate: Callable[[str, str], Any]
    refused: type[Exception]
    refuse_scope: Callable[[Any, str, str, str], None]


_tokens: Tokens | None = None


def use_tokens(tokens: Tokens) -> None:
    global _tokens
    _tokens = tokens


class Refused(Exception):
    """Authenticated, but the policy does not allow this operation."""


class ScopeMissing(Refused):
    """A bearer token without the scope the operation needs (a person's session has no scopes)."""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__(f"This token does not have the scope '{scope}', which this operation needs.")


class ApiAuth:
    """Session (both factors done) or bearer token, then the operation's policy, then (for a
    token) the operation's scope. Once the caller is known, and before anything reads it, the
    request's body is held to the operation's upload limit (`base.uploads`; a JSON body of at most
    1 MB unless the operation says otherwise)."""

    def __init__(self, policy: Policy, scope: str | None = None, upload: uploads.Limit = uploads.DEFAULT):
        self.policy = policy
        self.scope = str(scope) if scope is not None else None  # the value, not the enum member
        self.upload = upload

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        session = False
        if header.lower().startswith("bearer "):
            if _tokens is None:
                raise AuthenticationError(401, "This node takes no API tokens.")
            try:
                user = _tokens.authenticate(header[7:], client_ip(request))
            except _tokens.refused as exc:
                raise AuthenticationError(401, str(exc)) from exc
        elif request.user.is_authenticated:
            user, session = request.user, True
        else:
            raise AuthenticationError(401, "Sign in, or send an API token as 'Authorization: Bearer …'.")
        uploads.guard(request, user, self.upload)  # before anything reads the body (CSRF check too)
        if session and request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
            raise AuthenticationError(403, "CSRF check failed: send the X-CSRFToken header.")
        if getattr(user, "password_must_change", False):
            raise Refused("Change your temporary password first: sign in to the node's pages.")
        if not self.policy.allows(user):
            raise Refused(f"Your account may not use this operation (policy {self.policy.name}).")
        if self.scope is not None and not has_scope(user, self.scope):
            if _tokens is not None:
                _tokens.refuse_scope(user, self.scope, f"{request.method} {request.path}", client_ip(request))
            raise ScopeMissing(self.scope)
        request.user = user
        return user


class DenyAll:
    """The API's default: an operation that forgot to declare a policy refuses everyone."""

    def __call__(self, request: HttpRequest) -> Any:
        raise Refused("This operation declares no access policy.")


def allow(policy: Policy, scope: str | None = None, *, upload: uploads.Limit = uploads.DEFAULT) -> ApiAuth:
    """The operation's policy; for requests with a bearer token, the scope it needs
    (security.models.Scope; an operation a system account may reach names its scope, and the
    URL-policy test holds the few that need none: who am I, the member countries, the keys); and
    the limit on what its request may carry (`base.uploads`)."""
    return ApiAuth(policy, scope, upload)


def problem(status: int, title: str, detail: str = "", **extra: Any) -> HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM)


class ProblemSchema(Schema):
    """An RFC 9457 problem: what every error of this API answers, naming the fields at fault."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, str | None]] | None = None


# The errors any operation may answer, each as problem details.
ERRORS = {
    "400": "Bad request (too many fields or files)",
    "401": "Not signed in, or the token is not valid",
    "403": "The account may not use this operation",
    "404": "No such resource on this node",
    "413": "The request is larger than this operation takes",
    "422": "Invalid input: the fields at fault are named",
}


class BoundedParser(Parser):
    """JSON bodies as `base.uploads.guard` read them: within bounds, and read once."""

    def parse_body(self, request: HttpRequest) -> Any:
        return uploads.parsed(request)
