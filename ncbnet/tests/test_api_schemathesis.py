"""schemathesis against the API of a hub and of an NCB node, in process through the WSGI app: every
operation of the OpenAPI document, with requests generated from it (valid ones, some naming
objects the node holds, and invalid ones), signed in with a system account's bearer token and
with a person's session. No answer may be a server error, and every answer must be one its
operation documents, with the documented content type and body."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ncbnet.security.models import Scope

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Examples per operation, bounded so that the four runs take well under two minutes here.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
CSRF = "schemathesiscsrfsecret0123456789"  # 32 characters: a CSRF secret Django accepts as is


@pytest.fixture
def app():
    return WSGIHandler()


def document(client: Any, user: Any) -> dict[str, Any]:
    """The OpenAPI document, as a signed-in person reads it."""
    client.force_login(user)
    found = client.get("/api/v1/openapi.json")
    assert found.status_code == 200
    return found.json()


def session(client: Any) -> dict[str, Any]:
    """The test client's session, with a CSRF token for writes."""
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "headers": {"X-CSRFToken": CSRF},
        "cookies": {settings.SESSION_COOKIE_NAME: key, settings.CSRF_COOKIE_NAME: CSRF},
    }


def held(user: Any) -> dict[str, list[str]]:
    """Objects an NCB node holds, by the name of the path parameter that reads them: a message
    with an attachment, a finished manifest, a contribution, an agency, an account."""
    from ncbnet.core.models import NCB, Agency
    from ncbnet.messaging import services as messaging
    from ncbnet.records import contribution
    from ncbnet.screening import manifests

    message = messaging.send(
        user,
        messaging.Draft(
            to=["BR"],
            subject="Schemathesis",
            body="A message to read back.",
            attachments=[messaging.Upload("page.html", "text/html", b"<script>alert(1)</script>")],
        ),
    )
    job = manifests.submit(user, "m.csv", b"name,document_number\nAna Lima,X123\n", {})
    manifests.run(job, user)
    sent = contribution.submit(
        user,
        "documents",
        {"number": "P1234567", "type": "passport", "issuing_country": "FR", "status": "stolen"},
    )
    agency = Agency.objects.create(ncb=NCB.objects.get(country_id="FR"), name="Douane", kind="customs")
    return {
        "message_id": [str(message.pk)],
        "attachment_id": [str(message.attachments.get().pk)],
        "manifest_id": [str(job.pk)],
        "contribution_id": [str(sent.pk)],
        "agency_id": [str(agency.pk)],
        "username": [user.username],
        "code": ["FR", "BR"],
    }


def checker(operation: Any, mode: GenerationMode, credentials: dict[str, Any], app: Any, known: Any) -> Any:
    """A Hypothesis test of one operation: `EXAMPLES[mode]` requests, checked against the document."""

    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, data: Any) -> None:
        for name in case.path_parameters or {}:
            if mode.is_positive and name in known and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
        response = case.call(app=app, base_url="http://localhost", **credentials)
        case.validate_response(response, checks=CHECKS)

    return check


def run(raw: dict[str, Any], credentials: dict[str, Any], app: Any, known: dict[str, list[str]]) -> None:
    """Every operation of the document, each mode. The node's WSGI application serves in this
    test's database transaction: as the test client does, its requests do not close the database
    connection when they start and end."""
    schema = schemathesis.openapi.from_dict(raw)
    failures = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in EXAMPLES:
                try:
                    checker(operation, mode, credentials, app, known)()
                except Unsatisfiable:
                    assert not mode.is_positive, operation.label  # nothing in it can be made invalid
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"{operation.label} ({mode}): {exc}")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def node(client, user_factory, peers):
    """An NCB node holding a few objects, its system account's token and a head of NCB's session."""
    from ncbnet.security import services as security

    system = user_factory("system", "system", username="schemathesis-system")
    _t, secret = security.create_token(None, system, "schemathesis", scopes=list(Scope.values))
    head = user_factory("ncb", "head", username="schemathesis-head")
    return {
        "known": held(head),
        "system": system,
        "token": {"headers": {"Authorization": f"Bearer {secret}"}},
        "head": head,
    }


def test_an_ncb_node_with_a_system_token(app, client, node):
    run(document(client, node["system"]), node["token"], app, node["known"])


def test_an_ncb_node_with_a_session(app, client, node):
    raw = document(client, node["head"])
    run(raw, session(client), app, node["known"])


def test_the_hub_with_a_token(app, client, node, settings):
    """The hub's own accounts cannot be system accounts (they belong to an NCB), so the token is a
    bureau's system account, as a national system calling the hub would hold."""
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    run(document(client, node["system"]), node["token"], app, node["known"])


def test_the_hub_with_a_session(app, client, user_factory, node, settings):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    admin = user_factory("gs", "network_admin", username="schemathesis-netadmin")
    raw = document(client, admin)
    run(raw, session(client), app, {**node["known"], "username": [admin.username]})
