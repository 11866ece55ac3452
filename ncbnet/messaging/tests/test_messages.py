"""Messages on one node: sending seals them for the recipients; arrival, receipts, replays and
forgeries go through the same `accept()` the network worker calls."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import sign_in
from ncbnet.messaging import services
from ncbnet.messaging.models import Delivery, Message
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine

pytestmark = pytest.mark.django_db


def draft(**kw):
    base = {
        "to": ["BR"],
        "subject": "Stolen passport used at CDG",
        "body": "Passport 12AB34567 presented today.",
    }
    return services.Draft(**{**base, **kw})


def peer(stores, node):
    return envelope.PeerKey.of(stores[node].public())


def incoming(stores, sender="BR", body_over=None, to=("FR",), signer=None):
    """An envelope as `sender`'s node would build it for this node (FR)."""
    message_id = envelope.new_id()
    body = {
        "message_id": message_id,
        "thread_id": message_id,
        "in_reply_to": None,
        "sender": {"node": sender, "name": "Ana Souza", "role": "officer"},
        "recipients": list(to),
        "gs_copy": False,
        "subject": "Pedido urgente",
        "body": "Localizar veículo ABC1D23",
        "priority": "urgent",
        "handling": "H2",
        "handling_note": "",
        "evaluation": {"source": "B", "information": "2"},
        "references": [{"kind": "notice", "id": "2026/123"}],
        "created_at": clock.now().isoformat(),
        **(body_over or {}),
    }
    return envelope.build(
        kind="message",
        sender=sender,
        recipients={n: peer(stores, n) for n in to},
        body=body,
        signer=signer or stores[sender],
        now=clock.now(),
    )


def test_send_records_the_message_statuses_and_a_sealed_envelope(peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-officer")
    m = services.send(officer, draft(to=["BR", "KE"], gs_copy=True, priority="urgent"))
    assert m.recipients == ["BR", "KE", "hub"]
    assert sorted(Delivery.objects.filter(message=m).values_list("node", "status")) == [
        ("BR", "queued"),
        ("KE", "queued"),
        ("hub", "queued"),
    ]
    out = OutboxEnvelope.objects.get()
    raw = bytes(out.payload)
    assert b"12AB34567" not in raw
    e = envelope.decode(raw)
    assert e["from"] == "FR" and e["to"] == ["BR", "KE", "hub"]
    body = envelope.open_body(e, "BR", peers["BR"])
    assert body["body"] == "Passport 12AB34567 presented today." and body["priority"] == "urgent"
    assert AuditEntry.objects.filter(action="messaging.send", actor="fr-officer").exists()


def test_without_gs_copy_the_hub_cannot_read_it(peers, user_factory):
    m = services.send(user_factory("ncb", "officer"), draft(to=["BR"]))
    e = envelope.decode(bytes(OutboxEnvelope.objects.get().payload))
    assert m.recipients == ["BR"]
    with pytest.raises(envelope.Rejected):
        envelope.open_body(e, "hub", peers["hub"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"to": ["XX"]}, "to"),
        ({"to": ["JP"]}, "to"),  # a member country whose bureau is not on this network
        ({"to": []}, "to"),
        ({"subject": " "}, "subject"),
        ({"handling": "H3"}, "handling_note"),
        ({"priority": "whenever"}, "priority"),
        ({"references": [{"kind": "rumour", "id": "1"}]}, "references"),
    ],
)
def test_bad_messages_are_refused_with_the_field_and_nothing_is_written(peers, user_factory, changes, field):
    officer = user_factory("ncb", "officer")
    with pytest.raises(ValidationError) as refused:
        services.send(officer, draft(**changes))
    assert field in refused.value.message_dict
    assert not Message.objects.exists() and not OutboxEnvelope.objects.exists()


def test_region_and_all_expand_to_connected_bureaus(peers, user_factory):
    officer = user_factory("ncb", "officer")
    assert services.expand_recipients(["region:AF"]) == ["KE"]
    assert services.expand_recipients(["all"]) == ["BR", "KE"]
    assert services.send(officer, draft(to=["all"])).recipients == ["BR", "KE"]


def test_arrival_stores_the_message_once_and_sends_a_delivery_receipt(peers):
    e = incoming(peers)
    raw = envelope.encode(e)
    assert delivery.accept(raw, stream_seq=7) == "accepted"
    m = Message.objects.get()
    assert m.direction == "in" and m.sender_node == "BR" and m.priority == "urgent" and m.read_at is None
    receipt = envelope.decode(bytes(OutboxEnvelope.objects.get(kind="message.receipt").payload))
    assert receipt["to"] == ["BR"]
    assert envelope.open_body(receipt, "BR", peers["BR"])["status"] == "delivered"
    # The same stream message delivered again after a crash: ignored, not doubled.
    assert delivery.accept(raw, stream_seq=7) == "duplicate"
    assert Message.objects.count() == 1 and OutboxEnvelope.objects.count() == 1


def test_replayed_envelope_is_quarantined_and_audited(peers):
    raw = envelope.encode(incoming(peers))
    assert delivery.accept(raw, stream_seq=7) == "accepted"
    assert delivery.accept(raw, stream_seq=8) == "quarantined"
    q = Quarantine.objects.get()
    assert "replay" in q.reason and bytes(q.raw) == raw
    assert AuditEntry.objects.filter(action="network.quarantine", subject="BR").exists()
    assert Message.objects.count() == 1


def test_tampered_envelope_is_quarantined(peers):
    e = incoming(peers)
    e["type"] = "message.receipt"  # relabelled on the way: the signature no longer matches
    assert delivery.accept(envelope.encode(e), stream_seq=3) == "quarantined"
    assert "bad signature" in Quarantine.objects.get().reason
    assert not Message.objects.exists()


def test_envelope_signed_by_another_node_is_quarantined(peers):
    forged = incoming(peers, signer=peers["KE"])  # KE signs an envelope that claims to be from BR
    assert delivery.accept(envelope.encode(forged), stream_seq=3) == "quarantined"
    assert "unknown signing key" in Quarantine.objects.get().reason


def test_body_claiming_another_sender_is_quarantined(peers):
    e = incoming(peers, body_over={"sender": {"node": "KE", "name": "x", "role": "officer"}})
    assert delivery.accept(envelope.encode(e), stream_seq=3) == "quarantined"
    assert not Message.objects.exists()


def test_reading_sends_a_read_receipt_once(peers, user_factory):
    delivery.accept(envelope.encode(incoming(peers)), stream_seq=1)
    officer = user_factory("ncb", "officer")
    m = Message.objects.get()
    services.read(officer, str(m.pk))
    services.read(officer, str(m.pk))
    receipts = [
        envelope.open_body(envelope.decode(bytes(o.payload)), "BR", peers["BR"])
        for o in OutboxEnvelope.objects.filter(kind="message.receipt")
    ]
    assert sorted(r["status"] for r in receipts) == ["delivered", "read"]
    assert AuditEntry.objects.filter(action="messaging.read").count() == 2


def test_receipts_move_the_senders_statuses_forward_only(peers, user_factory):
    m = services.send(user_factory("ncb", "officer"), draft(to=["BR"]))

    def receipt(status, seq):
        e = envelope.build(
            kind="message.receipt",
            sender="BR",
            recipients={"FR": peer(peers, "FR")},
            body={"message_id": str(m.pk), "status": status, "at": clock.now().isoformat()},
            signer=peers["BR"],
            now=clock.now(),
        )
        return delivery.accept(envelope.encode(e), stream_seq=seq)

    assert receipt("read", 1) == "accepted"
    assert receipt("delivered", 2) == "accepted"  # late: does not move the status back
    d = Delivery.objects.get(message=m)
    assert d.status == "read" and d.read_at and d.delivered_at


def test_urgent_arrival_alerts_on_every_page(client, peers, user_factory):
    delivery.accept(envelope.encode(incoming(peers)), stream_seq=1)
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    home = client.get("/").content.decode()
    assert 'hx-get="/messages/alerts/"' in home
    alert = client.get("/messages/alerts/").content.decode()
    assert 'role="alert"' in alert and "Pedido urgente" in alert
    m = Message.objects.get()
    assert client.get(f"/messages/{m.pk}/").status_code == 200
    assert "Pedido urgente" not in client.get("/messages/alerts/").content.decode()


def test_compose_page_sends_and_shows_statuses(client, peers, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    response = client.post(
        "/messages/new/",
        {
            "to": "BR, KE",
            "priority": "flash",
            "subject": "Go-fast boat",
            "body": "Heading to Santos.",
            "handling": "H1",
            "source_reliability": "B",
            "information_accuracy": "2",
            "references": "notice 2026/77",
        },
    )
    assert response.status_code == 302
    m = Message.objects.get()
    assert m.references == [{"kind": "notice", "id": "2026/77"}] and m.recipients == ["BR", "KE"]
    page = client.get(response["Location"]).content.decode()
    assert page.count('data-status="queued"') == 2
    bad = client.post(
        "/messages/new/",
        {
            "to": "ZZ",
            "subject": "x",
            "body": "y",
            "priority": "routine",
            "handling": "H0",
            "source_reliability": "X",
            "information_accuracy": "4",
        },
    )
    assert bad.status_code == 400 and "Unknown recipients: ZZ." in bad.content.decode()


def test_agency_users_do_not_use_international_messaging(client, peers, user_factory):
    user_factory("agency", "query", username="fr-police")
    sign_in(client, "fr-police")
    assert client.get("/messages/").status_code == 403
    assert client.get("/api/v1/messages").status_code == 403


def test_api_for_national_systems(client, peers, user_factory):
    from ncbnet.security import services as security

    system = user_factory("system", "system", username="fr-border-system")
    _t, token = security.create_token(None, system, "border", scopes=["read_messages", "send_messages"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    sent = client.post(
        "/api/v1/messages",
        {"to": ["BR"], "subject": "Hit on SLTD", "body": "Details follow."},
        content_type="application/json",
        **auth,
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["deliveries"] == [
        {"node": "BR", "status": "queued", "delivered_at": None, "read_at": None}
    ]
    listed = client.get("/api/v1/messages?box=sent", **auth).json()["results"]
    assert [m["subject"] for m in listed] == ["Hit on SLTD"]
    bad = client.post(
        "/api/v1/messages",
        {"to": ["BR"], "subject": "", "body": "x"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "subject"
    missing = client.get(f"/api/v1/messages/{uuid.uuid4()}", **auth)
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", None, 42])
def test_malformed_receipt_is_quarantined_not_retried_forever(peers, bad_id):
    e = envelope.build(
        kind="message.receipt",
        sender="BR",
        recipients={"FR": peer(peers, "FR")},
        body={"message_id": bad_id, "status": "read", "at": clock.now().isoformat()},
        signer=peers["BR"],
        now=clock.now(),
    )
    assert delivery.accept(envelope.encode(e), stream_seq=1) == "quarantined"


def test_attachments_travel_in_checksummed_sealed_chunks(peers, user_factory):
    import hashlib
    import os

    content = os.urandom(services.CHUNK_BYTES * 2 + 123)
    m = services.send(
        user_factory("ncb", "officer"),
        draft(attachments=[services.Upload("scan.pdf", "application/pdf", content)]),
    )
    chunks = list(OutboxEnvelope.objects.filter(kind="message.chunk").order_by("id"))
    assert len(chunks) == 3
    opened = [envelope.open_body(envelope.decode(bytes(c.payload)), "BR", peers["BR"]) for c in chunks]
    import base64

    assert b"".join(base64.b64decode(o["data"]) for o in opened) == content
    meta = envelope.open_body(
        envelope.decode(bytes(OutboxEnvelope.objects.get(kind="message").payload)), "BR", peers["BR"]
    )["attachments"][0]
    assert meta["sha256"] == hashlib.sha256(content).hexdigest() and meta["chunks"] == 3
    assert m.attachments.get().complete


def test_attachment_over_50_mb_is_refused(peers, user_factory):
    big = services.Upload("big.bin", "application/octet-stream", b"\0" * (services.MAX_ATTACHMENTS_BYTES + 1))
    with pytest.raises(ValidationError) as refused:
        services.send(user_factory("ncb", "officer"), draft(attachments=[big]))
    assert "attachments" in refused.value.message_dict


def incoming_with_attachment(peers, content, corrupt=False):
    import base64
    import hashlib

    attachment_id = envelope.new_id()
    msg = incoming(
        peers,
        body_over={
            "attachments": [
                {
                    "id": attachment_id,
                    "name": "photo.jpg",
                    "content_type": "image/jpeg",
                    "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "chunks": 2,
                }
            ]
        },
    )
    halves = [content[: len(content) // 2], content[len(content) // 2 :]]
    if corrupt:
        halves[1] = halves[1][::-1]
    chunks = [
        envelope.build(
            kind="message.chunk",
            sender="BR",
            recipients={"FR": peer(peers, "FR")},
            body={
                "attachment_id": attachment_id,
                "index": i,
                "sha256": hashlib.sha256(h).hexdigest(),
                "data": base64.b64encode(h).decode(),
            },
            signer=peers["BR"],
            now=clock.now(),
        )
        for i, h in enumerate(halves)
    ]
    return msg, chunks


def test_received_attachment_is_complete_only_when_every_chunk_checks_out(client, peers, user_factory):
    content = b"JPEG" + bytes(range(256)) * 40
    msg, chunks = incoming_with_attachment(peers, content)
    assert delivery.accept(envelope.encode(msg), 1) == "accepted"
    from ncbnet.messaging.models import Attachment

    assert not Attachment.objects.get().complete
    assert delivery.accept(envelope.encode(chunks[0]), 2) == "accepted"
    assert delivery.accept(envelope.encode(chunks[1]), 3) == "accepted"
    a = Attachment.objects.get()
    assert a.complete
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    response = client.get(f"/messages/{a.message_id}/attachments/{a.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert AuditEntry.objects.filter(action="messaging.attachment.read", actor="fr-officer").exists()


def test_attachment_that_fails_its_checksum_never_completes(peers):
    msg, chunks = incoming_with_attachment(peers, b"0123456789" * 100, corrupt=True)
    delivery.accept(envelope.encode(msg), 1)
    delivery.accept(envelope.encode(chunks[0]), 2)
    assert delivery.accept(envelope.encode(chunks[1]), 3) == "quarantined"
    from ncbnet.messaging.models import Attachment

    assert not Attachment.objects.get().complete


def test_network_page_shows_backlog_and_quarantine_to_the_bureaus_managers(client, peers, user_factory):
    e = incoming(peers)
    e["type"] = "message.receipt"  # altered on the way: the signature no longer matches
    delivery.accept(envelope.encode(e), stream_seq=9)
    services.send(user_factory("ncb", "officer"), draft())
    delivery.mark_failed([p.pk for p in delivery.pending()], "NoServersError: nats: no servers available")
    user_factory("ncb", "head", username="fr-head")
    sign_in(client, "fr-head")
    page = client.get("/network/").content.decode()
    assert "Waiting to be sent: 1" in page
    assert "Publishing failed 1 times: NoServersError" in page
    assert "bad signature" in page and e["id"] in page
    assert AuditEntry.objects.filter(action="network.status.read", actor="fr-head").exists()


def test_a_batch_handles_each_envelope_once_and_refuses_a_replay_within_it(peers):
    first, second = envelope.encode(incoming(peers)), envelope.encode(incoming(peers))
    assert delivery.accept_batch([(first, 1), (second, 2), (first, 3)]) == [
        "accepted",
        "accepted",
        "quarantined",
    ]
    assert Message.objects.count() == 2
    # The batch is delivered again after a crash before its acknowledgement: nothing doubles.
    assert delivery.accept_batch([(first, 1), (second, 2)]) == ["duplicate", "duplicate"]
    entry = AuditEntry.objects.filter(action="network.receive").get()
    assert [e["id"] for e in entry.detail["envelopes"]] == [
        envelope.decode(first)["id"],
        envelope.decode(second)["id"],
    ]
