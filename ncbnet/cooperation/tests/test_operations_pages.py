"""The groups and operations pages, signed in as an officer."""

import pytest

from ncbnet.conftest import sign_in
from ncbnet.cooperation.models import Group, Operation, OperationResult

pytestmark = pytest.mark.django_db


def test_an_officer_defines_a_group_creates_an_operation_and_reports_a_result(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    page = client.post("/cooperation/groups/", {"code": "chiefs", "name": "Chiefs", "members": "BR XX"})
    assert page.status_code == 200 and b"XX" in page.content and not Group.objects.exists()
    client.post("/cooperation/groups/", {"code": "chiefs", "name": "Chiefs", "members": "BR KE"})
    assert Group.objects.get().members == ["BR", "KE"]
    assert b"group:chiefs" in client.get("/cooperation/groups/?q=chiefs").content
    made = client.post(
        "/cooperation/operations/new/",
        {
            "code_name": "Lionfish",
            "target_crime": "Cocaine by sea",
            "period_start": "2026-05-01",
            "period_end": "2026-05-31",
            "participants": "FR",
            "group": "group:chiefs",
            "agencies": "BR | Polícia Federal | pf@example.br",
            "commodities": "cocaine",
            "state": "active",
        },
    )
    op = Operation.objects.get()
    assert made.status_code == 302 and op.participants == ["BR", "FR", "KE"]
    client.post(
        f"/cooperation/operations/{op.pk}/",
        {"kind": "seizure", "date": "2026-05-03", "commodity": "cocaine", "quantity": "12.5", "unit": "kg"},
    )
    assert OperationResult.objects.get().quantity == 12.5
    page = client.get(f"/cooperation/operations/{op.pk}/").content.decode()
    assert "Polícia Federal" in page and "12.5 kg cocaine" in page
    assert b"Lionfish" in client.get("/cooperation/operations/?state=active&q=lion").content
    csv = client.get(f"/cooperation/operations/{op.pk}/results.csv")
    assert csv["Content-Type"].startswith("text/csv") and b"cocaine" in csv.content


def test_an_agency_user_sees_no_operations(client, peers, user_factory):
    user_factory("agency", "query", username="fr-police")
    sign_in(client, "fr-police")
    assert client.get("/cooperation/operations/").status_code == 403
    assert client.get("/cooperation/groups/").status_code == 403
