"""Machines use bearer tokens; expired, revoked or malformed tokens get a clear refusal and change nothing."""

from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.conftest import database_state
from ncbnet.security import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def border_system(user_factory):
    return user_factory("system", "system", username="fr-border-system")


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_lets_a_system_account_use_the_api(client, border_system):
    _token, raw = services.create_token(None, border_system, "border control", days=30, scopes=["screening"])
    response = client.get("/api/v1/me", **bearer(raw))
    assert response.status_code == 200
    assert response.json()["username"] == "fr-border-system"
    assert response.json()["kind"] == "system"


def test_token_is_stored_only_as_a_digest(border_system):
    token, raw = services.create_token(None, border_system, "border control", scopes=["screening"])
    secret = raw.split("_", 2)[2]
    assert secret not in repr(database_state())
    assert token.digest != secret


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("expired", "The bearer token has expired."),
        ("revoked", "The bearer token was revoked."),
        ("malformed", "The bearer token is malformed."),
        ("wrong secret", "The bearer token is not valid."),
    ],
)
def test_bad_tokens_are_refused_with_a_clear_problem_and_change_nothing(client, border_system, case, message):
    token, raw = services.create_token(None, border_system, "border control", days=1, scopes=["screening"])
    delta = timedelta(0)
    if case == "revoked":
        services.revoke_token(None, token.prefix)
    elif case == "expired":
        delta = timedelta(days=1, seconds=1)
    elif case == "malformed":
        raw = "not-a-token"
    elif case == "wrong secret":
        raw = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    before, audited = database_state(), AuditEntry.objects.count()
    with clock.travel(delta):
        response = client.get("/api/v1/me", **bearer(raw))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == message
    assert database_state() == before
    assert AuditEntry.objects.count() == audited + 1
    assert AuditEntry.objects.order_by("-seq").first().action == "auth.token_refused"


def test_tokens_are_only_for_system_accounts(user_factory):
    officer = user_factory("ncb", "officer")
    with pytest.raises(ValueError, match="system accounts"):
        services.create_token(None, officer, "nope", scopes=["screening"])


def test_cli_creates_and_revokes_tokens(client, border_system, capsys):
    assert (
        main(["token", "create", "--user", "fr-border-system", "--name", "gates", "--scope", "screening"])
        == 0
    )
    raw = capsys.readouterr().out.strip()
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    assert main(["token", "revoke", raw.split("_")[1]]) == 0
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 401


def test_cli_refuses_a_token_for_an_unknown_account(capsys, db):
    assert main(["token", "create", "--user", "nobody", "--name", "x", "--scope", "screening"]) == 2
    assert capsys.readouterr().err.strip() == "ncbnet: no account named 'nobody'"


def test_api_session_writes_need_the_csrf_token(user_factory):
    from django.test import Client

    manager = user_factory("ncb", "admin", username="fr-admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    payload = {"username": "fr-new", "kind": "ncb", "role": "officer", "password": "a-long-test-passphrase"}
    refused = client.post("/api/v1/users", payload, content_type="application/json")
    assert refused.status_code == 403
    client.get("/")  # sets the CSRF cookie
    from django.conf import settings

    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    created = client.post("/api/v1/users", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201, created.content
