"""Messages in bulk: a machine sender's many messages in one transaction, sealed together into
`message.batch` envelopes; on arrival each item is checked on its own (a bad one refused alone,
the rest kept) and acknowledged by one `message.receipts` envelope."""

import itertools
import uuid

import pytest
from django.core.exceptions import ValidationError

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.messaging import services
from ncbnet.messaging.models import Delivery, Message
from ncbnet.messaging.schemas import MAX_BATCH, MessageBody
from ncbnet.messaging.tests.test_messages import draft, peer
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.security import services as security

pytestmark = pytest.mark.django_db
SEQ = itertools.count(1)


def item(**over):
    message_id = envelope.new_id()
    return {
        "message_id": message_id,
        "thread_id": message_id,
        "in_reply_to": None,
        "sender": {"node": "BR", "name": "Ana Souza", "role": "system"},
        "recipients": ["FR"],
        "gs_copy": False,
        "subject": "Consulta SLTD",
        "body": "Passaporte BR123456 apresentado hoje.",
        "priority": "routine",
        "handling": "H0",
        "handling_note": "",
        "evaluation": {"source": "B", "information": "2"},
        "references": [],
        "created_at": clock.now().isoformat(),
        "attachments": [],
        **over,
    }


def batch(peers, items, sender="BR", kind=services.BATCH, body=None):
    return envelope.encode(
        envelope.build(
            kind=kind,
            sender=sender,
            recipients={"FR": peer(peers, "FR")},
            body=body if body is not None else {"messages": items},
            signer=peers[sender],
            now=clock.now(),
        )
    )


def receipts_sent(peers) -> list[dict]:
    return [
        envelope.open_body(envelope.decode(bytes(o.payload)), "BR", peers["BR"])
        for o in OutboxEnvelope.objects.filter(kind=services.RECEIPTS).order_by("id")
    ]


def refusals(action="messaging.batch.refused") -> list[dict]:
    return [e.detail for e in AuditEntry.objects.filter(action=action).order_by("seq")]


# --- sending -------------------------------------------------------------------------------------


def test_send_many_writes_in_bulk_seals_one_envelope_per_recipients_and_audits_once(peers, user_factory):
    officer = user_factory("system", "system", username="fr-gates")
    drafts = [draft(subject=f"hit {i}") for i in range(5)] + [draft(to=["KE"], subject="ke")]
    sent = services.send_many(officer, drafts)
    assert [m.subject for m in sent] == [f"hit {i}" for i in range(5)] + ["ke"]
    assert Message.objects.filter(direction="out").count() == 6
    assert Delivery.objects.filter(status="queued").count() == 6
    outs = list(OutboxEnvelope.objects.order_by("id"))
    assert [(o.kind, o.recipients) for o in outs] == [(services.BATCH, ["BR"]), (services.BATCH, ["KE"])]
    opened = envelope.open_body(envelope.decode(bytes(outs[0].payload)), "BR", peers["BR"])
    assert [m["subject"] for m in opened["messages"]] == [f"hit {i}" for i in range(5)]
    assert opened["messages"][0]["message_id"] == str(sent[0].pk)
    with pytest.raises(envelope.Rejected):  # sealed for BR alone
        envelope.open_body(envelope.decode(bytes(outs[0].payload)), "KE", peers["KE"])
    [entry] = AuditEntry.objects.filter(action="messaging.send")
    assert entry.detail["bulk"] is True and len(entry.detail["messages"]) == 6


def test_one_bad_message_refuses_the_whole_send_with_its_place_and_nothing_is_written(peers, user_factory):
    officer = user_factory("system", "system")
    drafts = [draft(), draft(subject=" "), draft(to=["XX"])]
    with pytest.raises(ValidationError) as refused:
        services.send_many(officer, drafts)
    assert set(refused.value.message_dict) == {"messages.1.subject", "messages.2.to"}
    assert not Message.objects.exists() and not OutboxEnvelope.objects.exists()


def test_a_send_over_the_batch_limit_or_with_attachments_is_refused(peers, user_factory):
    officer = user_factory("system", "system")
    with pytest.raises(ValidationError) as over:
        services.send_many(officer, [draft()] * (MAX_BATCH + 1))
    assert "messages" in over.value.message_dict
    with_file = draft(attachments=[services.Upload("a.txt", "text/plain", b"x")])
    with pytest.raises(ValidationError) as refused:
        services.send_many(officer, [draft(), with_file])
    assert "messages.1.attachments" in refused.value.message_dict
    assert not Message.objects.exists() and not OutboxEnvelope.objects.exists()


def test_a_large_send_is_split_into_envelopes_under_the_size_every_node_accepts(peers, user_factory):
    officer = user_factory("system", "system")
    big = "é" * services.MAX_BODY  # two bytes each in UTF-8
    services.send_many(officer, [draft(body=big) for _ in range(25)])
    outs = list(OutboxEnvelope.objects.order_by("id"))
    assert len(outs) >= 3
    assert all(len(bytes(o.payload)) <= envelope.MAX_BYTES for o in outs)
    counts = [
        len(envelope.open_body(envelope.decode(bytes(o.payload)), "BR", peers["BR"])["messages"])
        for o in outs
    ]
    assert sum(counts) == 25


# --- arrival -------------------------------------------------------------------------------------


def test_a_batch_is_kept_in_bulk_and_acknowledged_by_one_receipt(peers):
    items = [item(subject=f"consulta {i}") for i in range(4)]
    assert delivery.accept(batch(peers, items), stream_seq=next(SEQ)) == "accepted"
    kept = Message.objects.filter(direction="in")
    assert sorted(kept.values_list("subject", flat=True)) == [f"consulta {i}" for i in range(4)]
    assert all(m.received_at and m.sender_node == "BR" for m in kept)
    [receipt] = receipts_sent(peers)
    assert receipt["status"] == "delivered"
    assert sorted(receipt["message_ids"]) == sorted(i["message_id"] for i in items)
    assert refusals() == []


def test_every_field_of_a_batch_item_is_kept_as_sent(peers):
    """The batch is written by one raw executemany: each value (ids, JSON, dates, choices) must
    come back from the row exactly as the sender wrote it."""
    first = item()
    sent = [
        first,
        item(
            in_reply_to=first["message_id"],
            thread_id=first["message_id"],
            recipients=["FR", "hub"],
            gs_copy=True,
            priority="urgent",
            handling="H2",
            handling_note="Só para a polícia",
            references=[{"kind": "record", "id": str(uuid.uuid4())}],
            subject="«Ω» مرحبا",
        ),
    ]
    assert delivery.accept(batch(peers, sent), stream_seq=next(SEQ)) == "accepted"
    unkept = {"sender.role": "system", "attachments": []}
    for body in sent:
        kept = Message.objects.get(pk=body["message_id"])
        assert kept.direction == "in" and kept.sent_by is None and kept.read_at is None
        assert MessageBody.of(kept, unkept) == body


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"subject": ""}, "malformed message: subject"),
        ({"message_id": "not-a-uuid"}, "malformed message: message_id"),
        ({"priority": 1}, "malformed message: priority"),
        ({"unknown": "field"}, "malformed message: unknown"),
        ({"sender": {"node": "KE", "name": "x", "role": "x"}}, "claims another sender"),
        (
            {
                "attachments": [
                    {
                        "id": str(uuid.uuid4()),
                        "name": "a",
                        "content_type": "text/plain",
                        "size": 1,
                        "sha256": "0" * 64,
                        "chunks": 1,
                    }
                ]
            },
            "travels alone",
        ),
    ],
)
def test_a_bad_item_among_good_ones_is_refused_alone_and_audited(peers, bad, reason):
    good = [item(), item()]
    wrong = item(**bad)
    assert delivery.accept(batch(peers, [good[0], wrong, good[1]]), stream_seq=next(SEQ)) == "accepted"
    assert sorted(str(pk) for pk in Message.objects.values_list("pk", flat=True)) == sorted(
        g["message_id"] for g in good
    )
    [receipt] = receipts_sent(peers)
    assert sorted(receipt["message_ids"]) == sorted(g["message_id"] for g in good)
    [refused] = refusals()
    assert refused["kept"] == 2 and refused["refused"] == 1
    assert refused["items"][0]["index"] == 1 and reason in refused["items"][0]["reason"]
    assert not Quarantine.objects.exists()


def test_items_that_are_not_objects_are_refused_with_the_envelope(peers):
    raw = batch(peers, [item(), "a string", 42])
    assert delivery.accept(raw, stream_seq=next(SEQ)) == "quarantined"
    assert "malformed message.batch body" in Quarantine.objects.get().reason
    assert not Message.objects.exists()


def test_an_oversized_batch_is_quarantined_whole(peers):
    items = [item() for _ in range(MAX_BATCH + 1)]
    assert delivery.accept(batch(peers, items), stream_seq=next(SEQ)) == "quarantined"
    assert "messages" in Quarantine.objects.get().reason
    assert not Message.objects.exists() and not OutboxEnvelope.objects.exists()
    assert AuditEntry.objects.filter(action="network.quarantine", subject="BR").exists()


def test_an_empty_batch_is_quarantined(peers):
    assert delivery.accept(batch(peers, []), stream_seq=next(SEQ)) == "quarantined"


def test_a_replayed_batch_is_quarantined_and_its_messages_in_a_new_envelope_are_refused(peers):
    items = [item(), item()]
    raw = batch(peers, items)
    assert delivery.accept(raw, stream_seq=1) == "accepted"
    assert delivery.accept(raw, stream_seq=1) == "duplicate"  # a redelivery after a crash
    assert delivery.accept(raw, stream_seq=2) == "quarantined"  # the same envelope replayed
    assert "replay" in Quarantine.objects.get().reason
    # The same messages again, in a new envelope: refused item by item, nothing overwritten.
    renamed = [dict(items[0], subject="changed"), item()]
    assert delivery.accept(batch(peers, renamed), stream_seq=3) == "accepted"
    assert Message.objects.get(pk=items[0]["message_id"]).subject == "Consulta SLTD"
    assert Message.objects.count() == 3
    [refused] = refusals()
    assert refused["items"] == [
        {"id": items[0]["message_id"], "reason": f"a message {items[0]['message_id']} is already kept here"}
    ]
    assert len(receipts_sent(peers)) == 2


def test_the_same_message_twice_in_one_batch_is_kept_once(peers):
    one = item()
    assert delivery.accept(batch(peers, [one, one]), stream_seq=next(SEQ)) == "accepted"
    assert Message.objects.count() == 1
    assert "twice" in refusals()[0]["items"][0]["reason"]


# --- receipts for many -----------------------------------------------------------------------------


def receipts(peers, ids, status="delivered", sender="BR"):
    body = {"message_ids": [str(i) for i in ids], "status": status, "at": clock.now().isoformat()}
    return batch(peers, [], sender=sender, kind=services.RECEIPTS, body=body)


def test_one_receipt_moves_many_statuses_forward_only(peers, user_factory):
    sent = services.send_many(user_factory("system", "system"), [draft() for _ in range(3)])
    ids = [m.pk for m in sent]
    assert delivery.accept(receipts(peers, ids[:1], "read"), stream_seq=next(SEQ)) == "accepted"
    assert delivery.accept(receipts(peers, ids), stream_seq=next(SEQ)) == "accepted"
    statuses = dict(Delivery.objects.values_list("message_id", "status"))
    assert statuses == {ids[0]: "read", ids[1]: "delivered", ids[2]: "delivered"}
    assert all(d.delivered_at and d.updated_at for d in Delivery.objects.all())
    assert refusals("messaging.receipt.refused") == []


def test_a_receipt_for_messages_never_sent_to_its_sender_changes_nothing_of_them_and_is_audited(
    peers, user_factory
):
    officer = user_factory("system", "system")
    to_br = services.send_many(officer, [draft()])[0]
    to_ke = services.send_many(officer, [draft(to=["KE"])])[0]
    never = uuid.uuid4()
    raw = receipts(peers, [to_br.pk, to_ke.pk, never])  # BR acknowledges KE's message, and one never sent
    assert delivery.accept(raw, stream_seq=next(SEQ)) == "accepted"
    assert Delivery.objects.get(message=to_br).status == "delivered"
    assert Delivery.objects.get(message=to_ke).status == "queued"
    [refused] = refusals("messaging.receipt.refused")
    assert refused["refused"] == 2 and sorted(refused["ids"]) == sorted([str(to_ke.pk), str(never)])


@pytest.mark.parametrize(
    "body",
    [
        {"message_ids": [], "status": "delivered"},
        {"message_ids": ["x"], "status": "delivered"},
        {"message_ids": [str(uuid.uuid4())], "status": "lost"},
        {"message_ids": [str(uuid.uuid4())] * (MAX_BATCH + 1), "status": "delivered"},
    ],
)
def test_a_malformed_receipt_for_many_is_quarantined(peers, body):
    raw = batch(peers, [], kind=services.RECEIPTS, body={**body, "at": clock.now().isoformat()})
    assert delivery.accept(raw, stream_seq=next(SEQ)) == "quarantined"


def test_a_receipt_naming_a_message_twice_is_quarantined(peers, user_factory):
    m = services.send_many(user_factory("system", "system"), [draft()])[0]
    assert delivery.accept(receipts(peers, [m.pk, m.pk]), stream_seq=next(SEQ)) == "quarantined"
    assert Delivery.objects.get(message=m).status == "queued"


# --- the API -------------------------------------------------------------------------------------


def bearer(user, *scopes):
    _t, raw = security.create_token(None, user, "gates", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_bulk_api_sends_many_in_one_call(client, peers, user_factory):
    auth = bearer(user_factory("system", "system", username="fr-gates"), "send_messages")
    payload = {"messages": [{"to": ["BR"], "subject": f"hit {i}", "body": "details"} for i in range(3)]}
    sent = client.post("/api/v1/messages/bulk", payload, content_type="application/json", **auth)
    assert sent.status_code == 201, sent.content
    out = sent.json()["messages"]
    assert [m["recipients"] for m in out] == [["BR"]] * 3
    assert sorted(str(pk) for pk in Message.objects.values_list("pk", flat=True)) == sorted(
        m["id"] for m in out
    )
    assert OutboxEnvelope.objects.get().kind == services.BATCH


def test_the_bulk_api_refuses_bad_input_whole_with_the_field_at_fault(client, peers, user_factory):
    system = user_factory("system", "system")
    auth = bearer(system, "send_messages")
    good = {"to": ["BR"], "subject": "s", "body": "b"}
    bad = client.post(
        "/api/v1/messages/bulk",
        {"messages": [good, {**good, "to": ["XX"]}]},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "messages.1.to"
    too_many = client.post(
        "/api/v1/messages/bulk",
        {"messages": [good] * (MAX_BATCH + 1)},
        content_type="application/json",
        **auth,
    )
    assert too_many.status_code == 422
    assert not Message.objects.exists()
    reader = client.post(
        "/api/v1/messages/bulk",
        {"messages": [good]},
        content_type="application/json",
        **bearer(system, "read_messages"),
    )
    assert reader.status_code == 403
    user_factory("agency", "query", username="fr-police")
    assert client.post(
        "/api/v1/messages/bulk", {"messages": [good]}, content_type="application/json"
    ).status_code in (
        401,
        403,
    )


def test_the_bulk_api_bounds_the_body_it_reads(client, peers, user_factory):
    auth = bearer(user_factory("system", "system"), "send_messages")
    huge = {"to": ["BR"], "subject": "s", "body": "x" * services.MAX_BODY}
    sent = client.post(
        "/api/v1/messages/bulk", {"messages": [huge] * 200}, content_type="application/json", **auth
    )
    assert sent.status_code == 413
    assert not Message.objects.exists()
