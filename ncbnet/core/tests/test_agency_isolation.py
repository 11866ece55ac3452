"""A national agency user reaches only their own agency's data; NCB staff see all of their country's."""

import pytest

from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_agencies(agency_factory, user_factory):
    police = agency_factory("Police nationale", "police")
    customs = agency_factory("Douane", "customs")
    return {
        "police": police,
        "customs": customs,
        "police_user": user_factory("agency", "query", username="fr-police", agency=police),
        "customs_user": user_factory("agency", "contribute", username="fr-customs", agency=customs),
    }


def test_agency_user_sees_own_agency_page(client, two_agencies):
    sign_in(client, "fr-police")
    page = client.get(f"/agencies/{two_agencies['police'].pk}/")
    assert page.status_code == 200
    assert "fr-police" in page.content.decode()
    assert AuditEntry.objects.filter(action="registry.agency.read", actor="fr-police").exists()


def test_agency_user_cannot_reach_another_agencys_page(client, two_agencies):
    sign_in(client, "fr-police")
    page = client.get(f"/agencies/{two_agencies['customs'].pk}/")
    assert page.status_code == 403
    assert "fr-customs" not in page.content.decode()
    assert AuditEntry.objects.filter(action="registry.agency.read_refused", actor="fr-police").exists()


def test_a_missing_agency_looks_the_same_as_a_forbidden_one(client, two_agencies):
    sign_in(client, "fr-police")
    assert client.get("/agencies/999999/").status_code == 403


def test_agency_list_shows_only_own_agency(client, two_agencies):
    sign_in(client, "fr-police")
    page = client.get("/agencies/").content.decode()
    assert "Police nationale" in page and "Douane" not in page


def test_agency_user_cannot_reach_another_agency_through_the_api(client, two_agencies):
    sign_in(client, "fr-police")
    own = client.get(f"/api/v1/agencies/{two_agencies['police'].pk}")
    assert own.status_code == 200
    assert own.json()["country"] == "FR"
    assert [a["username"] for a in own.json()["accounts"]] == ["fr-police"]
    other = client.get(f"/api/v1/agencies/{two_agencies['customs'].pk}")
    assert other.status_code == 403
    assert other["Content-Type"] == "application/problem+json"
    listed = client.get("/api/v1/agencies").json()["results"]
    assert [a["name"] for a in listed] == ["Police nationale"]


def test_ncb_officer_sees_every_agency_of_the_country(client, two_agencies, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    page = client.get("/agencies/").content.decode()
    assert "Police nationale" in page and "Douane" in page
    assert client.get(f"/agencies/{two_agencies['customs'].pk}/").status_code == 200
