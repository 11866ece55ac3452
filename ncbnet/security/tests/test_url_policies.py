"""Deny by default: every route declares its policy, and nobody anonymous sees an NCB node's pages."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ncbnet import api
from ncbnet.base.api import ApiAuth
from ncbnet.base.policies import API_OPERATION, policy_of

# The only routes anyone may open without signing in.
PUBLIC_ROUTES = {
    "security:login",
    "security:verify",
    "security:first_password",
    "security:enrol",
    "web:set_language",
    "public:home",  # the hub's public portal; on an NCB node it redirects to the login page
    # the public notices API (public.notices_api): on an NCB node it answers 404
    "public:notices",  # the portal's published notices (hub only, like the public page)
    "public:notice",
    "public:notices_openapi",
    "public:notices_withdrawn",
    "public:notices_list",
    "public:notices_detail",
    "public:notices_images",
    "public:notices_image",
    # The Commission's public side on the hub's portal: filing and following a request.
    "commission:portal",
    "commission:file",
    "commission:follow",
}


def walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}{p.name}", p.callback


ROUTES = list(walk(get_resolver().url_patterns))


def concrete(route: str) -> str:
    """A URL for a route pattern, with sample values for its parameters."""
    path = re.sub(r"<int:\w+>", "1", route)
    path = re.sub(r"<uuid:\w+>", "01900000-0000-7000-8000-000000000000", path)
    path = re.sub(r"<(?:str:)?\w+>", "x", path)
    path = re.sub(r"\{\w+\}", "1", path)
    return "/" + path.lstrip("^").rstrip("$")


def test_there_are_routes_to_check():
    assert len(ROUTES) > 10


@pytest.mark.parametrize(("route", "name", "view"), ROUTES, ids=[r[0] or "/" for r in ROUTES])
def test_every_route_declares_a_policy(route, name, view):
    policy = policy_of(view)
    assert policy is not None, f"{route} ({name}) declares no policy"
    if policy.public and policy is not API_OPERATION:
        assert name in PUBLIC_ROUTES, f"{route} ({name}) is public but not in the list of public routes"
    if policy is API_OPERATION:
        assert name.startswith("api:")


@pytest.mark.parametrize(("path", "method", "operation"), api.operations(), ids=lambda x: str(x)[:40])
def test_every_api_operation_declares_a_policy(path, method, operation):
    auths = [a for a in operation.auth_callbacks if isinstance(a, ApiAuth)]
    assert len(auths) == 1, f"{method} {path} declares no ApiAuth policy"
    assert not auths[0].policy.public, f"{method} {path}: the API has no public operations"


def test_a_view_without_a_policy_is_refused_at_run_time(rf, db):
    from ncbnet.security.middleware import PolicyMiddleware

    def undeclared(request):
        raise AssertionError("must not run")

    request = rf.get("/somewhere/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = PolicyMiddleware(lambda r: None).process_view(request, undeclared, (), {})
    assert response.status_code == 403


PAGES = [(r, n) for r, n, v in ROUTES if not n.startswith("api:") and n not in PUBLIC_ROUTES]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), PAGES, ids=[p[1] for p in PAGES])
def test_anonymous_request_to_any_ncb_page_gets_the_login_page(client, route, name):
    for method in (client.get, client.post):
        response = method(concrete(route))
        assert response.status_code == 302, f"{route}: {response.status_code}"
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_public_portal_does_not_exist_on_an_ncb_node(client):
    response = client.get("/public/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_api_refuses_anonymous_requests_with_problem_details(client):
    for path, method, _op in api.operations():
        url = concrete("api/v1/" + path.lstrip("/"))
        response = client.generic(method, url)
        assert response.status_code == 401, f"{method} {url}"
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 401


@pytest.mark.django_db
def test_api_documents_need_a_signed_in_person(client, user_factory):
    assert client.get("/api/v1/docs").status_code == 401
    assert client.get("/api/v1/openapi.json").status_code == 401
    client.force_login(user_factory("ncb", "officer"))
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "ncbnet"
    assert client.get("/api/v1/docs").status_code == 200
