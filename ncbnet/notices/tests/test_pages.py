"""The pages: a node's databases and notices (its replica), the hub's review queue."""

import uuid

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in
from ncbnet.notices import services
from ncbnet.notices.models import Notice, ReplicaNotice, State
from ncbnet.notices.tests.test_notices import FR, red
from ncbnet.records.models import ReplicaRecord

pytestmark = pytest.mark.django_db


def test_a_node_shows_its_replica_of_records_and_notices(client, user_factory):
    now = clock.now()
    ReplicaRecord.objects.create(
        id=uuid.uuid4(),
        database="documents",
        owner="KE",
        label="KE AB1234567",
        key="AB1234567",
        data={"number": "AB1234567", "status": "stolen"},
        version=1,
        handling="H0",
        updated_at=now,
        retain_until=now,
        received_at=now,
    )
    notice = ReplicaNotice.objects.create(
        id=uuid.uuid4(),
        kind="red",
        owner="BR",
        title="João da Silva",
        data={"charges": ["fraud"], "law": "CP art. 171"},
        published_at=now,
        received_at=now,
    )
    user_factory("agency", "query", username="fr-police")
    sign_in(client, "fr-police")
    page = client.get("/records/", {"q": "ab-1234567"}).content.decode()
    assert "KE AB1234567" in page
    assert (
        "confirm with the owner" in client.get(f"/records/{ReplicaRecord.objects.get().pk}/").content.decode()
    )
    assert "João da Silva" in client.get("/notices/").content.decode()
    detail = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "fraud" in detail and "not an arrest warrant" in detail
    assert AuditEntry.objects.filter(action="records.replica_search", actor="fr-police").exists()
    assert AuditEntry.objects.filter(action="notices.read", actor="fr-police").exists()
    assert client.get("/review/").status_code == 403


def test_the_gs_reviewer_decides_from_the_queue_with_a_reason(client, hub, user_factory):
    n = services.submit(
        FR,
        str(
            services.draft(
                FR,
                "red",
                red(
                    facts={"summary": "Organised an opposition protest that turned violent.", "place": "Lyon"}
                ),
            ).pk
        ),
    )
    user_factory("gs", "reviewer", username="gs-reviewer")
    sign_in(client, "gs-reviewer")
    page = client.get("/review/").content.decode()
    assert "Marc Dupont" in page and "opposition" in page and "political" in page
    client.post(f"/review/{n.pk}/", {"decision": "approve", "reason": ""})
    assert Notice.objects.get(pk=n.pk).state == State.IN_REVIEW
    client.post(f"/review/{n.pk}/", {"decision": "reject", "reason": "Political character."})
    assert Notice.objects.get(pk=n.pk).state == State.REJECTED
    assert "Nothing waiting." in client.get("/review/").content.decode()


def test_a_gs_analyst_does_not_review(client, hub, user_factory):
    user_factory("gs", "analyst", username="gs-analyst")
    sign_in(client, "gs-analyst")
    assert client.get("/review/").status_code == 403
    assert client.get("/notices/").status_code == 200


def test_an_officer_requests_a_red_notice_from_the_node_and_can_cancel_it(client, peers, user_factory):
    from ncbnet.network import envelope
    from ncbnet.network.models import OutboxEnvelope
    from ncbnet.notices.models import NoticeRequest

    person = ReplicaRecord.objects.create(
        id=uuid.uuid4(),
        database="persons",
        owner="FR",
        label="Marc Dupont",
        key="marc dupont",
        data={"names": [{"value": "Marc Dupont", "script": "Latn", "kind": "primary"}]},
        version=1,
        handling="H0",
        updated_at=clock.now(),
        retain_until=clock.now(),
        received_at=clock.now(),
    )
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    form = {
        "subject__record_id": str(person.pk),
        "subject__script": "Latn",
        "purpose": "prosecution",
        "charges": "armed robbery\nkidnapping",
        "law": "Code pénal, art. 311-8",
        "max_penalty_years": "1",
        "warrant__reference": "MA-1",
        "warrant__date": "2026-09-01",
        "warrant__authority": "Juge d'instruction, Lyon",
        "facts__summary": "Robbed a jewellery store at gunpoint with two accomplices.",
        "facts__place": "Lyon",
    }
    refused = client.post("/notices/request/red/", form)
    assert refused.status_code == 400 and "at least 2 years" in refused.content.decode()
    assert client.post("/notices/request/red/", form | {"max_penalty_years": "20"}).status_code == 302
    sent = envelope.open_body(
        envelope.decode(bytes(OutboxEnvelope.objects.get(kind="notices.request").payload)),
        "hub",
        peers["hub"],
    )
    assert sent["data"]["charges"] == ["armed robbery", "kidnapping"]
    assert sent["data"]["subject"] == {"record_id": str(person.pk)}
    r = NoticeRequest.objects.get()
    assert r.title == "Marc Dupont" and "Marc Dupont" in client.get("/notices/requests/").content.decode()
    client.post(f"/notices/requests/{r.pk}/cancel/", {"reason": "Arrested."})
    assert OutboxEnvelope.objects.filter(kind="notices.cancel").exists()
