"""The NCB's administrator creates, edits and closes its national agencies and Sub-Bureaus (pages,
API, CLI); nobody else does, and never another country's. Closing disables the users at once."""

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.conftest import PASSWORD, TOTP_SECRET, database_state, sign_in
from ncbnet.core import services
from ncbnet.core.models import NCB, Agency, SubBureau, User
from ncbnet.security.models import TOTPDevice

pytestmark = pytest.mark.django_db


def _person(username, kind, role, ncb=None):
    user = User.objects.create_user(username=username, password=PASSWORD, kind=kind, role=role, ncb=ncb)
    TOTPDevice.objects.create(user=user, secret=TOTP_SECRET, confirmed=True, created_at=user.date_joined)
    return user


@pytest.fixture
def people(user_factory, agency_factory):
    police = agency_factory("Police nationale", "police")
    return {
        "admin": user_factory("ncb", "admin", username="fr-admin"),
        "officer": user_factory("ncb", "officer", username="fr-officer"),
        "head": user_factory("ncb", "head", username="fr-head"),
        "agency": user_factory("agency", "contribute", username="fr-police", agency=police),
        # Accounts that cannot be made on FR's node through its services, made as a forged row would be.
        "br-admin": _person("br-admin", "ncb", "admin", NCB.objects.get(country_id="BR")),
        "gs": _person("gs-reviewer", "gs", "reviewer"),
        "police": police,
    }


def test_the_administrator_adds_an_agency_through_the_api(client, people):
    sign_in(client, "fr-admin")
    made = client.post(
        "/api/v1/agencies", {"name": "Douane  de Roissy", "kind": "customs"}, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()["name"] == "Douane de Roissy" and made.json()["country"] == "FR"
    assert made.json()["closed_at"] is None
    agency = Agency.objects.get(pk=made.json()["id"])
    assert agency.ncb.country_id == "FR" and agency.kind == "customs"
    entry = AuditEntry.objects.get(action="registry.agency.create")
    assert entry.actor == "fr-admin" and entry.detail == {"name": "Douane de Roissy", "kind": "customs"}


def test_a_duplicate_name_is_a_field_error_and_nothing_is_written(client, people):
    sign_in(client, "fr-admin")
    before = database_state()
    again = client.post(
        "/api/v1/agencies", {"name": "Police nationale", "kind": "police"}, content_type="application/json"
    )
    assert again.status_code == 422
    assert again["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in again.json()["errors"]] == ["name"]
    assert database_state() == before


@pytest.mark.parametrize("who", ["fr-officer", "fr-head", "fr-police", "br-admin", "gs-reviewer"])
def test_nobody_but_the_bureaus_administrator_adds_or_changes_an_agency(client, people, who):
    client.force_login(User.objects.get(username=who))
    before = database_state()
    added = client.post("/api/v1/agencies", {"name": "X", "kind": "police"}, content_type="application/json")
    changed = client.patch(
        f"/api/v1/agencies/{people['police'].pk}", {"closed": True}, content_type="application/json"
    )
    assert (added.status_code, changed.status_code) == (403, 403)
    assert client.post("/agencies/new/", {"name": "Y", "kind": "police"}).status_code == 403
    assert client.post(f"/agencies/{people['police'].pk}/close/").status_code == 403
    assert database_state() == before
    if who == "br-admin":  # past the route's policy: the service refuses, and the audit keeps it
        assert AuditEntry.objects.filter(action="registry.agency.create_refused", actor=who).count() == 2
        assert AuditEntry.objects.filter(action="registry.agency.change_refused", actor=who).count() == 2


def test_another_countrys_administrator_gets_the_same_answer_as_for_a_missing_agency(people):
    with pytest.raises(services.PermissionDenied) as theirs:
        services.update_agency(people["br-admin"], people["police"].pk, name="Renamed")
    with pytest.raises(services.PermissionDenied) as missing:
        services.update_agency(people["br-admin"], 999_999, name="Renamed")
    assert str(theirs.value) == str(missing.value)
    assert Agency.objects.get(pk=people["police"].pk).name == "Police nationale"
    assert AuditEntry.objects.filter(action="registry.agency.change_refused", actor="br-admin").count() == 2


def test_the_administrator_renames_an_agency_and_a_clash_names_the_field(client, people, agency_factory):
    agency_factory("Douane", "customs")
    sign_in(client, "fr-admin")
    url = f"/api/v1/agencies/{people['police'].pk}"
    clash = client.patch(url, {"name": "Douane"}, content_type="application/json")
    assert clash.status_code == 422 and [e["field"] for e in clash.json()["errors"]] == ["name"]
    renamed = client.patch(
        url, {"name": "Police aux frontières", "kind": "border"}, content_type="application/json"
    )
    assert renamed.status_code == 200 and renamed.json()["kind"] == "border"
    entry = AuditEntry.objects.get(action="registry.agency.update")
    assert entry.detail["before"] == {"name": "Police nationale", "kind": "police"}


def test_closing_an_agency_disables_its_users_keeps_the_rows_and_takes_no_new_users(client, people):
    signed_in = client.__class__()
    sign_in(signed_in, "fr-police")
    assert signed_in.get("/").status_code == 200
    sign_in(client, "fr-admin")
    closed = client.patch(
        f"/api/v1/agencies/{people['police'].pk}", {"closed": True}, content_type="application/json"
    )
    assert closed.status_code == 200 and closed.json()["closed_at"]
    user = User.objects.get(username="fr-police")
    assert not user.is_active and user.agency_id == people["police"].pk
    assert AuditEntry.objects.get(action="registry.agency.close").detail == {"disabled": ["fr-police"]}
    assert signed_in.get("/").status_code == 302  # the open session no longer reaches anything
    again = client.__class__()
    sign_in(again, "fr-police")
    assert again.get("/").status_code == 302
    with pytest.raises(ValidationError) as refused:
        services.create_user(
            people["admin"],
            username="fr-police-2",
            password="une-phrase-assez-longue",
            kind="agency",
            role="query",
            agency_id=people["police"].pk,
        )
    assert "agency" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.set_active(people["admin"], "fr-police", True)
    listed = client.get("/api/v1/agencies?closed=true").json()["results"]
    assert [a["name"] for a in listed] == ["Police nationale"]
    assert client.get("/api/v1/agencies?closed=false").json()["results"] == []


def test_the_administrators_pages_add_edit_grant_access_and_close(client, people):
    sign_in(client, "fr-admin")
    assert client.get("/agencies/new/").status_code == 200
    added = client.post("/agencies/new/", {"name": "Gendarmerie", "kind": "police"})
    agency = Agency.objects.get(name="Gendarmerie")
    assert added.status_code == 302 and added["Location"] == f"/agencies/{agency.pk}/"
    dup = client.post("/agencies/new/", {"name": "Gendarmerie", "kind": "police"})
    assert dup.status_code == 400 and "already has an agency of that name" in dup.content.decode()
    page = client.get(f"/agencies/{agency.pk}/").content.decode()
    assert "Grant a user access" in page and "Close the agency" in page
    edited = client.post(f"/agencies/{agency.pk}/edit/", {"name": "Gendarmerie nationale", "kind": "police"})
    assert edited.status_code == 302
    granted = client.post(
        f"/agencies/{agency.pk}/users/",
        {"username": "fr-gendarme", "role": "contribute", "password": "une-phrase-assez-longue"},
    )
    assert granted.status_code == 302
    gendarme = User.objects.get(username="fr-gendarme")
    assert (gendarme.kind, gendarme.role, gendarme.agency_id) == ("agency", "contribute", agency.pk)
    assert gendarme.password_must_change
    bad = client.post(
        f"/agencies/{agency.pk}/users/", {"username": "fr-gendarme", "role": "admin", "password": "x"}
    )
    assert bad.status_code == 400
    assert client.post(f"/agencies/{agency.pk}/close/").status_code == 302
    assert not User.objects.get(username="fr-gendarme").is_active
    closed = client.get(f"/agencies/{agency.pk}/").content.decode()
    assert "closed on" in closed and "Grant a user access" not in closed
    assert "Gendarmerie nationale" in client.get("/agencies/?show=closed").content.decode()
    assert "Gendarmerie nationale" not in client.get("/agencies/").content.decode()


def test_the_administrator_runs_sub_bureaus(client, people):
    sign_in(client, "fr-admin")
    assert client.post("/sub-bureaus/new/", {"name": "Antenne de Lyon", "city": "Lyon"}).status_code == 302
    sub = SubBureau.objects.get(name="Antenne de Lyon")
    dup = client.post("/sub-bureaus/new/", {"name": "Antenne de Lyon", "city": "Lyon"})
    assert dup.status_code == 400 and "already has a Sub-Bureau of that name" in dup.content.decode()
    made = client.post(
        "/people/new/",
        {
            "username": "fr-lyon",
            "role": "ncb:officer",
            "sub_bureau": sub.pk,
            "password": "une-phrase-assez-longue",
        },
    )
    assert made.status_code == 302
    staff = User.objects.get(username="fr-lyon")
    assert staff.sub_bureau == sub
    assert (
        client.post(
            f"/sub-bureaus/{sub.pk}/edit/", {"name": "Antenne de Lyon", "city": "Villeurbanne"}
        ).status_code
        == 302
    )
    assert "fr-lyon" in client.get(f"/sub-bureaus/{sub.pk}/").content.decode()
    assert client.post(f"/sub-bureaus/{sub.pk}/close/").status_code == 302
    sub.refresh_from_db()
    assert sub.closed and sub.city == "Villeurbanne"
    assert not User.objects.get(username="fr-lyon").is_active
    with pytest.raises(ValidationError) as refused:
        services.create_user(
            people["admin"],
            username="fr-lyon-2",
            password="une-phrase-assez-longue",
            kind="ncb",
            role="officer",
            sub_bureau_id=sub.pk,
        )
    assert "sub_bureau" in refused.value.message_dict
    actions = set(AuditEntry.objects.filter(actor="fr-admin").values_list("action", flat=True))
    assert {
        "registry.sub_bureau.create",
        "registry.sub_bureau.update",
        "registry.sub_bureau.close",
    } <= actions


@pytest.mark.parametrize("who", ["fr-officer", "fr-police", "br-admin"])
def test_nobody_else_runs_sub_bureaus(client, people, who):
    sub = services.create_sub_bureau(people["admin"], "Antenne de Lille", "Lille")
    client.force_login(User.objects.get(username=who))
    before = database_state()
    assert client.post("/sub-bureaus/new/", {"name": "X", "city": "Y"}).status_code == 403
    assert client.post(f"/sub-bureaus/{sub.pk}/close/").status_code == 403
    assert database_state() == before


def test_the_cli_adds_lists_and_closes_agencies(capsys, people):
    assert main(["agency", "add", "Douane", "--kind", "customs"]) == 0
    assert "added agency" in capsys.readouterr().out
    assert main(["agency", "add", "Douane", "--kind", "customs"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ncbnet: name:") and "\n" not in err
    assert main(["agency", "close", "Police nationale"]) == 0
    assert not User.objects.get(username="fr-police").is_active
    assert "closed agency Police nationale" in capsys.readouterr().out
    assert main(["agency", "list"]) == 0
    out = capsys.readouterr().out
    assert "Douane" in out and "Police nationale" not in out
    assert main(["agency", "list", "--all"]) == 0
    assert "Police nationale\tpolice\tclosed" in capsys.readouterr().out
    assert main(["agency", "close", "Nowhere"]) == 2
    assert AuditEntry.objects.get(action="registry.agency.close").detail == {"disabled": ["fr-police"]}
