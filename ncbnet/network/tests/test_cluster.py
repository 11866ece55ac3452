"""The network with real processes: nats-server (with the generated per-node permissions), the
hub and three NCB nodes, each with its own database and keys."""

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import nats
import pytest
from nats.errors import TimeoutError as NatsTimeout

from ncbnet.network import envelope, natsconf
from ncbnet.testing.cluster import files_holding, wait_for

pytestmark = pytest.mark.embedded


def deliveries(cluster, sender, message_id):
    found = cluster.api(sender, "GET", "/messages?box=sent&page_size=500")["results"]
    return {d["node"]: d["status"] for m in found if m["id"] == message_id for d in m["deliveries"]}


def test_three_nodes_exchange_messages_receipts_and_attachments(cluster):
    photo = os.urandom(3 * 1024 * 1024 + 17)  # four chunks
    sent = cluster.send(
        "FR",
        ["BR", "KE"],
        "Joint operation Lumière",
        priority="urgent",
        handling="H2",
        body="Meeting point: Lyon, 06:00 UTC.",
        attachments=[{"name": "plan.bin", "data": base64.b64encode(photo).decode()}],
    )
    assert sorted(d["node"] for d in sent["deliveries"]) == ["BR", "KE"]
    for node in ("BR", "KE"):
        wait_for(lambda n=node: "Joint operation Lumière" in cluster.inbox_subjects(n), 30, f"{node} inbox")
    wait_for(
        lambda: deliveries(cluster, "FR", sent["id"]) == {"BR": "delivered", "KE": "delivered"},
        30,
        "delivery receipts",
    )
    for node in ("BR", "KE"):
        wait_for(
            lambda n=node: cluster.count(n, "messaging_attachment", "complete = 1") == 1,
            60,
            f"attachment on {node}",
        )
    attachment = sent["attachments"][0]
    assert attachment["sha256"] == hashlib.sha256(photo).hexdigest()
    downloaded = cluster.api("KE", "GET", f"/messages/{sent['id']}/attachments/{attachment['id']}")
    assert downloaded == photo
    received = cluster.api("BR", "GET", f"/messages/{sent['id']}")
    assert received["body"] == "Meeting point: Lyon, 06:00 UTC." and received["priority"] == "urgent"
    assert received["sender_node"] == "FR" and received["handling"] == "H2"
    wait_for(
        lambda: deliveries(cluster, "FR", sent["id"]) == {"BR": "read", "KE": "delivered"}, 30, "read receipt"
    )
    reply = cluster.send("BR", ["FR"], "Re: Joint operation Lumière", in_reply_to=sent["id"])
    wait_for(lambda: "Re: Joint operation Lumière" in cluster.inbox_subjects("FR"), 30, "reply")
    thread = cluster.query(
        "FR", "SELECT count(*) FROM messaging_message WHERE thread_id = ?", (sent["id"].replace("-", ""),)
    )
    assert thread[0][0] == 2 and reply["thread_id"] == sent["id"]


def test_the_gs_in_copy_receives_and_reads_what_bureaus_copy_to_it(cluster):
    sent = cluster.send("KE", ["FR"], "Copy to the GS", gs_copy=True, body="For the GS's information.")
    assert sent["recipients"] == ["FR", "hub"]
    wait_for(lambda: "Copy to the GS" in cluster.inbox_subjects("hub"), 30, "the hub's inbox")
    body = cluster.query("hub", "SELECT body FROM messaging_message WHERE subject = 'Copy to the GS'")
    assert body == [("For the GS's information.",)]
    wait_for(
        lambda: deliveries(cluster, "KE", sent["id"]) == {"FR": "delivered", "hub": "delivered"},
        30,
        "receipts from FR and the hub",
    )


def test_hub_holds_no_plaintext_of_a_message_between_bureaus(cluster):
    marker = "Zanzibar-7731-plaintext-marker"
    sent = cluster.send("BR", ["KE"], f"Subject {marker}", body=f"Body {marker}")
    wait_for(lambda: f"Subject {marker}" in cluster.inbox_subjects("KE"), 30, "KE inbox")
    wait_for(
        lambda: cluster.count("hub", "network_relayedenvelope", "envelope_id IS NOT NULL") > 0, 10, "relay"
    )
    needle = marker.encode()
    hub_files, hub_holding = files_holding(cluster.data / "hub", needle)
    assert hub_files and not hub_holding
    streams, streams_holding = files_holding(cluster.data / "nats", needle)
    assert streams and not streams_holding
    assert any(needle in p.read_bytes() for p in (cluster.data / "ke").rglob("db.sqlite3*"))
    assert sent["recipients"] == ["KE"]


def test_offline_recipient_receives_everything_in_order_exactly_once(cluster):
    refused_before = cluster.count("KE", "network_quarantine")  # the demo's two
    cluster.kill_worker("KE")
    subjects = [f"While KE was down #{i:02d}" for i in range(25)]
    for s in subjects:
        cluster.send("FR", ["KE"], s)
    wait_for(lambda: cluster.count("FR", "network_outboxenvelope", "sent_at IS NULL") == 0, 30, "FR outbox")
    assert not [s for s in cluster.inbox_subjects("KE") if s.startswith("While KE was down")]
    cluster.restart_worker("KE")
    wait_for(
        lambda: len([s for s in cluster.inbox_subjects("KE") if s.startswith("While KE")]) == 25,
        60,
        "KE catching up",
    )
    got = [s for s in cluster.inbox_subjects("KE") if s.startswith("While KE was down")]
    assert got == subjects  # in order, once each
    assert cluster.count("KE", "network_quarantine") == refused_before


def test_nats_restart_while_messages_flow_loses_and_doubles_nothing(cluster):
    subjects = [f"Through a NATS restart #{i:02d}" for i in range(40)]
    for i, s in enumerate(subjects):
        cluster.send("BR", ["FR"], s)
        if i == 15:
            cluster.kill_nats()
        if i == 25:
            cluster.start_nats()
    wait_for(
        lambda: len([s for s in cluster.inbox_subjects("FR") if s.startswith("Through a NATS")]) == 40,
        90,
        "FR receiving all 40",
    )
    got = [s for s in cluster.inbox_subjects("FR") if s.startswith("Through a NATS")]
    assert got == subjects


async def _try(seed, *, read_stream=None, publish=None):
    errors = []

    async def on_error(exc):
        errors.append(str(exc))

    nc = await nats.connect(
        f"nats://127.0.0.1:{seed[1]}",
        nkeys_seed=str(seed[0]),
        error_cb=on_error,
        inbox_prefix=natsconf.inbox_prefix(seed[2]),
        max_reconnect_attempts=0,
    )
    js = nc.jetstream(timeout=2)
    try:
        if read_stream:
            sub = await js.pull_subscribe_bind(
                durable=natsconf.INBOX_CONSUMER,
                stream=read_stream,
                inbox_prefix=(natsconf.inbox_prefix(seed[2]) + ".").encode(),
            )
            with contextlib.suppress(NatsTimeout):
                await sub.fetch(1, timeout=2)
        if publish:
            await nc.publish(publish, b"forged")
            await nc.flush()
            await asyncio.sleep(0)  # let the server's error reach the callback
            await nc.flush()
    finally:
        await nc.close()
    return errors


def test_a_node_cannot_read_another_nodes_inbox_or_publish_as_another(cluster):
    fr_seed = (cluster.data / "fr" / "nats.nk", cluster.nats_port, "FR")
    errors = asyncio.run(_try(fr_seed, read_stream=natsconf.inbox_stream("BR")))
    assert any("permissions violation" in e.lower() and "inbox_br" in e.lower() for e in errors), errors
    for subject in (natsconf.relay_subject("BR"), natsconf.inbox_subject("BR")):
        errors = asyncio.run(_try(fr_seed, publish=subject))
        assert any(
            f'permissions violation for publish to "{subject.lower()}"' in e.lower() for e in errors
        ), errors


def test_tampered_replayed_and_wrongly_signed_envelopes_are_refused_and_audited(cluster, tmp_path):
    import json
    from datetime import UTC, datetime

    from ncbnet.base.crypto import KeyStore

    sent = cluster.send("FR", ["BR"], "Original")
    wait_for(lambda: "Original" in cluster.inbox_subjects("BR"), 30, "BR inbox")
    raw = bytes(
        cluster.query("FR", "SELECT payload FROM network_outboxenvelope ORDER BY id DESC LIMIT 1")[0][0]
    )
    tampered = json.loads(raw)
    tampered["type"] = "message.receipt"  # relabelled on the way: the signature no longer matches
    tampered["id"] = envelope.new_id()  # a fresh id, so it is judged on its signature, not as a replay

    async def publish(payloads):
        nc = await nats.connect(
            f"nats://127.0.0.1:{cluster.nats_port}",
            nkeys_seed=str(cluster.data / "fr" / "nats.nk"),
            inbox_prefix=natsconf.inbox_prefix("FR"),
        )
        js = nc.jetstream()
        for p in payloads:
            await js.publish(natsconf.relay_subject("FR"), p)
        await nc.close()

    # Signed with a key the directory does not hold for France (a stolen NATS credential alone
    # does not let anyone speak as France).
    rogue = KeyStore(tmp_path / "rogue", "FR")
    rogue.generate()
    br = json.loads(next((cluster.data / "br" / "keys").glob("*/public.json")).read_text())
    forged = envelope.build(
        kind="message",
        sender="FR",
        recipients={
            "BR": envelope.PeerKey(
                "BR", br["key_id"], br["signing_public"], br["encryption_public"], "active"
            )
        },
        body={"subject": "forged"},
        signer=rogue,
        now=datetime.now(UTC),
    )
    before = cluster.count("hub", "network_quarantine")
    asyncio.run(publish([raw, json.dumps(tampered).encode(), envelope.encode(forged)]))
    wait_for(lambda: cluster.count("hub", "network_quarantine") == before + 3, 30, "hub quarantine")
    reasons = [
        r[0] for r in cluster.query("hub", "SELECT reason FROM network_quarantine ORDER BY id DESC LIMIT 3")
    ]
    assert any("replay" in r for r in reasons) and any("bad signature" in r for r in reasons)
    assert any("unknown signing key" in r for r in reasons)
    assert cluster.count("hub", "audit_auditentry", "action = 'network.quarantine'") >= 3
    assert cluster.inbox_subjects("BR").count("Original") == 1
    assert sent["subject"] == "Original"


def test_every_node_sends_its_audit_seals_to_the_hub(cluster):
    for node in ("FR", "BR", "KE"):
        wait_for(
            lambda n=node: cluster.count("hub", "audit_anchoredseal", "node = ?", (n,)) >= 1,
            30,
            f"{node}'s seal at the hub",
        )
    seq, digest = cluster.query(
        "hub", "SELECT seq, hash FROM audit_anchoredseal WHERE node='FR' ORDER BY seq LIMIT 1"
    )[0]
    assert cluster.query("FR", "SELECT hash FROM audit_auditentry WHERE seq = ?", (seq,)) == [(digest,)]


def test_a_contributed_record_reaches_exactly_the_nodes_that_may_see_it(cluster):
    document = {
        "number": "17FR99001",
        "type": "passport",
        "issuing_country": "FR",
        "status": "stolen",
        "date": "2026-11-02",
    }
    sent = cluster.api(
        "FR",
        "POST",
        "/records/contributions",
        {"database": "documents", "data": document, "restriction": {"access": "deny", "countries": ["BR"]}},
    )
    wait_for(
        lambda: cluster.api("FR", "GET", f"/records/contributions/{sent['id']}")["status"] == "accepted",
        30,
        "the hub's answer",
    )
    for node in ("FR", "KE"):
        wait_for(
            lambda n=node: cluster.count(n, "records_replicarecord", "key = '17FR99001'") == 1,
            30,
            f"{node}'s replica",
        )
    found = cluster.api("KE", "GET", "/records/replica?q=17FR-99001")["results"]
    assert [r["owner"] for r in found] == ["FR"]
    refused = cluster.api(
        "FR",
        "POST",
        "/records/contributions",
        {"database": "persons", "data": {"names": [{"value": "No Nationality"}]}},
    )
    wait_for(
        lambda: cluster.api("FR", "GET", f"/records/contributions/{refused['id']}")["status"] == "refused",
        30,
        "the refusal",
    )
    for node in ("FR", "BR", "KE"):
        result = subprocess.run(
            [sys.executable, "-m", "ncbnet.cli", "replica", "verify", "--timeout", "30"],
            env=cluster.env(cluster.by_name[node]),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (node, result.stdout, result.stderr)
    assert cluster.count("BR", "records_replicarecord", "key = '17FR99001'") == 0
    assert not files_holding(cluster.data / "br", b"17FR99001")[1]


def test_a_node_publishing_poison_with_its_own_credential_does_not_stall_the_network(cluster):
    """Finding 1 with real processes: France's node publishes, with its own NATS credential and
    no valid signature, the envelopes that used to make the hub's relay raise (and, redelivered
    for ever, block every batch they sat in); a message between two other bureaus sent after
    them arrives within seconds, and each poison is kept in the hub's quarantine."""
    base = {
        "v": 1,
        "id": envelope.new_id(),
        "type": "message",
        "from": "FR",
        "to": ["BR"],
        "created_at": envelope.iso(datetime.now(UTC)),
        "key_id": "0" * 32,
        "sig": "AAAA",
        "sealed": {"alg": envelope.ALGORITHM, "nonce": "AAAA", "ciphertext": "AAAA", "keys": {}},
    }
    poison = [
        json.dumps({**base, "id": ["a", "b"]}).encode(),
        json.dumps({**base, "note": float("nan")}, allow_nan=True).encode(),
        json.dumps({**base, "v": 2**60}).encode(),
        b'{"id":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b"\xff\xfe\x00 not even text",
    ]

    async def publish() -> None:
        nc = await nats.connect(
            f"nats://127.0.0.1:{cluster.nats_port}",
            nkeys_seed=str(cluster.data / "fr" / "nats.nk"),
            inbox_prefix=natsconf.inbox_prefix("FR"),
        )
        js = nc.jetstream(timeout=5)
        for p in poison:
            await js.publish(natsconf.relay_subject("FR"), p)
        await nc.close()

    before = cluster.count("hub", "network_quarantine", "publisher = 'FR'")
    asyncio.run(publish())
    sent = cluster.send("BR", ["KE"], "After the poison")
    wait_for(lambda: "After the poison" in cluster.inbox_subjects("KE"), 15, "KE receiving after the poison")
    wait_for(
        lambda: cluster.count("hub", "network_quarantine", "publisher = 'FR'") == before + len(poison),
        15,
        "the poison in the hub's quarantine",
    )
    assert sent["subject"] == "After the poison"
