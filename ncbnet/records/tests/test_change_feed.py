"""The hub's change feed in batches: a change is noted in its own transaction and sealed by the
worker's `records.changes` job, many records to an envelope, to exactly the nodes that may see
each record when it is sent; a node refuses a batch from anyone but the hub, and quarantines a
batch that is too big or malformed, whole."""

import base64
import json
import zlib

import pytest

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.records import packing, replication, services, snapshot
from ncbnet.records.models import PendingChange, ReplicaRecord

DOC = {"type": "passport", "issuing_country": "KE", "status": "stolen", "date": "2026-01-05"}
KE = Actor("ke-officer", "KE")

pytestmark = pytest.mark.django_db


def queued(kind):
    rows = OutboxEnvelope.objects.filter(kind=kind).order_by("id")
    return [envelope.decode(bytes(o.payload)) for o in rows]


def contribute(number, restriction=None):
    return services.contribute(KE, "documents", {**DOC, "number": number}, restriction)


def test_changes_wait_for_the_job_and_travel_many_to_an_envelope(peers, hub):
    records = [contribute(f"B{i:07d}") for i in range(5)]
    assert queued(replication.UPSERT) == []  # nothing sealed in the changes' own transactions
    assert PendingChange.objects.count() == 5
    assert replication.send_changes() == 5
    [upsert] = queued(replication.UPSERT)
    assert upsert["to"] == ["BR", "FR", "KE"]
    body = envelope.open_body(upsert, "BR", peers["BR"])
    assert sorted(r["id"] for r in packing.records_of(body)) == sorted(str(r.pk) for r in records)
    assert not PendingChange.objects.exists()
    assert replication.send_changes() is None  # nothing sent twice
    assert len(queued(replication.UPSERT)) == 1


def test_the_audience_is_judged_when_the_change_is_sent(peers, hub):
    record = contribute("C1234567")  # every country may see it …
    services.change(KE, str(record.pk), restriction={"access": "deny", "countries": ["BR"]}, reason="")
    replication.send_changes()  # … but Brazil no longer may when the job runs
    [upsert] = queued(replication.UPSERT)
    assert upsert["to"] == ["FR", "KE"] and "BR" not in upsert["sealed"]["keys"]
    assert [r["version"] for r in packing.records_of(envelope.open_body(upsert, "FR", peers["FR"]))] == [2]
    [removal] = queued(replication.REMOVE)
    assert removal["to"] == ["BR"]
    assert envelope.open_body(removal, "BR", peers["BR"]) == {"ids": [str(record.pk)]}


def test_a_record_withdrawn_before_its_change_went_out_only_leaves(peers, hub):
    kept, gone = contribute("D1234567"), contribute("D7654321")
    services.withdraw(KE, str(gone.pk), reason="entered by mistake")
    replication.send_changes()
    [upsert] = queued(replication.UPSERT)
    assert [r["id"] for r in packing.records_of(envelope.open_body(upsert, "KE", peers["KE"]))] == [
        str(kept.pk)
    ]
    [removal] = queued(replication.REMOVE)
    assert removal["to"] == ["BR", "FR", "KE"]
    assert envelope.open_body(removal, "FR", peers["FR"]) == {"ids": [str(gone.pk)]}


def test_a_node_that_joined_while_a_change_waited_has_it_from_both(peers, hub, tmp_path):
    from ncbnet.base.crypto import KeyStore
    from ncbnet.network import services as network

    record = contribute("F1234567")
    de = KeyStore(tmp_path / "de", "DE")
    network.register(None, de.generate().as_dict())  # the snapshot starts with the registration
    snapshot.send()
    replication.send_changes()  # and the waiting change too: never lost, kept once by the node
    [chunk] = [envelope.open_body(e, "DE", de) for e in queued(snapshot.CHUNK)]
    assert [r[0] for r in json.loads(zlib.decompress(base64.b64decode(chunk["packed"])))] == [str(record.pk)]
    [sent] = queued(replication.UPSERT)
    assert sent["to"] == ["BR", "DE", "FR", "KE"]
    assert [r["id"] for r in packing.records_of(envelope.open_body(sent, "DE", de))] == [str(record.pk)]


def test_while_changes_pour_in_the_job_waits_to_fill_its_envelopes(peers, hub):
    for i in range(replication.BUSY):
        contribute(f"G{i:07d}")
    assert replication.send_changes() == replication.BUSY
    lone = contribute("H1234567")
    assert replication.send_changes() is None  # so soon after a busy run: it waits for more
    assert PendingChange.objects.get().record_id == lone.pk
    with clock.travel(replication.BUSY_EVERY):
        assert replication.send_changes() == 1
        assert replication.send_changes() is None  # a quiet run: the next change goes at once
        contribute("H7654321")
        assert replication.send_changes() == 1


def test_the_job_does_nothing_on_a_node(peers):
    assert replication.send_changes() is None


# --- on a node: the hostile side ------------------------------------------------------------------


def record_body(i, **changes):
    now = clock.now().isoformat()
    number = f"E{i:07d}"
    return {
        "id": f"019ac000-0000-7000-8000-{i:012x}",
        "database": "documents",
        "owner": "KE",
        "label": f"KE {number}",
        "key": number,
        "data": {**DOC, "number": number},
        "version": 1,
        "handling": "H0",
        "handling_note": "",
        "notify_on_view": False,
        "updated_at": now,
        "retain_until": now,
        **changes,
    }


def test_a_batch_from_a_bureau_is_refused_whole(peers):
    raw = arriving(peers, replication.UPSERT, {"records": [record_body(i) for i in range(50)]}, sender="BR")
    assert delivery.accept(raw, 1) == "quarantined"
    assert not ReplicaRecord.objects.exists()
    assert "replica changes" in Quarantine.objects.get().reason


def test_a_batch_beyond_the_bounds_is_quarantined_whole(peers):
    # More records than a batch holds (10,000): more values than an envelope may (200,000)
    body = {"records": [record_body(i) for i in range(10_001)]}
    raw = arriving(peers, replication.UPSERT, body, sender="hub", confidential=False)
    assert delivery.accept(raw, 1) == "quarantined"
    assert not ReplicaRecord.objects.exists()
    assert "more than 200,000 values" in Quarantine.objects.get().reason


def test_a_batch_with_one_malformed_record_is_quarantined_whole(peers):
    records = [record_body(i) for i in range(20)]
    records[7] = record_body(7, version=-1)
    raw = arriving(peers, replication.UPSERT, {"records": records}, sender="hub")
    assert delivery.accept(raw, 1) == "quarantined"
    assert not ReplicaRecord.objects.exists()
    assert "records.7.version" in Quarantine.objects.get().reason


def test_a_good_batch_is_kept_whole(peers):
    raw = arriving(peers, replication.UPSERT, {"records": [record_body(i) for i in range(300)]}, sender="hub")
    assert delivery.accept(raw, 1) == "accepted"
    assert ReplicaRecord.objects.count() == 300


def packed(records, *, raw=None, rows=None, text=None):
    data = json.dumps(records).encode()
    return {
        "packed": {
            "zlib": text if text is not None else base64.b64encode(zlib.compress(data)).decode(),
            "raw": raw if raw is not None else len(data),
            "rows": rows if rows is not None else len(records),
        }
    }


def test_a_packed_batch_is_opened_and_kept_whole(peers):
    raw = arriving(peers, replication.UPSERT, packed([record_body(i) for i in range(300)]), sender="hub")
    assert delivery.accept(raw, 1) == "accepted"
    assert ReplicaRecord.objects.count() == 300


BOMB = zlib.compress(b"[" + b" " * (packing.RECORDS_RAW + 10) + b"]")
CUT = base64.b64encode(zlib.compress(b"[1]")[:-3]).decode()


@pytest.mark.parametrize(
    "body, why",
    [
        (packed([record_body(1)], raw=10), "opens to"),  # not the size it says
        (packed([record_body(1)], rows=2), "not a list of the 2 records"),
        (packed([record_body(1)], text="not base64!"), "not base64"),
        (packed([record_body(1)], text=base64.b64encode(b"not zlib").decode()), "do not decompress"),
        (packed([record_body(1)], text=base64.b64encode(BOMB).decode(), raw=100), "opens to more than"),
        (packed([record_body(1)], text=CUT, raw=3), "cut short"),
        (packed({"records": [record_body(1)]}, rows=1), "not a list"),
        (packed([record_body(1, data={"number": "a\x00b"})]), "NUL"),
        (packed([record_body(1, version=2**60)]), "beyond"),
        (packed([record_body(1, version=0)]), "records.0.version"),
        (packed([record_body(1)]) | {"records": [record_body(2)]}, "nothing else"),
        ({"packed": {"zlib": "", "raw": 2, "rows": 1, "more": 1}}, "packed: more"),
    ],
)
def test_a_packed_batch_that_does_not_open_within_its_bounds_is_quarantined_whole(peers, body, why):
    raw = arriving(peers, replication.UPSERT, body, sender="hub")
    assert delivery.accept(raw, 1) == "quarantined"
    assert not ReplicaRecord.objects.exists()
    assert why in Quarantine.objects.get().reason
