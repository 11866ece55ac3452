"""The owner's officer edits, restricts, withdraws and extends from the record's page and through
the API (202 with the pending change); the GS corrects at the hub with a reason; the records lists
filter and page through any size."""

from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.conftest import arriving, sign_in
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records import lifecycle, replication, services
from ncbnet.records.models import Record, RecordChange, RecordVersion

pytestmark = pytest.mark.django_db
RID = "019ac000-0000-7000-8000-0000000000b1"
PERSON = {
    "names": [
        {"value": "Lucie Marchal", "script": "Latn", "kind": "primary"},
        {"value": "Lucie Vernet", "script": "Latn", "kind": "alias"},
    ],
    "sex": "F",
    "date_of_birth": {"year": 1990, "month": 4, "day": None},
    "nationalities": ["FR"],
    "distinguishing_marks": "",
}
DOC = {
    "number": "FR-440011",
    "type": "passport",
    "issuing_country": "FR",
    "status": "lost",
    "date": "2026-06-01",
}


def replica_body(rid=RID, owner="FR", label="Lucie Marchal", data=None, database="persons"):
    now = clock.now().isoformat()
    return {
        "id": rid,
        "database": database,
        "owner": owner,
        "label": label,
        "key": label.casefold(),
        "data": data or PERSON,
        "version": 1,
        "handling": "H1",
        "handling_note": "",
        "notify_on_view": False,
        "updated_at": now,
        "retain_until": now,
    }


def held(peers, *records):
    delivery.accept(arriving(peers, replication.UPSERT, {"records": list(records)}, sender="hub"), 1)


def last_change(peers):
    raw = OutboxEnvelope.objects.filter(kind=lifecycle.CHANGE).latest("id").payload
    return envelope.open_body(envelope.decode(bytes(raw)), "hub", peers["hub"])


def test_the_owners_officer_edits_from_the_records_page_and_keeps_its_aliases(client, peers, user_factory):
    held(peers, replica_body())
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    page = client.get(f"/records/{RID}/").content.decode()
    for action in ("edit", "restriction", "withdraw", "extend"):
        assert f"/records/{RID}/{action}/" in page
    form = client.get(f"/records/{RID}/edit/").content.decode()
    assert 'value="Lucie Marchal"' in form and 'value="1990"' in form
    response = client.post(
        f"/records/{RID}/edit/",
        {
            "name": "Lucie Marchal",
            "script": "Latn",
            "birth_year": "1990",
            "birth_month": "4",
            "birth_day": "12",
            "sex": "F",
            "nationalities": "FR",
            "reason": "full date of birth from the civil register",
        },
    )
    assert response.status_code == 302
    sent = last_change(peers)
    assert sent["action"] == "edit" and sent["reason"] == "full date of birth from the civil register"
    assert sent["data"]["date_of_birth"] == {"year": 1990, "month": 4, "day": 12}
    assert {"value": "Lucie Vernet", "script": "Latn", "kind": "alias"} in sent["data"]["names"]
    assert "waiting for the hub" in client.get("/records/changes/").content.decode()


def test_restriction_withdrawal_and_extension_pages(client, peers, user_factory):
    held(peers, replica_body())
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.post(f"/records/{RID}/withdraw/", {"reason": ""}).status_code == 400  # a reason is needed
    response = client.post(
        f"/records/{RID}/restriction/",
        {"access": "allow", "countries": "BE, DE", "handling": "H2", "reason": "x"},
    )
    assert response.status_code == 302
    assert last_change(peers)["restriction"]["countries"] == ["BE", "DE"]
    assert client.post(f"/records/{RID}/extend/", {"reason": "investigation open"}).status_code == 302
    assert last_change(peers)["action"] == "extend"
    assert client.post(f"/records/{RID}/withdraw/", {"reason": "found"}).status_code == 302
    assert last_change(peers)["action"] == "withdraw"
    assert RecordChange.objects.count() == 3


def test_another_bureaus_record_has_no_change_forms(client, peers, user_factory):
    held(peers, replica_body(owner="KE"))
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert f"/records/{RID}/edit/" not in client.get(f"/records/{RID}/").content.decode()
    assert client.get(f"/records/{RID}/edit/").status_code == 403
    assert client.post(f"/records/{RID}/withdraw/", {"reason": "x"}).status_code == 403
    user_factory("agency", "contribute", username="fr-police")
    sign_in(client, "fr-police")
    assert client.get(f"/records/{RID}/edit/").status_code == 403


def test_the_api_answers_202_with_the_pending_change_and_then_the_hubs_answer(client, peers, user_factory):
    held(peers, replica_body(database="documents", label="FR FR-440011", data=DOC))
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    response = client.patch(
        f"/api/v1/records/{RID}",
        {"data": {**DOC, "status": "stolen"}, "reason": "stolen"},
        content_type="application/json",
    )
    assert response.status_code == 202
    change = response.json()
    assert (change["action"], change["status"], change["record_id"]) == ("edit", "sent", RID)
    empty = client.patch(f"/api/v1/records/{RID}", {"reason": "x"}, content_type="application/json")
    assert empty.status_code == 422 and empty["content-type"] == "application/problem+json"
    withdraw = client.post(f"/api/v1/records/{RID}/withdraw", {"reason": ""}, content_type="application/json")
    assert withdraw.status_code == 422 and "reason" in withdraw.content.decode()
    assert (
        client.post(
            f"/api/v1/records/{RID}/withdraw", {"reason": "found"}, content_type="application/json"
        ).status_code
        == 202
    )
    outcome = {"change": change["id"], "status": "refused", "errors": {"type": ["not a type"]}}
    delivery.accept(arriving(peers, lifecycle.CHANGE_OUTCOME, outcome, sender="hub"), 2)
    answered = client.get(f"/api/v1/records/changes/{change['id']}").json()
    assert answered["status"] == "refused" and answered["errors"] == {"type": ["not a type"]}


def test_the_gs_corrects_at_the_hub_with_a_written_reason(client, hub, user_factory):
    record = services.contribute(Actor("fr-officer", "FR"), "documents", DOC)
    user_factory("gs", "reviewer", username="gs-reviewer")
    sign_in(client, "gs-reviewer")
    assert f"/records/{record.pk}/correct/" in client.get(f"/records/{record.pk}/").content.decode()
    form = {
        "number": "FR-440011",
        "type": "passport",
        "issuing_country": "FR",
        "status": "stolen",
        "date": "2026-06-01",
    }
    assert client.post(f"/records/{record.pk}/correct/", {**form, "reason": ""}).status_code == 400
    assert (
        client.post(
            f"/records/{record.pk}/correct/", {**form, "reason": "owner's letter 12/2026"}
        ).status_code
        == 302
    )
    version = RecordVersion.objects.get(record=record, version=2)
    assert (version.changed_by_country, version.reason) == ("GS", "owner's letter 12/2026")
    assert Record.objects.get().data["status"] == "stolen"


def test_the_hubs_list_filters_and_pages_through_every_record(client, hub, user_factory):
    fr, ke = Actor("fr-officer", "FR"), Actor("ke-officer", "KE")
    for i in range(120):
        services.contribute(fr if i % 2 else ke, "documents", {**DOC, "number": f"FR-{i:06d}"})
    with clock.travel(timedelta(days=3)):
        gone = services.contribute(fr, "documents", {**DOC, "number": "FR-999999"})
        services.withdraw(fr, str(gone.pk), "found")
    user_factory("gs", "analyst", username="gs-analyst")
    sign_in(client, "gs-analyst")
    seen, url = [], "/records/?database=documents&owner=FR"
    while url:
        response = client.get(url)
        page = response.context
        seen += [r.pk for r in page["records"]]
        url = f"/records/?{page['next_page']}" if page["next_page"] else None
    assert len(seen) == len(set(seen)) == 60  # FR's live ones, a page of 50 and the rest
    withdrawn = client.get("/records/?status=withdrawn").context["records"]
    assert [r.pk for r in withdrawn] == [gone.pk]
    since = (clock.now() + timedelta(days=2)).date().isoformat()
    assert [r.pk for r in client.get(f"/records/?status=any&since={since}").context["records"]] == [gone.pk]
    api = client.get("/api/v1/records?status=withdrawn").json()
    assert [r["id"] for r in api["results"]] == [str(gone.pk)] and api["results"][0]["status"] == "withdrawn"
    first = client.get("/api/v1/records?owner=KE").json()
    assert len(first["results"]) and all(r["owner"] == "KE" for r in first["results"])


def test_a_nodes_list_filters_its_replica(client, peers, user_factory):
    held(
        peers,
        replica_body(),
        replica_body(rid="019ac000-0000-7000-8000-0000000000b2", owner="KE", label="Amani Otieno"),
    )
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert [r.owner for r in client.get("/records/?owner=KE").context["records"]] == ["KE"]
    assert list(client.get("/records/?status=withdrawn").context["records"]) == []
    assert client.get("/api/v1/records/replica?owner=FR").json()["results"][0]["label"] == "Lucie Marchal"
