"""Published notices reach every node; cancellation and expiry take them off every replica."""

from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.notices import replication, services
from ncbnet.notices.models import ReplicaNotice
from ncbnet.notices.tests.test_notices import FR, GS, red, submitted

pytestmark = pytest.mark.django_db


def sent(kind):
    return [
        envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.filter(kind=kind).order_by("id")
    ]


def test_publication_cancellation_and_expiry_reach_every_node(peers, hub):
    n = submitted()
    assert sent(replication.PUBLISHED) == []
    services.review(GS, str(n.pk), "approve", "ok")
    [published] = sent(replication.PUBLISHED)
    assert published["to"] == ["BR", "FR", "KE"]
    assert envelope.open_body(published, "BR", peers["BR"])["title"] == "Marc Dupont"
    services.cancel(FR, str(n.pk), "Arrested.")
    assert envelope.open_body(sent(replication.WITHDRAWN)[0], "KE", peers["KE"]) == {
        "id": str(n.pk),
        "state": "cancelled",
    }
    other = submitted(red(subject={"names": [{"value": "Luc Martin"}]}))
    services.review(GS, str(other.pk), "approve", "ok")
    with clock.travel(timedelta(days=365 * 5 + 2)):
        services.tick()
    assert [e for e in sent(replication.WITHDRAWN)][-1]["to"] == ["BR", "FR", "KE"]


def from_hub(peers, kind, body, seq, signer="hub"):
    return delivery.accept(arriving(peers, kind, body, sender=signer), seq)


def test_a_node_keeps_published_notices_until_withdrawn(peers):
    body = {
        "id": "019ac000-0000-7000-8000-0000000000aa",
        "kind": "red",
        "owner": "KE",
        "title": "Otieno",
        "data": {},
        "published_at": clock.now().isoformat(),
    }
    assert from_hub(peers, replication.PUBLISHED, body, 1) == "accepted"
    assert ReplicaNotice.objects.get().title == "Otieno"
    assert from_hub(peers, replication.WITHDRAWN, {"id": body["id"], "state": "expired"}, 2) == "accepted"
    assert not ReplicaNotice.objects.exists()
    assert from_hub(peers, replication.PUBLISHED, body, 3, signer="BR") == "quarantined"


def test_a_joining_node_gets_the_published_notices(tmp_path, peers, hub):
    from ncbnet.base.crypto import KeyStore
    from ncbnet.network import services as network

    n = submitted()
    services.review(GS, str(n.pk), "approve", "ok")
    submitted(red(subject={"names": [{"value": "Not Yet Reviewed"}]}))
    de = KeyStore(tmp_path / "de", "DE")
    network.register(None, de.generate().as_dict())
    [snapshot] = [e for e in sent(replication.PUBLISHED) if e["to"] == ["DE"]]
    assert envelope.open_body(snapshot, "DE", de)["id"] == str(n.pk)


def test_a_published_notice_carries_its_subjects_identity_to_every_node(peers, hub):
    from ncbnet.records import services as records

    person = records.contribute(
        FR,
        "persons",
        {
            "names": [
                {"value": "Алексей Смирнов", "script": "Cyrl"},
                {"value": "Aleksei Smirnov", "kind": "latin"},
            ],
            "date_of_birth": {"year": 1984, "month": 3},
            "nationalities": ["RU"],
        },
        {"access": "allow", "countries": ["KE"]},
    )
    n = submitted(red(subject={"record_id": str(person.pk)}))
    assert n.title == "Алексей Смирнов (Aleksei Smirnov)"
    services.review(GS, str(n.pk), "approve", "ok")
    body = envelope.open_body(sent(replication.PUBLISHED)[-1], "BR", peers["BR"])
    assert body["data"]["subject"]["names"][1]["value"] == "Aleksei Smirnov"
    assert body["data"]["subject"]["date_of_birth"] == {"year": 1984, "month": 3, "day": None}
