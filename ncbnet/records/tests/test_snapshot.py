"""Snapshots by the stream: the hub sends a joining node what it may see in numbered, size-bounded
chunks within a window; the node stores each in bulk with its cursor, refuses what does not follow
it, quarantines what is not a chunk it may store, and asks to resume after a gap."""

import base64
import json
import uuid
import zlib
from datetime import timedelta

import pytest
from django.db import connection

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network import services as network
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.records import replication, services, snapshot
from ncbnet.records.models import ReplicaRecord, SnapshotCursor, SnapshotStream
from ncbnet.records.schemas import SNAPSHOT_RAW
from ncbnet.screening import services as screening
from ncbnet.screening.models import Card, NameKey

pytestmark = pytest.mark.django_db
KE = Actor("ke-officer", "KE")
DOC = {"type": "passport", "issuing_country": "KE", "status": "stolen", "date": "2026-01-05"}
SNAP = "019ac000-0000-7000-8000-0000000000aa"


def out(kind):
    return [
        envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.filter(kind=kind).order_by("id")
    ]


# --- at the hub ---------------------------------------------------------------------------------


@pytest.fixture
def joined(tmp_path, peers, hub, settings):
    """DE joins a hub holding 25 documents KE owns, one of them denied to DE, in chunks of 10."""
    from ncbnet.base.crypto import KeyStore

    settings.NODE = settings.NODE.__class__(**{**settings.NODE.__dict__, "snapshot_chunk_rows": 10})
    ids = [services.contribute(KE, "documents", {**DOC, "number": f"SN{i:07d}"}).pk for i in range(24)]
    denied = services.contribute(
        KE, "documents", {**DOC, "number": "DENIED01"}, {"access": "deny", "countries": ["DE"]}
    ).pk
    de = KeyStore(tmp_path / "de", "DE")
    network.register(None, de.generate().as_dict())
    return de, ids, denied


def test_a_joining_node_gets_numbered_chunks_of_what_it_may_see_within_a_window(joined, monkeypatch):
    de, ids, denied = joined
    monkeypatch.setattr(snapshot, "WINDOW", 2)
    stream = SnapshotStream.objects.get(node="DE")
    assert AuditEntry.objects.filter(action="replica.snapshot_started", subject="DE").exists()
    snapshot.send()
    chunks = [envelope.open_body(e, "DE", de) for e in out(snapshot.CHUNK)]
    assert [c["seq"] for c in chunks] == [1, 2]  # the window: no more until the node stores one
    assert all(e["to"] == ["DE"] for e in out(snapshot.CHUNK))
    stream.refresh_from_db()
    assert (stream.sent_seq, stream.stored_seq, stream.total) == (2, 0, 24)
    rows = [r for c in chunks for r in json.loads(zlib.decompress(base64.b64decode(c["packed"])))]
    assert [uuid.UUID(r[0]) for r in rows] == sorted(ids)[:20]
    assert chunks[1]["after"] == chunks[0]["last"] == rows[9][0]
    assert str(denied) not in {r[0] for r in rows}


def hub_receives(peers, kind, body, seq, sender="KE"):
    """An envelope from a node (KE's keys stand in for DE's) to the hub."""
    return delivery.accept(arriving(peers, kind, body, sender=sender), seq)


def test_the_stream_moves_on_as_the_node_stores_and_finishes_with_the_final_chunk(peers, hub):
    services.contribute(KE, "documents", {**DOC, "number": "SN0000001"})
    stream = snapshot.start(None, "KE")
    snapshot.send()
    [chunk] = [envelope.open_body(e, "KE", peers["KE"]) for e in out(snapshot.CHUNK)]
    assert chunk["final"] and chunk["rows"] == 1
    stored = {"snapshot": str(stream.snapshot), "round": 1, "seq": 1, "key": chunk["last"], "rows": 1}
    assert hub_receives(peers, snapshot.STORED, stored | {"seq": 2, "final": False}, 1) == "quarantined"
    assert hub_receives(peers, snapshot.STORED, stored | {"final": True}, 2) == "accepted"
    stream.refresh_from_db()
    assert stream.finished_at is not None and stream.stored_rows == 1
    assert AuditEntry.objects.filter(action="replica.snapshot_finished", subject="KE").exists()
    progress = snapshot.progress_at_hub()[0]
    assert (progress["node"], progress["rows_stored"], progress["eta_s"]) == ("KE", 1, 0.0)


def test_a_resume_starts_a_new_round_from_the_nodes_cursor_not_more_often_than_allowed(peers, hub, settings):
    settings.NODE = settings.NODE.__class__(**{**settings.NODE.__dict__, "snapshot_chunk_rows": 10})
    for i in range(30):
        services.contribute(KE, "documents", {**DOC, "number": f"SN{i:07d}"})
    stream = snapshot.start(None, "KE")
    snapshot.send()
    first, second, *_ = [envelope.open_body(e, "KE", peers["KE"]) for e in out(snapshot.CHUNK)]
    resume = {"snapshot": str(stream.snapshot), "seq": 1, "key": first["last"], "reason": "chunk 2 lost"}
    assert hub_receives(peers, snapshot.RESUME, resume, 1) == "accepted"
    stream.refresh_from_db()
    assert (stream.round, stream.sent_seq, str(stream.cursor)) == (2, 1, first["last"])
    OutboxEnvelope.objects.all().delete()
    snapshot.send()
    again = [envelope.open_body(e, "KE", peers["KE"]) for e in out(snapshot.CHUNK)]
    assert (again[0]["round"], again[0]["seq"], again[0]["after"]) == (2, 2, first["last"])
    assert again[0]["packed"] == second["packed"]  # chunk 1 is not sent again
    assert hub_receives(peers, snapshot.RESUME, resume, 2) == "quarantined"  # within RESUME_EVERY
    other = resume | {"snapshot": "019ac000-0000-7000-8000-0000000000ff"}
    assert hub_receives(peers, snapshot.RESUME, other, 3) == "quarantined"  # not its snapshot


# --- on an NCB node -----------------------------------------------------------------------------


def row(n, version=1, database="documents", data=None):
    now = clock.now().isoformat()
    rid = f"019ac000-0000-7000-8000-{n:012d}"
    data = data or {**DOC, "number": f"SN{n:07d}"}
    label = data.get("number", "person")
    return [rid, database, "KE", label, label, data, version, "H0", "", False, now, now]


def chunk(seq, rows, after=None, *, final=False, round_=1, node="FR", raw=None, packed=None):
    text = json.dumps(rows).encode()
    return {
        "snapshot": SNAP,
        "node": node,
        "round": round_,
        "seq": seq,
        "after": after,
        "last": rows[-1][0] if rows else after,
        "final": final,
        "total": 6,
        "rows": len(rows),
        "raw": raw or len(text),
        "packed": packed or base64.b64encode(zlib.compress(text)).decode(),
    }


def node_receives(peers, body, seq):
    return delivery.accept(arriving(peers, snapshot.CHUNK, body, sender="hub"), seq)


PERSON = {
    "names": [{"value": "Amina Odhiambo", "script": "Latn", "kind": "primary"}],
    "date_of_birth": {"year": 1980, "month": None, "day": None},
    "sex": "F",
    "nationalities": ["KE"],
    "distinguishing_marks": "",
    "photos": [],
}


def test_the_node_stores_chunks_in_order_with_its_cursor_indexes_persons_and_says_so(peers):
    first = [row(1), row(2, database="persons", data=PERSON), row(3)]
    assert node_receives(peers, chunk(1, first), 1) == "accepted"
    cursor = SnapshotCursor.objects.get()
    assert (cursor.seq, str(cursor.key), cursor.rows) == (1, first[-1][0], 3)
    assert Card.objects.filter(record_id=first[1][0]).exists()  # indexed for screening as it came
    assert node_receives(peers, chunk(2, [row(4), row(5)], first[-1][0], final=True), 2) == "accepted"
    cursor.refresh_from_db()
    assert cursor.finished_at is not None and ReplicaRecord.objects.count() == 5
    receipts = [envelope.open_body(e, "hub", peers["hub"]) for e in out(snapshot.STORED)]
    assert [(r["seq"], r["rows"], r["final"]) for r in receipts] == [(1, 3, False), (2, 5, True)]
    assert AuditEntry.objects.filter(action="replica.snapshot_stored").exists()
    assert snapshot.progress_at_node()[0]["rows_stored"] == 5


def secondary_indexes(model):
    with connection.cursor() as c:
        found = connection.introspection.get_constraints(c, model._meta.db_table)
    return {name for name, info in found.items() if info["index"] and not info["primary_key"]}


def test_a_first_load_is_written_without_the_key_indexes_and_builds_them_after_the_final_chunk(
    peers, user_factory, django_capture_on_commit_callbacks
):
    replica_indexes, key_indexes = secondary_indexes(ReplicaRecord), secondary_indexes(NameKey)
    assert {"replica_lookup", "replica_folded_lookup", "namekey_once"} <= replica_indexes | key_indexes
    first = [row(1), row(2, database="persons", data=PERSON)]
    assert node_receives(peers, chunk(1, first), 1) == "accepted"
    cursor = SnapshotCursor.objects.get()
    assert cursor.deferred and cursor.indexed_at is None
    assert not {"replica_lookup", "replica_folded_lookup"} & secondary_indexes(ReplicaRecord)
    assert "namekey_once" not in secondary_indexes(NameKey)
    assert secondary_indexes(NameKey)  # the keys by card: the change feed removes a card's keys by it
    # Meanwhile a search reads every row it holds, and finds what has arrived.
    officer = user_factory("ncb", "officer")
    assert [h.record for h in screening.document(officer, "SN0000001", context={}).hits] == [row(1)[0]]
    assert [h.record for h in screening.person(officer, "Amina Odhiambo", context={}).hits] == [row(2)[0]]
    with django_capture_on_commit_callbacks(execute=True):
        assert node_receives(peers, chunk(2, [row(3)], row(2)[0], final=True), 2) == "accepted"
    cursor.refresh_from_db()
    assert cursor.deferred == [] and cursor.indexed_at is not None
    assert secondary_indexes(ReplicaRecord) == replica_indexes
    assert secondary_indexes(NameKey) == key_indexes
    assert AuditEntry.objects.filter(action="replica.snapshot_indexed").exists()
    assert [h.record for h in screening.document(officer, "SN0000003", context={}).hits] == [row(3)[0]]


def test_a_load_into_a_replica_that_holds_records_keeps_its_indexes(peers):
    upsert = {"records": [dict(zip(snapshot.COLUMNS[:-1], row(9), strict=True))]}
    assert delivery.accept(arriving(peers, replication.UPSERT, upsert, sender="hub"), 1) == "accepted"
    before = secondary_indexes(ReplicaRecord) | secondary_indexes(NameKey)
    assert node_receives(peers, chunk(1, [row(1)]), 2) == "accepted"
    assert SnapshotCursor.objects.get().deferred == []
    assert secondary_indexes(ReplicaRecord) | secondary_indexes(NameKey) == before


def test_indexes_a_stopped_worker_left_unbuilt_are_built_by_the_watch(peers):
    built = secondary_indexes(ReplicaRecord)
    assert node_receives(peers, chunk(1, [row(1)]), 1) == "accepted"
    assert snapshot.build_deferred() == 0  # not before the final chunk
    # The final chunk stored, the worker stopped before it built them (its commit hooks never ran).
    assert node_receives(peers, chunk(2, [row(2)], row(1)[0], final=True), 2) == "accepted"
    assert SnapshotCursor.objects.get().deferred
    assert snapshot.watch() is True
    assert secondary_indexes(ReplicaRecord) == built
    assert SnapshotCursor.objects.get().deferred == [] and snapshot.watch() is None


def test_a_newer_snapshot_has_the_indexes_of_an_unfinished_first_load_built(peers):
    built = secondary_indexes(ReplicaRecord) | secondary_indexes(NameKey)
    assert node_receives(peers, chunk(1, [row(1)]), 1) == "accepted"
    newer = {**chunk(1, [row(2)]), "snapshot": "019ac000-0000-7000-8000-0000000000bb"}
    with clock.travel(timedelta(seconds=1)):
        assert node_receives(peers, newer, 2) == "accepted"
    assert SnapshotCursor.objects.get(snapshot=newer["snapshot"]).deferred == []  # the replica holds one
    assert snapshot.build_deferred() > 0
    assert secondary_indexes(ReplicaRecord) | secondary_indexes(NameKey) == built


def test_a_duplicate_chunk_is_refused_with_an_audit_entry_and_stores_nothing(peers):
    assert node_receives(peers, chunk(1, [row(1), row(2)]), 1) == "accepted"
    resent = chunk(1, [row(1, version=1), row(2), row(3)])
    assert node_receives(peers, resent, 2) == "accepted"  # handled: refused, not quarantined
    assert ReplicaRecord.objects.count() == 2 and SnapshotCursor.objects.get().refused == 1
    assert AuditEntry.objects.filter(action="replica.snapshot_chunk_refused").count() == 1
    assert not out(snapshot.RESUME)  # nothing was lost


def test_a_chunk_after_a_gap_is_refused_and_the_node_asks_to_resume_from_its_cursor_once(peers):
    assert node_receives(peers, chunk(1, [row(1)]), 1) == "accepted"
    assert node_receives(peers, chunk(3, [row(5)], row(4)[0]), 2) == "accepted"
    assert node_receives(peers, chunk(4, [row(6)], row(5)[0]), 3) == "accepted"
    assert ReplicaRecord.objects.count() == 1
    [ask] = [envelope.open_body(e, "hub", peers["hub"]) for e in out(snapshot.RESUME)]
    assert (ask["seq"], ask["key"]) == (1, row(1)[0])
    # The hub resumes: round 2 from chunk 2 follows the cursor and is stored.
    assert node_receives(peers, chunk(2, [row(2), row(3)], row(1)[0], round_=2), 4) == "accepted"
    assert ReplicaRecord.objects.count() == 3
    # A chunk of the round before, still on its way, no longer fits.
    assert node_receives(peers, chunk(3, [row(4)], row(3)[0], round_=1), 5) == "accepted"
    assert ReplicaRecord.objects.count() == 3


@pytest.mark.parametrize(
    "body, why",
    [
        (chunk(1, [row(1)], node="BR"), "for BR"),
        (chunk(1, [row(1)], raw=SNAPSHOT_RAW), "not the"),
        (
            chunk(1, [row(1)], packed=base64.b64encode(zlib.compress(b" " * (SNAPSHOT_RAW + 10))).decode()),
            "more than",
        ),
        (chunk(1, [row(2), row(1)]), "order"),
        (chunk(1, [row(1, data={"number": float("nan")})]), "malformed"),
        (chunk(1, [row(1, data={"number": 2**60})]), "malformed"),
        (chunk(1, [row(1)]) | {"rows": 2}, "holds 1 rows"),
        (chunk(1, [row(1, data={"number": "a\x00b"})]), "NUL"),
    ],
)
def test_a_chunk_the_node_may_not_store_is_quarantined_with_the_reason(peers, body, why):
    assert node_receives(peers, body, 1) == "quarantined"
    assert why in Quarantine.objects.get().reason
    assert not ReplicaRecord.objects.exists() and not SnapshotCursor.objects.exists()


def test_a_chunk_from_anyone_but_the_hub_is_quarantined(peers):
    raw = arriving(peers, snapshot.CHUNK, chunk(1, [row(1)]), sender="BR")
    assert delivery.accept(raw, 1) == "quarantined"
    assert not ReplicaRecord.objects.exists()


def test_a_chunk_never_leaves_an_older_version_over_a_newer_one_from_the_change_feed(peers):
    newer = {"records": [dict(zip(snapshot.COLUMNS[:-1], row(1, version=3), strict=True))]}
    assert delivery.accept(arriving(peers, replication.UPSERT, newer, sender="hub"), 1) == "accepted"
    assert node_receives(peers, chunk(1, [row(1, version=2), row(2, version=1)]), 2) == "accepted"
    assert dict(ReplicaRecord.objects.values_list("key", "version")) == {"SN0000001": 3, "SN0000002": 1}
    # And an older version held is replaced by the chunk's newer one, its index entry with it.
    old = {"records": [{**newer["records"][0], "id": row(3)[0], "version": 1, "database": "persons",
                        "data": PERSON, "label": "x", "key": "x"}]}  # fmt: skip
    delivery.accept(arriving(peers, replication.UPSERT, old, sender="hub"), 3)
    renamed = {**PERSON, "names": [{"value": "Amina Wanjiru", "script": "Latn", "kind": "primary"}]}
    body = chunk(2, [row(3, version=2, database="persons", data=renamed)], row(2)[0])
    assert node_receives(peers, body, 4) == "accepted"
    assert ReplicaRecord.objects.get(pk=row(3)[0]).version == 2
    assert Card.objects.get(record_id=row(3)[0]).data["names"] == ["Amina Wanjiru"]


def test_a_stalled_snapshot_asks_to_resume(peers):
    assert node_receives(peers, chunk(1, [row(1)]), 1) == "accepted"
    assert snapshot.watch() is None  # it moved within STALL
    with clock.travel(snapshot.STALL * 2):
        assert snapshot.watch() is True
        assert snapshot.watch() is False  # asked already, within RESUME_EVERY
    [ask] = [envelope.open_body(e, "hub", peers["hub"]) for e in out(snapshot.RESUME)]
    assert (ask["seq"], ask["key"]) == (1, row(1)[0])


def test_the_hubs_snapshot_page_follows_every_nodes_snapshot(joined, user_factory, client):
    client.force_login(user_factory("gs", "network_admin"))
    assert b'href="/records/snapshots/"' in client.get("/records/").content  # reached from the records list
    snapshot.send()
    page = client.get("/records/snapshots/")
    assert page.status_code == 200 and b"hx-get" in page.content  # it follows itself while running
    assert b">DE<" in page.content and b"0 of 24" in page.content and b"3 sent" in page.content
    client.force_login(user_factory("gs", "reviewer", username="reviewer"))
    assert client.get("/records/snapshots/").status_code == 403


def test_a_nodes_snapshot_page_shows_what_it_stored(peers, user_factory, client):
    assert node_receives(peers, chunk(1, [row(1), row(2)]), 1) == "accepted"
    client.force_login(user_factory("ncb", "head"))
    page = client.get("/records/snapshots/", headers={"HX-Request": "true"})
    assert page.status_code == 200 and b"2 of 6" in page.content and b"1 stored" in page.content
    assert b"A first load" in page.content  # a search finds only what has arrived, and reads it all
    client.force_login(user_factory("ncb", "officer", username="officer"))
    assert client.get("/records/snapshots/").status_code == 403
