"""API tokens carry scopes; every operation a token may reach checks its scope, and a missing one
is a 403 problem naming it, audited. A person's session is not limited by scopes."""

import importlib

import pytest
from django.apps import apps

from ncbnet import api
from ncbnet.base.api import ApiAuth
from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.conftest import sign_in
from ncbnet.security import services
from ncbnet.security.models import ApiToken, Scope

pytestmark = pytest.mark.django_db

# The only operations a token reaches without a scope: nothing in them is a bureau's data.
SCOPE_FREE = {("/me", "GET"), ("/countries", "GET"), ("/countries/{code}", "GET"), ("/keys/directory", "GET")}


@pytest.fixture
def border_system(user_factory):
    return user_factory("system", "system", username="fr-border-system")


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_every_operation_a_token_reaches_names_its_scope(user_factory):
    from ncbnet.core.models import User

    machine = User(username="probe", kind="system", role="system", is_active=True)
    unscoped = set()
    for path, method, operation in api.operations():
        (auth,) = [a for a in operation.auth_callbacks if isinstance(a, ApiAuth)]
        if auth.policy.check(machine) and auth.scope is None:
            unscoped.add((path, method))
        assert auth.scope is None or auth.scope in Scope.values, f"{method} {path}: {auth.scope}"
    assert unscoped == SCOPE_FREE


def test_a_token_without_the_scope_gets_a_problem_naming_it_and_the_refusal_is_audited(
    client, border_system, peers
):
    token, raw = services.create_token(None, border_system, "gates", scopes=["screening"])
    refused = client.get("/api/v1/messages", **bearer(raw))
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["scope"] == "read_messages"
    assert "read_messages" in refused.json()["detail"]
    entry = AuditEntry.objects.filter(action="auth.scope_refused").get()
    assert entry.actor == "fr-border-system" and entry.subject == token.prefix
    assert entry.detail == {
        "scope": "read_messages",
        "operation": "GET /api/v1/messages",
        "scopes": ["screening"],
    }
    sent = client.post(
        "/api/v1/messages",
        {"to": ["BR"], "subject": "x", "body": "y"},
        content_type="application/json",
        **bearer(raw),
    )
    assert sent.status_code == 403 and sent.json()["scope"] == "send_messages"
    screened = client.post(
        "/api/v1/screening/documents", {"number": "12AB34567"}, content_type="application/json", **bearer(raw)
    )
    assert screened.status_code == 200, screened.content


def test_each_scope_opens_its_operations(client, border_system, peers):
    _t, readonly = services.create_token(None, border_system, "inbox", scopes=["read_messages"])
    assert client.get("/api/v1/messages", **bearer(readonly)).status_code == 200
    assert client.get("/api/v1/hits", **bearer(readonly)).json()["scope"] == "screening"
    assert client.get("/api/v1/records/replica", **bearer(readonly)).json()["scope"] == "screening"
    contribution = client.post(
        "/api/v1/records/contributions", {}, content_type="application/json", **bearer(readonly)
    )
    assert contribution.status_code == 403 and contribution.json()["scope"] == "contributions"
    assert client.get("/api/v1/me", **bearer(readonly)).status_code == 200  # no scope needed


def test_a_persons_session_is_not_limited_by_scopes(client, user_factory, peers):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.get("/api/v1/messages").status_code == 200
    assert client.get("/api/v1/hits").status_code == 200


def test_the_cli_gives_a_token_its_scopes(capsys, border_system):
    assert (
        main(
            [
                "token",
                "create",
                "--user",
                "fr-border-system",
                "--name",
                "gates",
                "--scope",
                "screening",
                "--scope",
                "restricted",
            ]
        )
        == 0
    )
    assert ApiToken.objects.get().scopes == ["restricted", "screening"]
    assert "restricted, screening" in capsys.readouterr().err


@pytest.mark.parametrize("scopes", [[], ["--scope", "everything"]])
def test_the_cli_refuses_a_token_without_a_known_scope(capsys, border_system, scopes):
    assert main(["token", "create", "--user", "fr-border-system", "--name", "gates", *scopes]) == 2
    assert "one or more scopes of: read_messages, send_messages, screening" in capsys.readouterr().err
    assert not ApiToken.objects.exists()


def test_tokens_issued_before_scopes_keep_what_they_could_do(border_system):
    token, _raw = services.create_token(None, border_system, "old", scopes=["screening"])
    ApiToken.objects.filter(pk=token.pk).update(scopes=[])  # as the column's default left it
    migration = importlib.import_module("ncbnet.security.migrations.0004_apitoken_scopes")
    migration.keep_todays_behaviour(apps, None)
    token.refresh_from_db()
    assert sorted(token.scopes) == sorted(Scope.values)
