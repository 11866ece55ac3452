"""Bad input to the API is a problem-details answer naming the field, never a server error: what
schemathesis found (an audit search `before` beyond ±2^53; NUL characters, which PostgreSQL
cannot store, in any text) and JSON bodies built to cost memory or recursion."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ncbnet.base.chain import AuditEntry
from ncbnet.security.models import Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(client, user_factory):
    client.force_login(user_factory("ncb", "head", username="fr-head"))
    return client


@pytest.fixture
def token(user_factory):
    from ncbnet.security import services as security

    _t, secret = security.create_token(
        None, user_factory("system", "system", username="fr-border"), "b", scopes=list(Scope.values)
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize("before", [2**127, -(2**127), 2**53 + 1, 0])
def test_an_audit_search_before_an_impossible_entry_names_the_field(head, before):
    response = head.get(f"/api/v1/audit?before={before}")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["before"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/audit?actor=%00", "actor"),
        ("/api/v1/records/replica?q=Ana%00", "q"),
        ("/api/v1/users?q=%00", "q"),
        ("/api/v1/countries?cursor=%00", "cursor"),
        ("/api/v1/users/fr%00head/disable", None),
    ],
)
def test_a_nul_character_in_a_query_or_path_names_the_field(head, url, field):
    response = head.post(url) if url.endswith("disable") else head.get(url)
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == [
        {"field": field, "message": "A NUL character (U+0000) is not allowed in any field."}
    ]


def test_a_nul_character_in_a_json_body_names_its_path(client, token, peers):
    body = {"to": ["BR"], "subject": "ok", "body": "ok", "attachments": [{"name": "a\u0000.pdf", "data": ""}]}
    response = client.post("/api/v1/messages", body, content_type="application/json", **token)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "attachments.0.name"
    key = client.post(
        "/api/v1/screening/persons", {"name": "Ana", "\u0000": 1}, content_type="application/json", **token
    )
    assert key.status_code == 422 and key.json()["errors"][0]["field"] is None


def test_a_nul_character_in_a_form_field_names_it(client, token):
    response = client.post(
        "/api/v1/screening/manifests",
        {"file": SimpleUploadedFile("m.csv", b"name\nAna\n"), "place": "CDG\u0000"},
        **token,
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "place"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 5000 + b"]" * 5000, "more than 32 deep"),
        (b'{"to": [' + b"[]," * 300_000 + b'[]], "subject": "x", "body": "x"}', "more than 100,000 values"),
        (b'{"subject": NaN}', "NaN is not a number JSON allows"),
        (b'{"subject": ', "not valid JSON"),
    ],
)
def test_a_json_body_is_read_within_bounds(client, token, body, says):
    """The message API takes 72 MB; a body of 900 KB of empty lists would build 300,000 of them."""
    response = client.post("/api/v1/messages", body, content_type="application/json", **token)
    assert response.status_code == 400
    assert says in response.json()["detail"]
    assert not AuditEntry.objects.filter(action="messaging.send").exists()


def test_a_valid_body_is_read_once_and_still_checked_by_its_schema(client, token):
    response = client.post(
        "/api/v1/screening/documents", json.dumps({"number": ""}), content_type="application/json", **token
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "number"


def test_a_page_refuses_a_nul_character_in_its_address(client, user_factory):
    from ncbnet.conftest import sign_in

    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    response = client.get("/records/?q=Ana%00")
    assert response.status_code == 400
    assert "A NUL character (U+0000) is not allowed in any field." in response.content.decode()


def test_a_json_body_under_another_content_type_is_held_to_the_same_bounds(client, token):
    nul = client.post(
        "/api/v1/screening/documents", '{"number": "A\\u0000"}', content_type="text/plain", **token
    )
    assert nul.status_code == 400
    deep = client.post("/api/v1/screening/documents", b"[" * 5000, content_type="text/plain", **token)
    assert deep.status_code == 400
