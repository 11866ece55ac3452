"""NCB managers create and disable accounts; bad input is named and nothing is half-written."""

import io

import pytest
from django.core.exceptions import PermissionDenied

from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.conftest import database_state, sign_in
from ncbnet.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, user_factory):
    user_factory("ncb", "admin", username="fr-admin")
    sign_in(client, "fr-admin")
    return client


def test_administrator_creates_an_agency_user(admin_client, agency_factory):
    police = agency_factory("Police nationale")
    response = admin_client.post(
        "/people/new/",
        {
            "username": "fr-gardien",
            "first_name": "Jeanne",
            "last_name": "Roux",
            "role": "agency:query",
            "agency": police.pk,
            "password": "une-phrase-assez-longue",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="fr-gardien")
    assert created.kind == "agency" and created.agency == police and created.ncb.country_id == "FR"
    assert created.created_by.username == "fr-admin"
    assert created.password.startswith("argon2")
    entry = AuditEntry.objects.get(action="people.user.create", subject="fr-gardien")
    assert entry.actor == "fr-admin"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"role": "agency:query", "password": "une-phrase-assez-longue"},
            "A national agency user belongs to an agency.",
        ),
        ({"role": "ncb:officer", "password": "short"}, "too short"),
        ({"role": "gs:reviewer", "password": "une-phrase-assez-longue"}, "Select a valid choice"),
    ],
)
def test_bad_account_input_is_named_and_nothing_is_written(admin_client, form, message):
    before = database_state()
    response = admin_client.post("/people/new/", {"username": "fr-new", **form})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert database_state() == before


def test_administrator_disables_an_account_which_then_cannot_sign_in(admin_client, user_factory, client):
    user_factory("ncb", "officer", username="fr-officer")
    assert admin_client.post("/people/fr-officer/active/", {"active": "0"}).status_code == 302
    assert not User.objects.get(username="fr-officer").is_active
    assert AuditEntry.objects.filter(action="people.user.disable", subject="fr-officer").exists()


def test_manager_cannot_change_accounts_of_another_bureau_or_the_gs(admin_client, user_factory):
    from ncbnet.core import services

    admin = User.objects.get(username="fr-admin")
    gs = User(username="gs-x", kind="gs", role="reviewer")
    from ncbnet.base import policies

    assert not policies.can_manage_user(admin, gs)
    assert not policies.can_manage_user(admin, admin)
    with pytest.raises(PermissionDenied, match="may not"):
        services.set_active(admin, "fr-admin", False)


def test_api_creates_users_with_problem_details_for_bad_fields(admin_client):
    bad = admin_client.post(
        "/api/v1/users", {"username": "x", "kind": "ncb", "role": "officer"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert bad["Content-Type"] == "application/problem+json"
    assert any(e["field"] == "username" for e in bad.json()["errors"])
    wrong_role = admin_client.post(
        "/api/v1/users",
        {"username": "fr-x", "kind": "ncb", "role": "reviewer", "password": "une-phrase-assez-longue"},
        content_type="application/json",
    )
    assert wrong_role.status_code in (403, 422)
    assert not User.objects.filter(username="fr-x").exists()


def test_cli_adds_and_disables_a_user(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-cli-passphrase\n"))
    assert main(["user", "add", "fr-cli", "--kind", "ncb", "--role", "officer", "--password-stdin"]) == 0
    assert "created fr-cli" in capsys.readouterr().out
    assert User.objects.get(username="fr-cli").check_password("a-long-cli-passphrase")
    assert main(["user", "disable", "fr-cli"]) == 0
    assert not User.objects.get(username="fr-cli").is_active


def test_cli_bad_user_input_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-cli-passphrase\n"))
    assert main(["user", "add", "fr-cli", "--kind", "agency", "--role", "officer", "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ncbnet: ") and err.count("\n") == 1
    assert not User.objects.filter(username="fr-cli").exists()
    assert main(["user", "disable", "nobody"]) == 2


def test_preferences_set_language_and_time_zone(admin_client):
    response = admin_client.post("/account/", {"language": "fr", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    page = admin_client.get("/").content.decode()
    assert 'lang="fr"' in page
