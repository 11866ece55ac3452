"""Big payloads travel, under the network's limit: snapshot batches bounded by size, a record (or a
contribution) with four 1 MiB photos in parts that arrive whole or not at all, and the hub's
answer to `replica verify` in pages. Every part and page from a peer is hostile until checked."""

import base64
import hashlib
import json
import os
import zlib

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base.actor import Actor
from ncbnet.base.crypto import KeyStore, canonical
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network import services as network
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.records import contribution, lifecycle, parts, replication, services, snapshot
from ncbnet.records.models import Contribution, IncomingPart, Record, ReplicaCheck, ReplicaRecord
from ncbnet.records.schemas import MAX_PHOTO_BYTES

pytestmark = pytest.mark.django_db
KE = Actor("ke-officer", "KE")
# What the network carries at most, with room to spare: every envelope here stays under it.
WELL_UNDER = 2 * 1024 * 1024


def jpeg(size: int) -> dict:
    raw = b"\xff\xd8\xff" + os.urandom(size - 3)
    return {"content_type": "image/jpeg", "data": base64.b64encode(raw).decode("ascii")}


def person(name: str, photos: list[dict]) -> dict:
    return {"names": [{"value": name}], "photos": photos}


def outbox(to: str | None = None) -> list[tuple[dict, int]]:
    """(envelope, size in bytes) of every envelope queued, oldest first, for `to` if given (at
    the hub, once the worker's `records.changes` job has run)."""
    replication.send_changes()
    found = []
    for row in OutboxEnvelope.objects.order_by("id"):
        e = envelope.decode(bytes(row.payload))
        if to is None or to in e["to"]:
            found.append((e, len(row.payload)))
    return found


def bodies_for(peers, node: str, kinds: tuple[str, ...]) -> list[tuple[str, dict]]:
    """What `node` would open of the envelopes queued for it, oldest first."""
    store = peers["FR"]  # this test node's own keys, whatever role the test gives it
    return [
        (e["type"], envelope.open_body(e, node, store)) for e, _size in outbox(node) if e["type"] in kinds
    ]


def as_node(settings, country: str = "FR") -> None:
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "ncb", country


def as_hub(settings) -> None:
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None


# --- the hub's side --------------------------------------------------------------------------


def test_a_joining_nodes_snapshot_with_photos_is_cut_by_size(tmp_path, peers, hub, monkeypatch):
    monkeypatch.setattr(snapshot, "WINDOW", 100)  # as if the node stored each chunk as it came
    for i in range(8):  # about 400 KB of JSON each: 3.2 MB in all, once 200 to an envelope
        services.contribute(KE, "persons", person(f"Person {i}", [jpeg(300_000)]))
    de = KeyStore(tmp_path / "de", "DE")
    network.register(None, de.generate().as_dict())  # the snapshot starts with the registration
    snapshot.send(budget=600)
    chunks = [(e, size) for e, size in outbox("DE") if e["type"] == snapshot.CHUNK]
    assert len(chunks) > 1 and all(size < WELL_UNDER for _e, size in chunks)
    opened = [envelope.open_body(e, "DE", de) for e, _s in chunks]
    got = [r[0] for c in opened for r in json.loads(zlib.decompress(base64.b64decode(c["packed"])))]
    assert sorted(got) == sorted(str(pk) for pk in Record.objects.values_list("pk", flat=True))


def test_a_record_with_four_1mib_photos_reaches_a_node_whole(peers, settings, hub):
    photos = [jpeg(MAX_PHOTO_BYTES) for _ in range(4)]
    record = services.contribute(KE, "persons", person("Wanjiru Kamau", photos))
    queued = outbox("FR")
    assert queued and all(size < WELL_UNDER for _e, size in queued)
    assert {e["type"] for e, _s in queued} == {parts.PART}
    pieces = bodies_for(peers, "FR", (parts.PART,))
    assert len(pieces) == 6  # 5.6 MB of JSON in parts of 1 MiB

    as_node(settings)
    # The parts come in any order; the record appears only with the last, photos and all.
    for seq, (kind, body) in enumerate(reversed(pieces), start=1):
        assert not ReplicaRecord.objects.exists()
        assert delivery.accept(arriving(peers, kind, body, sender="hub"), seq) == "accepted"
    held = ReplicaRecord.objects.get()
    assert held.pk == record.pk and held.version == record.version
    assert [p["sha256"] for p in held.data["photos"]] == [p["sha256"] for p in record.data["photos"]]
    assert not IncomingPart.objects.exists()  # nothing left behind


def test_a_contribution_with_four_1mib_photos_reaches_the_hub(client, peers, settings, user_factory):
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    data = person("Marc Dupont", [jpeg(MAX_PHOTO_BYTES) for _ in range(4)])
    data |= {"date_of_birth": {"year": 1979}, "nationalities": ["FR"]}  # France's law asks for them
    response = client.post(
        "/api/v1/records/contributions",
        {"database": "persons", "data": data},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    queued = outbox("hub")
    assert len(queued) == 6 and all(size < WELL_UNDER for _e, size in queued)
    pieces = [(e["type"], envelope.open_body(e, "hub", peers["hub"])) for e, _s in queued]

    as_hub(settings)
    OutboxEnvelope.objects.all().delete()
    for seq, (kind, body) in enumerate(pieces, start=1):
        assert delivery.accept(arriving(peers, kind, body, sender="FR"), seq) == "accepted"
    record = Record.objects.get()
    assert record.owner == "FR" and len(record.data["photos"]) == 4
    [(kind, outcome)] = bodies_for(peers, "FR", ("records.outcome",))
    assert outcome["status"] == "accepted" and outcome["record"] == str(record.pk)


def test_a_body_beyond_what_parts_carry_is_refused_before_anything_is_queued(client, peers, user_factory):
    officer = user_factory("ncb", "officer")
    huge = person("X", [jpeg(MAX_PHOTO_BYTES)] * 14)  # 19 MB: more than 16 parts
    with pytest.raises(ValidationError) as refused:
        contribution.submit(officer, "persons", huge)
    assert "more than the network carries" in refused.value.message_dict["data"][0]
    client.force_login(officer)
    response = client.post(
        "/api/v1/records/contributions",
        {"database": "persons", "data": huge},
        content_type="application/json",
    )
    assert response.status_code == 413  # the API's own limit on a contribution (8 MB) comes first
    assert not OutboxEnvelope.objects.exists() and not Contribution.objects.exists()


# --- parts arriving at a node: hostile until the whole checks out ------------------------------


def cut(body: dict, of: str = replication.UPSERT) -> list[dict]:
    raw = canonical(body)
    size = parts.PART_BYTES
    count = -(-len(raw) // size)
    transfer = envelope.new_id()
    return [
        {
            "transfer": transfer,
            "of": of,
            "index": i,
            "parts": count,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "data": base64.b64encode(raw[i * size : (i + 1) * size]).decode(),
        }
        for i in range(count)
    ]


def big_record(owner: str = "KE") -> dict:
    from ncbnet.base import clock

    now = clock.now().isoformat()
    return {
        "id": envelope.new_id(),
        "database": "persons",
        "owner": owner,
        "label": "Big",
        "key": "big",
        "data": person("Big", [jpeg(MAX_PHOTO_BYTES), jpeg(MAX_PHOTO_BYTES)]),
        "version": 1,
        "handling": "H0",
        "handling_note": "",
        "notify_on_view": False,
        "updated_at": now,
        "retain_until": now,
    }


def deliver(peers, pieces, sender="hub", start=1):
    return [
        delivery.accept(arriving(peers, parts.PART, body, sender=sender), seq)
        for seq, body in enumerate(pieces, start=start)
    ]


def test_parts_of_a_replica_change_from_anyone_but_the_hub_are_refused_at_the_first(peers):
    pieces = cut({"records": [big_record()]})
    assert deliver(peers, pieces, sender="BR") == ["quarantined"] * len(pieces)
    assert not IncomingPart.objects.exists() and not ReplicaRecord.objects.exists()
    assert "come only from the hub" in Quarantine.objects.first().reason


def test_a_whole_that_does_not_match_its_checksum_is_refused(peers):
    pieces = cut({"records": [big_record()]})
    forged = {**pieces[-1], "data": base64.b64encode(b"x" * 10).decode()}
    assert deliver(peers, [*pieces[:-1], forged]) == ["accepted"] * (len(pieces) - 1) + ["quarantined"]
    assert not ReplicaRecord.objects.exists()
    assert "does not match its SHA-256" in Quarantine.objects.get().reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"parts": 9}, "disagrees with part 0"),
        ({"sha256": "0" * 64}, "disagrees with part 0"),
        ({"index": 0}, "arrived before"),
        ({"index": 7}, "part 7 of a transfer in"),
        ({"data": "not base64!"}, "not base64"),
        ({"data": base64.b64encode(b"short").decode(), "index": 0}, "is not 1,048,576 bytes"),
    ],
)
def test_a_part_that_disagrees_with_its_transfer_is_refused(peers, change, reason):
    first, second, *_rest = cut({"records": [big_record()]})
    if change.get("index") == 0 and "data" in change:
        assert deliver(peers, [{**first, **change}]) == ["quarantined"]
    else:
        assert deliver(peers, [first, {**second, **change}]) == ["accepted", "quarantined"]
    assert reason in Quarantine.objects.get().reason
    assert not ReplicaRecord.objects.exists()


def test_a_part_may_stand_only_for_a_type_that_travels_in_parts(peers):
    [first, *_] = cut({"records": [big_record()]}, of="replica.record")
    assert deliver(peers, [{**first, "of": "directory"}]) == ["quarantined"]
    assert "of:" in Quarantine.objects.get().reason


def test_a_whole_that_breaks_its_schema_is_refused_with_the_field(peers):
    pieces = cut({"records": [big_record(owner="XX")]})
    assert deliver(peers, pieces)[-1] == "quarantined"
    assert "records.0.owner" in Quarantine.objects.get().reason
    assert not ReplicaRecord.objects.exists()


def test_a_sender_cannot_fill_the_disk_with_unfinished_transfers(peers, monkeypatch):
    monkeypatch.setattr(parts, "MAX_PENDING_BYTES", 3 * parts.PART_BYTES)
    unfinished = [cut({"records": [big_record()]})[0] for _ in range(4)]
    assert deliver(peers, unfinished) == ["accepted"] * 3 + ["quarantined"]
    assert "unfinished transfers" in Quarantine.objects.get().reason


def test_unfinished_transfers_are_pruned_once_they_can_never_finish(peers):
    from datetime import timedelta

    from ncbnet.base import clock

    deliver(peers, cut({"records": [big_record()]})[:1])
    assert parts.prune() is None
    IncomingPart.objects.update(received_at=clock.now() - timedelta(days=32))
    assert parts.prune() == 1 and not IncomingPart.objects.exists()


# --- replica verify: the answer in pages ------------------------------------------------------


def test_the_hubs_answer_comes_in_pages_and_counts_only_when_all_are_in(peers, settings, monkeypatch):
    from ncbnet.records import schemas

    monkeypatch.setattr(replication, "EXPECTED_PAGE", 2)
    check = replication.request_check()
    as_hub(settings)
    for i in range(5):
        services.contribute(
            KE,
            "documents",
            {
                "number": f"P{i:07d}",
                "type": "passport",
                "issuing_country": "KE",
                "status": "stolen",
                "date": "2026-01-05",
            },
        )
    OutboxEnvelope.objects.all().delete()
    request = {"check": check.pk}
    assert delivery.accept(arriving(peers, replication.VERIFY_REQUEST, request, sender="FR"), 1) == "accepted"
    pages = bodies_for(peers, "FR", (replication.VERIFY_ANSWER,))
    assert [(b["part"], b["parts"], len(b["expected"])) for _k, b in pages] == [
        (0, 3, 2),
        (1, 3, 2),
        (2, 3, 1),
    ]
    assert all(b["check"] == check.pk for _k, b in pages)
    assert schemas.EXPECTED_PAGE >= 10_000  # the page size in service

    as_node(settings)
    ReplicaRecord.objects.all().delete()
    seq = iter(range(10, 100))
    for _kind, body in pages[:2]:
        assert (
            delivery.accept(arriving(peers, replication.VERIFY_ANSWER, body, sender="hub"), next(seq))
            == "accepted"
        )
        assert replication.check_result(check.pk) is None  # compared only when all have come
    again = arriving(peers, replication.VERIFY_ANSWER, pages[0][1], sender="hub")
    assert delivery.accept(again, next(seq)) == "quarantined"  # a page twice
    delivery.accept(arriving(peers, replication.VERIFY_ANSWER, pages[2][1], sender="hub"), next(seq))
    result = replication.check_result(check.pk)
    assert result["expected"] == 5 and len(result["missing"]) == 5


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ({"part": 3, "parts": 3}, "page 3 of an answer in 3 pages"),
        ({"check": 999}, "no replica check 999"),
        ({"parts": 2}, "disagrees with the pages before it"),
    ],
)
def test_hostile_pages_are_refused(peers, page, reason):
    check = replication.request_check()
    rid = "019ac000-0000-7000-8000-000000000001"
    good = {"check": check.pk, "part": 0, "parts": 3, "digest": "a" * 64, "expected": {rid: 1}}
    assert delivery.accept(arriving(peers, replication.VERIFY_ANSWER, good, sender="hub"), 1) == "accepted"
    bad = {**good, "part": 1, **page}
    assert delivery.accept(arriving(peers, replication.VERIFY_ANSWER, bad, sender="hub"), 2) == "quarantined"
    assert reason in Quarantine.objects.get().reason


def test_pages_that_do_not_add_up_to_their_digest_are_refused(peers):
    check = replication.request_check()
    rid = "019ac000-0000-7000-8000-000000000001"
    page = {
        "check": check.pk,
        "part": 0,
        "parts": 1,
        "digest": replication.digest({rid: 2}),
        "expected": {rid: 1},
    }
    assert delivery.accept(arriving(peers, replication.VERIFY_ANSWER, page, sender="hub"), 1) == "quarantined"
    assert "do not match their digest" in Quarantine.objects.get().reason
    assert ReplicaCheck.objects.get().answered_at is None
    from_peer = arriving(peers, replication.VERIFY_ANSWER, page, sender="BR")
    assert delivery.accept(from_peer, 2) == "quarantined"


def test_the_hub_answers_at_most_six_checks_of_a_node_an_hour(peers, settings):
    from datetime import timedelta

    from ncbnet.base import clock

    as_hub(settings)
    ask = lambda seq: delivery.accept(  # noqa: E731
        arriving(peers, replication.VERIFY_REQUEST, {"check": seq}, sender="FR"), seq
    )
    assert [ask(n) for n in range(1, 8)] == ["accepted"] * 6 + ["quarantined"]  # each is the whole set
    assert "more than 6 replica checks within the hour" in Quarantine.objects.get().reason
    with clock.travel(timedelta(hours=1, seconds=1)):
        assert ask(8) == "accepted"
    assert [b["check"] for _k, b in bodies_for(peers, "FR", (replication.VERIFY_ANSWER,))] == [
        1,
        2,
        3,
        4,
        5,
        6,
        8,
    ]


def test_an_edit_of_a_record_with_four_1mib_photos_reaches_the_hub_in_parts(peers, settings, user_factory):
    as_hub(settings)
    fr = Actor("fr-officer", "FR")
    data = person("Marc Dupont", [jpeg(MAX_PHOTO_BYTES) for _ in range(4)])
    data |= {"date_of_birth": {"year": 1979}, "nationalities": ["FR"]}
    record = services.contribute(fr, "persons", data)
    pieces = bodies_for(peers, "FR", (parts.PART,))
    as_node(settings)
    for seq, (kind, body) in enumerate(pieces, start=1):
        delivery.accept(arriving(peers, kind, body, sender="hub"), seq)
    held = ReplicaRecord.objects.get()
    OutboxEnvelope.objects.all().delete()
    edited = {**held.data, "sex": "M"}
    lifecycle.submit(user_factory("ncb", "officer"), held.pk, "edit", data=edited, reason="sex known")
    queued = outbox("hub")
    assert len(queued) == 6 and all(size < WELL_UNDER for _e, size in queued)
    changes = [(e["type"], envelope.open_body(e, "hub", peers["hub"])) for e, _s in queued]

    as_hub(settings)
    OutboxEnvelope.objects.all().delete()
    for seq, (kind, body) in enumerate(changes, start=100):
        assert delivery.accept(arriving(peers, kind, body, sender="FR"), seq) == "accepted"
    record.refresh_from_db()
    assert record.version == 2 and record.data["sex"] == "M" and len(record.data["photos"]) == 4
    [(_kind, outcome)] = bodies_for(peers, "FR", (lifecycle.CHANGE_OUTCOME,))
    assert outcome["status"] == "accepted" and outcome["version"] == 2
