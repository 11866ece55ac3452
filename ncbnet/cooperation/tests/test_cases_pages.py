"""The cases pages on one node (FR): the list with its filters, a new case, the case page with the
forms this bureau's permission allows."""

import pytest

from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in
from ncbnet.cooperation.models import Case, CaseEntry
from ncbnet.cooperation.services import cases as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client, peers, user_factory):
    user = user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    return user


def test_an_officer_creates_a_case_works_it_and_finds_it(client, officer):
    page = client.get("/cooperation/cases/new/")
    assert page.status_code == 200
    made = client.post(
        "/cooperation/cases/new/",
        {"title": "Forged passports ring", "severity": "high", "participants": "BR contribute\nKE read"},
    )
    case = Case.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/cooperation/cases/{case.pk}/"
    assert case.permission_of("BR") == "contribute" and case.permission_of("KE") == "read"
    added = client.post(
        f"/cooperation/cases/{case.pk}/entries/", {"kind": "note", "text": "Printer seized in Santos."}
    )
    assert added.status_code == 302
    client.post(
        f"/cooperation/cases/{case.pk}/tasks/",
        {"title": "Hear the courier", "assignee_node": "BR", "mandatory": "on"},
    )
    page = client.get(f"/cooperation/cases/{case.pk}/").content.decode()
    assert "Printer seized in Santos." in page and "Hear the courier" in page and "Change the status" in page
    refused = client.post(f"/cooperation/cases/{case.pk}/status/", {"status": "closed", "outcome": "Done."})
    assert refused.status_code == 400 and "Mandatory tasks are still open" in refused.content.decode()
    listed = client.get("/cooperation/cases/?q=passports&severity=high").content.decode()
    assert "Forged passports ring" in listed
    assert "Forged passports ring" not in client.get("/cooperation/cases/?severity=low").content.decode()
    assert AuditEntry.objects.filter(action="cooperation.case.read").exists()


def test_bad_input_shows_the_error_and_writes_nothing(client, officer):
    bad = client.post(
        "/cooperation/cases/new/", {"title": "A case", "severity": "medium", "participants": "ZZ read"}
    )
    assert bad.status_code == 400 and not Case.objects.exists()
    case = services.create(officer, services.Draft(title="A case"))
    no_ref = client.post(f"/cooperation/cases/{case.pk}/entries/", {"kind": "hit", "text": "a hit"})
    assert no_ref.status_code == 400 and not CaseEntry.objects.exists()


def test_an_agency_user_cannot_reach_cases(client, peers, user_factory):
    user_factory("agency", "query", username="police-1")
    sign_in(client, "police-1")
    assert client.get("/cooperation/cases/").status_code == 403
