"""Records written in bulk at the hub reach the nodes already on the network: one feed job per
bulk write, in chunks, each node only what it may see, resumed from its last chunk after a
restart, its progress in the CLI and on the hub's page."""

from collections import Counter

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.network import envelope
from ncbnet.network.models import NodeKey, OutboxEnvelope
from ncbnet.records import bulk, feed, packing, replication
from ncbnet.records.models import FeedJob, FeedJobNode, Record

pytestmark = pytest.mark.django_db


def received(peers, node):
    """Every record id the outbox holds for `node` in replica.record envelopes, with repeats."""
    ids = []
    for row in OutboxEnvelope.objects.filter(kind=replication.UPSERT).order_by("id"):
        e = envelope.decode(bytes(row.payload))
        if node in e["to"]:
            ids += [r["id"] for r in packing.records_of(envelope.open_body(e, node, peers[node]))]
    return ids


def test_a_bulk_seed_reaches_every_node_on_the_network_in_chunks(peers, hub, monkeypatch):
    monkeypatch.setattr(feed, "CHUNK", 40)
    bulk.seed(persons=70, documents=50, batch=30)
    job = FeedJob.objects.get()
    assert job.written == 120
    assert {r.node: r.total for r in job.nodes.all()} == {"BR": 120, "FR": 120, "KE": 120}
    assert OutboxEnvelope.objects.filter(kind=replication.UPSERT).count() == 0  # nothing in the write
    assert feed.step(FeedJobNode.objects.get(job=job, node="BR").pk) == 40  # one chunk
    feed.run()
    job.refresh_from_db()
    assert job.finished_at is not None
    every = {str(pk) for pk in Record.objects.values_list("pk", flat=True)}
    for node in ("BR", "FR", "KE"):
        ids = received(peers, node)
        assert len(ids) == len(set(ids)) and set(ids) == every
    assert {r.node: r.sent for r in job.nodes.all()} == {"BR": 120, "FR": 120, "KE": 120}
    assert AuditEntry.objects.filter(action="records.feed_finished").count() == 1


def test_a_feed_resumes_from_its_last_chunk(peers, hub, monkeypatch):
    monkeypatch.setattr(feed, "CHUNK", 25)
    bulk.seed(documents=60, batch=60)
    row = FeedJobNode.objects.get(node="KE")
    feed.step(row.pk)
    feed.step(row.pk)
    # The worker stops here (a restart): what it saved is all a new one starts from.
    row.refresh_from_db()
    assert (row.sent, row.finished_at) == (50, None)
    feed.run()
    ids = received(peers, "KE")
    assert len(ids) == len(set(ids)) == 60
    assert [str(pk) for pk in Record.objects.order_by("pk").values_list("pk", flat=True)] == ids


def test_each_node_gets_only_what_its_country_may_see(peers, hub):
    # A bulk write's records of restricted access (a bulk contribution's, here written directly)
    bulk.seed(documents=10, batch=10)
    job = FeedJob.objects.get()
    denied = list(Record.objects.order_by("pk")[:4])
    Record.objects.filter(pk__in=[r.pk for r in denied]).update(access="allow", owner="KE")
    feed.run()
    assert len(received(peers, "KE")) == 10
    assert set(received(peers, "BR")) == {str(r.pk) for r in Record.objects.filter(access="all")}
    assert len(received(peers, "BR")) == 6
    assert FeedJobNode.objects.get(job=job, node="BR").sent == 6


def test_a_node_that_leaves_is_let_go_and_no_one_is_fed_when_no_node_is_on(peers, hub):
    bulk.seed(documents=5, batch=5)
    NodeKey.objects.filter(node="BR").update(status=NodeKey.Status.REVOKED, revoked_at=clock.now())
    feed.run()
    br = FeedJobNode.objects.get(node="BR")
    assert br.left and br.sent == 0 and br.finished_at is not None
    assert FeedJob.objects.get().finished_at is not None
    assert received(peers, "KE") and len(received(peers, "KE")) == 5


def test_without_nodes_on_the_network_there_is_no_job(hub):
    bulk.seed(documents=5, batch=5)
    assert FeedJob.objects.count() == 0


def test_the_feed_status_and_the_seed_command_show_progress(peers, hub, capsys):
    assert main(["demo", "seed", "--documents", "30", "--no-feed"]) == 0
    out, err = capsys.readouterr()
    assert '"documents": 30' in out and "BR: 0 of 30 sent" in err
    assert main(["records", "feed-status"]) == 0
    assert "KE: 0 of 30 sent" in capsys.readouterr().out
    assert main(["demo", "seed", "--documents", "20"]) == 0  # this one feeds in the foreground
    err = capsys.readouterr().err
    assert "KE: 20 of 20 sent done" in err
    feed.run()
    assert main(["records", "feed-status"]) == 0
    out = capsys.readouterr().out
    assert out.count("FR: 30 of 30 sent done") == 1 and out.count("FR: 20 of 20 sent done") == 1
    assert Counter(received(peers, "FR")).most_common(1)[0][1] == 1


def test_the_hubs_feed_page(peers, hub, user_factory, client):
    bulk.seed(documents=5, batch=5)
    client.force_login(user_factory("gs", "network_admin"))
    assert b'href="/records/feeds/"' in client.get("/records/").content  # reached from the records list
    page = client.get("/records/feeds/")
    assert page.status_code == 200 and b"0 of 5" in page.content and b"hx-get" in page.content
    feed.run()
    assert b"5 of 5" in client.get("/records/feeds/", headers={"HX-Request": "true"}).content
    client.force_login(user_factory("gs", "reviewer", username="reviewer"))
    assert client.get("/records/feeds/").status_code == 403
    assert b'href="/records/feeds/"' not in client.get("/records/").content
