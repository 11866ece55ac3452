"""The operations and groups API, as a national case system uses it with a bearer token."""

import pytest

from ncbnet.cooperation.models import Group, Operation, OperationResult
from ncbnet.security import services as security

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(user_factory):
    system = user_factory("system", "system", username="fr-case-system")
    _t, raw = security.create_token(None, system, "cases", scopes=["read_messages", "send_messages"])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, path, payload, auth):
    return client.post(f"/api/v1/cooperation{path}", payload, content_type="application/json", **auth)


OPERATION = {
    "code_name": "Pangea XVII",
    "series": "Pangea",
    "target_crime": "Illicit medicines",
    "period_start": "2026-05-01",
    "period_end": "2026-05-31",
    "participants": ["FR", "BR"],
    "agencies": [{"country": "FR", "agency": "OCLAESP", "contact": "+33 1 00 00 00 00"}],
    "commodities": ["medicines"],
    "state": "active",
}


def test_groups_through_the_api(client, peers, auth):
    made = post(client, "/groups", {"code": "chiefs", "name": "Chiefs", "members": ["BR", "KE"]}, auth)
    assert made.status_code == 201 and made.json()["code"] == "group:chiefs"
    refused = post(client, "/groups", {"code": "other", "name": "Other", "members": ["BR", "QQ"]}, auth)
    assert refused.status_code == 422 and "members" in refused.content.decode()
    assert Group.objects.count() == 1
    listed = client.get("/api/v1/cooperation/groups?kind=defined", **auth).json()
    assert [g["code"] for g in listed] == ["group:chiefs"]
    assert client.get("/api/v1/cooperation/groups/region:AF", **auth).json()["kind"] == "region"
    sent = post(client, "/groups/chiefs/message", {"subject": "Meeting", "body": "In Nairobi."}, auth)
    assert sent.status_code == 201 and sent.json()["recipients"] == ["BR", "KE"]


def test_operations_and_results_through_the_api(client, peers, auth):
    made = post(client, "/operations", OPERATION, auth)
    assert made.status_code == 201, made.content
    op = made.json()
    assert op["coordinator"] == "FR" and op["participants"] == ["BR", "FR"]
    bad = post(client, "/operations", {**OPERATION, "participants": ["FR", "XX"]}, auth)
    assert bad.status_code == 422 and Operation.objects.count() == 1
    arrest = {"kind": "arrest", "date": "2026-05-03", "person_name": "Marc Dupont", "date_of_birth": "1980"}
    assert post(client, f"/operations/{op['id']}/results", arrest, auth).status_code == 201
    seizure = {
        "kind": "seizure",
        "date": "2026-05-03",
        "commodity": "medicines",
        "quantity": "1200",
        "unit": "boxes",
        "value_usd": "35000.5",
    }
    assert post(client, f"/operations/{op['id']}/results", seizure, auth).status_code == 201
    found = client.get(f"/api/v1/cooperation/operations/{op['id']}/results", **auth).json()
    assert found["totals"]["arrests"] == 1 and found["by_commodity"][0]["unit"] == "boxes"
    assert found["by_country"]["FR"]["seizures"] == 1
    csv = client.get(f"/api/v1/cooperation/operations/{op['id']}/results?format=csv", **auth)
    assert csv["Content-Type"].startswith("text/csv") and csv.content.decode().count("\n") == 3
    finished = post(client, f"/operations/{op['id']}", {**OPERATION, "state": "finished"}, auth)
    assert finished.status_code == 200 and finished.json()["state"] == "finished"
    listed = client.get("/api/v1/cooperation/operations?state=finished&q=pangea", **auth).json()
    assert [o["id"] for o in listed] == [op["id"]]


def test_a_result_for_an_operation_the_bureau_is_not_in_is_refused_by_the_api(client, peers, auth):
    op = post(client, "/operations", OPERATION, auth).json()
    Operation.objects.filter(pk=op["id"]).update(participants=["BR", "KE"], coordinator="hub")
    refused = post(client, f"/operations/{op['id']}/results", {"kind": "victim", "date": "2026-05-03"}, auth)
    assert refused.status_code == 403 and not OperationResult.objects.exists()
