"""Contributing from a node: the hub decides, owns nothing, and answers; the record comes back
through the replica feed."""

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records import contribution
from ncbnet.records.models import Contribution, Record

pytestmark = pytest.mark.django_db
DOC = {
    "number": "FR-778899",
    "type": "passport",
    "issuing_country": "FR",
    "status": "lost",
    "date": "2026-06-01",
}


def sent(kind):
    return envelope.decode(bytes(OutboxEnvelope.objects.filter(kind=kind).latest("id").payload))


def test_a_node_sends_its_contribution_to_the_hub(peers, user_factory, client):
    officer = user_factory("ncb", "officer", username="fr-officer")
    client.force_login(officer)
    response = client.post(
        "/api/v1/records/contributions",
        {"database": "documents", "data": DOC},
        content_type="application/json",
    )
    assert response.status_code == 202 and response.json()["status"] == "sent"
    e = sent(contribution.CONTRIBUTE)
    assert e["to"] == ["hub"]
    assert envelope.open_body(e, "hub", peers["hub"])["data"] == DOC


def hub_receives(peers, body, seq):
    # In these tests the hub's private keys are this test node's own (peers["FR"] is keys()).
    return delivery.accept(arriving(peers, contribution.CONTRIBUTE, body, sender="FR"), seq)


def test_the_hub_makes_the_sender_the_owner_and_answers(peers, hub):
    c1, c2 = envelope.new_id(), envelope.new_id()
    ok = {"contribution": c1, "by": "fr-officer", "database": "documents", "data": DOC, "restriction": None}
    assert hub_receives(peers, ok, 1) == "accepted"
    record = Record.objects.get()
    assert record.owner == "FR"
    outcome = sent(contribution.OUTCOME)
    assert outcome["to"] == ["FR"]
    assert envelope.open_body(outcome, "FR", peers["FR"]) == {
        "contribution": c1,
        "status": "accepted",
        "record": str(record.pk),
    }
    bad = {**ok, "contribution": c2, "database": "artworks", "data": {"title": "x"}}
    assert hub_receives(peers, bad, 2) == "accepted"  # the envelope is fine; the contribution is refused
    refused = envelope.open_body(sent(contribution.OUTCOME), "FR", peers["FR"])
    assert refused["status"] == "refused" and "type" in refused["errors"]
    assert Record.objects.count() == 1


def test_the_node_records_the_hubs_answer(peers, user_factory):
    officer = user_factory("ncb", "officer")
    c = contribution.submit(officer, "documents", DOC)
    hub = peers["hub"]
    fr = peers["FR"].public()
    answer = envelope.build(
        kind=contribution.OUTCOME,
        sender="hub",
        recipients={
            "FR": envelope.PeerKey("FR", fr.key_id, fr.signing_public, fr.encryption_public, "active")
        },
        body={"contribution": str(c.pk), "status": "refused", "errors": {"database": ["rule: databases"]}},
        signer=hub,
        now=clock.now(),
    )
    assert delivery.accept(envelope.encode(answer), 1) == "accepted"
    c = Contribution.objects.get()
    assert c.status == "refused" and c.errors == {"database": ["rule: databases"]}


def test_agency_users_do_not_contribute_directly(client, peers, user_factory):
    client.force_login(user_factory("agency", "contribute"))
    response = client.post(
        "/api/v1/records/contributions",
        {"database": "documents", "data": DOC},
        content_type="application/json",
    )
    assert response.status_code == 403
