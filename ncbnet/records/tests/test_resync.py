"""Replicas heal: a node with a new key, or one that missed envelopes from the hub, gets a resync;
it drops what it may no longer see, fetches what it lacks, and `replica verify` then finds
nothing to fix. Nothing a country may not see reaches or stays on its node."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.base.chain import AuditEntry
from ncbnet.base.crypto import KeyStore
from ncbnet.cli import main
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network import services as network
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.records import replication, resync, services
from ncbnet.records.models import NodeReplica, Record, ReplicaCheck, ReplicaRecord
from ncbnet.records.tests.test_big_payloads import as_hub, as_node, outbox

pytestmark = pytest.mark.django_db
KE = Actor("ke-officer", "KE")


def doc(number: str, status: str = "stolen") -> dict:
    return {
        "number": number,
        "type": "passport",
        "issuing_country": "KE",
        "status": status,
        "date": "2026-01-05",
    }


def clear_outbox() -> None:
    """Out of the way: what was queued so far, the changes' own feed included (at the hub, the
    worker's `records.changes` job queues it)."""
    replication.send_changes()
    OutboxEnvelope.objects.all().delete()


def opened(store: KeyStore, node: str, kind: str) -> list[dict]:
    """The bodies of the `kind` envelopes queued for `node`, as `store` (its keys) opens them."""
    return [envelope.open_body(e, node, store) for e, _s in outbox(node) if e["type"] == kind]


def receive(peers, kind: str, bodies: list[dict], *, sender: str = "hub", signer: str | None = None) -> list:
    return [
        delivery.accept(arriving(peers, kind, body, sender=sender, signer=signer), envelope_seq())
        for body in bodies
    ]


_seq = iter(range(1, 1_000_000))


def envelope_seq() -> int:
    return next(_seq)


def test_a_node_with_a_new_key_drops_what_it_may_no_longer_see_and_fetches_the_rest(
    tmp_path, peers, settings, hub, monkeypatch
):
    monkeypatch.setattr(replication, "EXPECTED_PAGE", 2)  # the set in pages, as at scale
    a, b, c = (services.contribute(KE, "documents", doc(n)) for n in ("A0000001", "B0000002", "C0000003"))
    held_before = [replication.payload(r) for r in (a, b, c)]  # what France's node holds
    network.revoke(None, peers["FR"].current_id(), "laptop stolen")
    clear_outbox()
    # While France is off the network (no active key), nothing reaches it:
    services.change(KE, str(c.pk), restriction={"access": "deny", "countries": ["FR"]}, reason="")
    services.change(KE, str(a.pk), data=doc("A0000001", status="lost"), reason="")
    d = services.contribute(KE, "documents", doc("D0000004"))
    assert not [e for e, _s in outbox("FR")]
    fr2 = KeyStore(tmp_path / "fr2", "FR")
    peers["FR2"] = fr2
    network.register(None, fr2.generate().as_dict())  # France re-registers
    pages = opened(fr2, "FR", resync.RESYNC)
    assert [(p["part"], p["parts"]) for p in pages] == [(0, 2), (1, 2)]
    assert str(c.pk) not in {k for p in pages for k in p["expected"]}  # never named to France
    assert AuditEntry.objects.filter(action="replica.resync", subject="FR").exists()

    as_node(settings)
    receive(peers, replication.UPSERT, [{"records": held_before}])
    clear_outbox()
    assert receive(peers, resync.RESYNC, pages) == ["accepted", "accepted"]
    assert not ReplicaRecord.objects.filter(pk=c.pk).exists()  # dropped at once
    [fetch] = opened(peers["hub"], "hub", resync.FETCH)
    assert sorted(fetch["ids"]) == sorted([str(a.pk), str(d.pk)])  # stale and missing
    check = resync.last_resync()
    assert (check.dropped, check.fetched) == (1, 2)

    as_hub(settings)
    clear_outbox()
    assert receive(peers, resync.FETCH, [fetch], sender="FR", signer="FR2") == ["accepted"]
    answers = opened(fr2, "FR", replication.UPSERT)

    as_node(settings)
    receive(peers, replication.UPSERT, answers)
    result = replication.compare(replication.expected("FR"))
    assert (result["missing"], result["extra"], result["stale"]) == ([], [], [])
    assert ReplicaRecord.objects.get(pk=a.pk).data["status"] == "lost"


def test_a_node_that_rotates_its_key_gets_a_resync(peers, hub):
    services.contribute(KE, "documents", doc("A0000001"))
    clear_outbox()
    br = peers["BR"]
    previous = br.current_id()
    network.sign_rotation(br, previous, br.generate())
    network.register(None, network.public_file(br))
    [page] = opened(br, "BR", resync.RESYNC)  # sealed to Brazil's new key
    assert len(page["expected"]) == 1
    assert NodeReplica.objects.get(node="BR").resync_reason == "new key"


def test_a_record_a_later_change_brought_stays(peers, settings, hub):
    kept = services.contribute(KE, "documents", doc("K0000001"))
    as_node(settings)
    rid = envelope.new_id()
    as_of = clock.now()
    later = replication.payload(kept) | {"id": rid, "updated_at": (as_of + timedelta(seconds=1)).isoformat()}
    receive(peers, replication.UPSERT, [{"records": [later]}])
    page = {
        "resync": envelope.new_id(),
        "as_of": as_of.isoformat(),
        "tick": 0,
        "part": 0,
        "parts": 1,
        "digest": replication.digest({}),
        "expected": {},
    }
    assert receive(peers, resync.RESYNC, [page]) == ["accepted"]
    assert ReplicaRecord.objects.filter(pk=rid).exists()


def test_resync_pages_from_a_peer_or_that_do_not_add_up_are_refused(peers, settings):
    rid = envelope.new_id()
    receive(peers, replication.UPSERT, [{"records": [_record(rid)]}])
    page = {
        "resync": envelope.new_id(),
        "as_of": clock.now().isoformat(),
        "tick": 0,
        "part": 0,
        "parts": 1,
        "digest": replication.digest({}),
        "expected": {},
    }
    assert receive(peers, resync.RESYNC, [page], sender="BR") == ["quarantined"]
    assert receive(peers, resync.RESYNC, [page | {"digest": "0" * 64}]) == ["quarantined"]
    assert ReplicaRecord.objects.filter(pk=rid).exists()  # nothing dropped on their word
    assert Quarantine.objects.count() == 2


def _record(rid: str) -> dict:
    now = clock.now() - timedelta(days=1)
    return {
        "id": rid,
        "database": "documents",
        "owner": "KE",
        "label": "KE X1",
        "key": "X1",
        "data": doc("X1"),
        "version": 1,
        "handling": "H0",
        "handling_note": "",
        "notify_on_view": False,
        "updated_at": now.isoformat(),
        "retain_until": now.isoformat(),
    }


def test_a_node_away_longer_than_the_stream_keeps_asks_for_a_resync(peers, settings):
    """The hub ticks every few hours; a node that finds ticks missing missed envelopes."""
    requests = lambda: opened(peers["hub"], "hub", resync.REQUEST)  # noqa: E731
    assert receive(peers, resync.TICK, [{"n": 1}, {"n": 2}]) == ["accepted", "accepted"]
    with clock.travel(timedelta(days=40)):  # the hub was down: no ticks were made meanwhile
        receive(peers, resync.TICK, [{"n": 3}])
    assert requests() == []
    with clock.travel(timedelta(days=72)):  # France was away: ticks 4 to 120 expired from its stream
        receive(peers, resync.TICK, [{"n": 121}])
    [asked] = requests()
    assert asked == {"reason": "ticks 4 to 120 never arrived"}
    receive(peers, resync.TICK, [{"n": 7}])  # the hub's count went back (a restored database)
    assert "went back" in requests()[-1]["reason"]
    assert receive(peers, resync.TICK, [{"n": 8}], sender="BR") == ["quarantined"]


def test_the_hub_resyncs_a_node_that_asks_at_most_once_a_day(peers, settings, hub):
    services.contribute(KE, "documents", doc("A0000001"))
    clear_outbox()
    ask = {"reason": "ticks 4 to 120 never arrived"}
    assert receive(peers, resync.REQUEST, [ask], sender="FR") == ["accepted"]
    assert len(opened(peers["FR"], "FR", resync.RESYNC)) == 1
    receive(peers, resync.REQUEST, [ask], sender="FR")  # again within the day: it waits
    assert len(opened(peers["FR"], "FR", resync.RESYNC)) == 1
    assert NodeReplica.objects.get(node="FR").wanted
    assert resync.tick() is not None  # the tick job starts nothing before the day is out
    assert len(opened(peers["FR"], "FR", resync.RESYNC)) == 1
    with clock.travel(timedelta(days=1, minutes=1)):
        n = resync.tick()
    assert len(opened(peers["FR"], "FR", resync.RESYNC)) == 2
    assert [t["n"] for t in opened(peers["FR"], "FR", resync.TICK)] == [n - 1, n]
    assert NodeReplica.objects.get(node="FR").wanted == ""


def test_a_fetch_is_held_to_its_resync_and_to_what_the_node_may_see(peers, settings, hub):
    visible = services.contribute(KE, "documents", doc("A0000001"))
    denied = services.contribute(KE, "documents", doc("B0000002"), {"access": "deny", "countries": ["FR"]})
    with pytest.raises(ValidationError, match="not on the network"):
        resync.resync(None, "DE")
    started = resync.resync(None, "FR", "after an incident")
    clear_outbox()
    unknown = {"resync": envelope.new_id(), "ids": [str(visible.pk)]}
    greedy = {"resync": started, "ids": [envelope.new_id(), envelope.new_id()]}  # the set named one
    sly = {"resync": started, "ids": [str(denied.pk)]}
    assert receive(peers, resync.FETCH, [unknown, greedy], sender="FR") == ["quarantined"] * 2
    assert receive(peers, resync.FETCH, [sly], sender="FR") == ["accepted"]
    assert opened(peers["FR"], "FR", replication.UPSERT) == []  # a record denied to France never goes
    assert Record.objects.count() == 2


def test_the_resync_command(peers, settings, hub, capsys):
    assert main(["replica", "resync", "fr", "--reason", "after an incident"]) == 0
    assert "resync" in capsys.readouterr().out and opened(peers["FR"], "FR", resync.RESYNC)
    assert main(["replica", "resync"]) == 2
    assert main(["replica", "resync", "XX"]) == 2
    assert "not a member country" in capsys.readouterr().err
    as_node(settings)
    assert main(["replica", "resync", "FR"]) == 2
    assert main(["replica", "resync"]) == 0
    assert opened(peers["hub"], "hub", resync.REQUEST) == [{"reason": "asked by the network administrator"}]
    assert ReplicaCheck.objects.count() == 0
