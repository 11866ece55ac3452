"""A request's and a result's crime category (a level-2 ICCS code, `base.iccs`): chosen in the
forms and the API by the requester or the reporting bureau, set when it is made (no edit path
changes it), carried in the envelope's body (left out when none, as older nodes read it) and
refused when it is not a level-2 code."""

import pytest

from ncbnet.conftest import sign_in
from ncbnet.cooperation.models import Operation, OperationResult, Request
from ncbnet.cooperation.schemas.operations import ResultBody
from ncbnet.cooperation.schemas.requests import RequestBody
from ncbnet.cooperation.services import operations as ops
from ncbnet.cooperation.services import requests as services
from ncbnet.cooperation.tests.test_operations_api import OPERATION, post
from ncbnet.cooperation.tests.test_operations_services import arrest
from ncbnet.cooperation.tests.test_requests_api_pages import API, NEW, token

from .test_operations_hostile import kept_operation

pytestmark = pytest.mark.django_db

FORM = {
    "to": "BR",
    "kind": "information",
    "title": "Who is Ana Lima?",
    "details": "Seen at Lyon.",
    "legal_basis": "Art. 3",
    "purpose": "Fraud",
    "access": "direct",
    "handling": "H0",
    "source_reliability": "X",
    "information_accuracy": "4",
    "s0-type": "person",
    "s0-name": "Ana Lima",
    "s1-type": "person",
    "s2-type": "person",
}


def test_the_request_form_offers_the_categories_and_keeps_the_one_chosen(client, peers, user_factory):
    officer = user_factory("ncb", "officer")
    sign_in(client, officer.username)
    page = client.get("/cooperation/requests/new/").content.decode()
    assert 'name="iccs"' in page and "Crime category (ICCS)" in page and 'value="0701"' in page
    bad = client.post("/cooperation/requests/new/", FORM | {"iccs": "07"})
    assert bad.status_code == 400 and not Request.objects.exists()
    sent = client.post("/cooperation/requests/new/", FORM | {"iccs": "0701"})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    r = Request.objects.get()
    assert r.iccs == "0701"
    assert "0701" in client.get(f"/cooperation/requests/{r.pk}/").content.decode()


def test_the_result_form_offers_the_categories_and_keeps_the_one_chosen(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    body = kept_operation(peers, participants=["BR", "FR"])
    page = client.get(f"/cooperation/operations/{body['operation_id']}/").content.decode()
    assert 'name="iccs"' in page and "Crime category (ICCS)" in page
    seizure = {
        "kind": "seizure",
        "date": "2026-05-03",
        "commodity": "cocaine",
        "quantity": "12.5",
        "unit": "kg",
    }
    refused = client.post(f"/cooperation/operations/{body['operation_id']}/", seizure | {"iccs": "9999"})
    assert refused.status_code == 200 and not OperationResult.objects.exists()
    client.post(f"/cooperation/operations/{body['operation_id']}/", seizure | {"iccs": "0601"})
    assert OperationResult.objects.get().iccs == "0601"
    assert "ICCS 0601" in client.get(f"/cooperation/operations/{body['operation_id']}/").content.decode()


def test_the_api_takes_and_gives_a_requests_category(client, peers, user_factory):
    auth = token(
        user_factory("system", "system", username="fr-case-system"), "read_messages", "send_messages"
    )
    refused = client.post(API, NEW | {"iccs": "05021"}, content_type="application/json", **auth)
    assert refused.status_code == 422 and "0502" in refused.content.decode()
    assert not Request.objects.exists()
    made = client.post(API, NEW | {"iccs": "0401"}, content_type="application/json", **auth)
    assert made.status_code == 201, made.content
    assert [r["iccs"] for r in made.json()] == ["0401", "0401"]
    plain = client.post(API, NEW | {"to": ["BR"]}, content_type="application/json", **auth)
    assert plain.status_code == 201 and plain.json()[0]["iccs"] == ""


def test_the_api_takes_and_gives_a_results_category(client, peers, user_factory):
    system = user_factory("system", "system", username="fr-case-system")
    auth = token(system, "read_messages", "send_messages")
    op = post(client, "/operations", OPERATION, auth).json()
    result = {"kind": "arrest", "date": "2026-05-03", "person_name": "Marc Dupont"}
    assert (
        post(client, f"/operations/{op['id']}/results", result | {"iccs": "x" * 41}, auth).status_code == 422
    )
    made = post(client, f"/operations/{op['id']}/results", result | {"iccs": "0601"}, auth)
    assert made.status_code == 201 and made.json()["iccs"] == "0601"
    assert OperationResult.objects.get().iccs == "0601"


def test_the_envelopes_carry_the_category_only_when_there_is_one(peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    draft = services.Draft(
        to=["BR"], kind="information", title="T", details="D", legal_basis="Art. 3", purpose="P", iccs="0502"
    )
    [r] = services.send(officer, draft)
    body = RequestBody.of(r)
    assert body["iccs"] == "0502" and RequestBody.model_validate(body).request_fields()["iccs"] == "0502"
    Request.objects.filter(pk=r.pk).update(iccs="")
    r.refresh_from_db()
    assert "iccs" not in RequestBody.of(r)
    op = kept_operation(peers, participants=["BR", "FR"])
    res = ops.report(officer, op["operation_id"], arrest(iccs="0101"))
    assert ResultBody.of(res)["iccs"] == "0101"
    assert ResultBody.model_validate(ResultBody.of(res)).fields()["iccs"] == "0101"
    assert Operation.objects.count() == 1
