"""The change feed: each node receives exactly what its country may see, and gives back what it
no longer may; a joining node gets its snapshot; `replica verify` names the differences."""

import base64
import json
import zlib

import pytest

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network import services as network
from ncbnet.network.models import NodeKey, OutboxEnvelope
from ncbnet.records import packing, replication, services, snapshot
from ncbnet.records.models import ReplicaRecord

DOC = {
    "number": "X1234567",
    "type": "passport",
    "issuing_country": "KE",
    "status": "stolen",
    "date": "2026-01-05",
}
KE = Actor("ke-officer", "KE")

pytestmark = pytest.mark.django_db


def feed(kind):
    """What the hub's outbox holds of `kind`, once the worker's `records.changes` job has run."""
    replication.send_changes()
    out = []
    for o in OutboxEnvelope.objects.filter(kind=kind).order_by("id"):
        out.append(envelope.decode(bytes(o.payload)))
    return out


def test_a_record_reaches_exactly_the_nodes_that_may_see_it_and_leaves_when_denied(peers, hub, settings):
    record = services.contribute(KE, "documents", DOC, {"access": "deny", "countries": ["BR"]})
    [upsert] = feed(replication.UPSERT)
    assert upsert["to"] == ["FR", "KE"]  # never BR
    assert "BR" not in upsert["sealed"]["keys"]
    body = envelope.open_body(upsert, "KE", peers["KE"])
    assert (
        packing.records_of(body)[0]["id"] == str(record.pk) and "countries" not in packing.records_of(body)[0]
    )
    services.change(KE, str(record.pk), restriction={"access": "allow", "countries": ["BR"]}, reason="")
    upserts, [removal] = feed(replication.UPSERT), feed(replication.REMOVE)
    assert upserts[-1]["to"] == ["BR", "KE"] and removal["to"] == ["FR"]
    assert envelope.open_body(removal, "FR", peers["FR"]) == {"ids": [str(record.pk)]}


def test_a_joining_node_gets_its_snapshot(tmp_path, peers, hub):
    from ncbnet.base.crypto import KeyStore

    services.contribute(KE, "documents", DOC)
    services.contribute(
        KE, "documents", {**DOC, "number": "Y7654321"}, {"access": "deny", "countries": ["DE"]}
    )
    de = KeyStore(tmp_path / "de", "DE")
    network.register(None, de.generate().as_dict())
    snapshot.send()
    [chunk] = [envelope.open_body(e, "DE", de) for e in feed(snapshot.CHUNK)]
    assert [r[4] for r in json.loads(zlib.decompress(base64.b64decode(chunk["packed"])))] == ["X1234567"]


def node_receives(peers, kind, body, seq):
    return delivery.accept(arriving(peers, kind, body, sender="hub"), seq)


def record_body(version, number="X1234567", rid="019ac000-0000-7000-8000-000000000001"):
    now = clock.now().isoformat()
    return {
        "id": rid,
        "database": "documents",
        "owner": "KE",
        "label": f"KE {number}",
        "key": number,
        "data": {**DOC, "number": number},
        "version": version,
        "handling": "H0",
        "handling_note": "",
        "notify_on_view": False,
        "updated_at": now,
        "retain_until": now,
    }


def test_the_node_applies_changes_in_version_order_and_removals(peers):
    assert node_receives(peers, replication.UPSERT, {"records": [record_body(2)]}, 1) == "accepted"
    assert node_receives(peers, replication.UPSERT, {"records": [record_body(1, "OLD")]}, 2) == "accepted"
    assert ReplicaRecord.objects.get().key == "X1234567"  # the late older version did not win
    node_receives(peers, replication.REMOVE, {"ids": [record_body(2)["id"]]}, 3)
    assert not ReplicaRecord.objects.exists()


def test_replica_changes_from_anyone_but_the_hub_are_refused(peers):
    raw = arriving(peers, replication.UPSERT, {"records": [record_body(1)]}, sender="BR")
    assert delivery.accept(raw, 1) == "quarantined"
    assert not ReplicaRecord.objects.exists()


def test_replica_verify_names_the_differences(peers, capsys, monkeypatch):
    node_receives(peers, replication.UPSERT, {"records": [record_body(1)]}, 1)
    check = replication.request_check()
    assert feed(replication.VERIFY_REQUEST)[0]["to"] == ["hub"]
    expected = {record_body(1)["id"]: 2, "019ac000-0000-7000-8000-00000000000f": 1}
    page = {"check": check.pk, "part": 0, "parts": 1, "digest": replication.digest(expected)}
    assert node_receives(peers, replication.VERIFY_ANSWER, page | {"expected": expected}, 2) == "accepted"
    result = replication.check_result(check.pk)
    assert result["missing"] == ["019ac000-0000-7000-8000-00000000000f"]
    assert result["stale"] == [record_body(1)["id"]] and result["extra"] == []
    assert result["expected_digest"] != result["held_digest"]
    assert (
        replication.compare({record_body(1)["id"]: 1})["held_digest"]
        == replication.compare({record_body(1)["id"]: 1})["expected_digest"]
    )
    assert NodeKey.objects.filter(node="hub").exists()


def test_an_owner_who_asked_is_told_when_another_bureau_views_its_record(client, peers, user_factory):
    from ncbnet.conftest import sign_in
    from ncbnet.records.models import OwnerAlert

    body = record_body(1) | {"owner": "KE", "notify_on_view": True}
    node_receives(peers, replication.UPSERT, {"records": [body]}, 1)
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    assert client.get(f"/records/{body['id']}/").status_code == 200
    [told] = feed(replication.VIEWED)
    assert told["to"] == ["KE"]
    assert envelope.open_body(told, "KE", peers["KE"])["by"] == "FR"
    # On the owner's side (this test node stands in for Kenya's): a report from the viewer is kept.
    me = peers["FR"].public()
    for sender, by, expected in (("BR", "BR", "accepted"), ("BR", "KE", "quarantined")):
        e = envelope.build(
            kind=replication.VIEWED,
            sender=sender,
            recipients={
                "FR": envelope.PeerKey("FR", me.key_id, me.signing_public, me.encryption_public, "active")
            },
            body={"id": body["id"], "label": "KE X1234567", "by": by, "at": clock.now().isoformat()},
            signer=peers[sender],
            now=clock.now(),
        )
        assert delivery.accept(envelope.encode(e), 10 + len(by) + len(expected)) == expected
    assert list(OwnerAlert.objects.values_list("by", flat=True)) == ["BR"]
    home = client.get("/").content.decode()
    assert "views and hits by others" in home and "KE X1234567" in home and "viewed" in home
