"""The one guarded entrance: whatever a peer puts on the network, the hub's relay and a node's inbox
end in a quarantine (kept, audited, acknowledged) or a normal outcome, never an exception that
stalls the stream; and a valid envelope queued after the poison is still delivered.

Findings 1 and 2 of issue #13, each as the attacker would send it."""

import json
import uuid

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.base.crypto import canonical
from ncbnet.conftest import arriving
from ncbnet.messaging.models import Message
from ncbnet.network import delivery, envelope
from ncbnet.network.models import InboxEnvelope, Quarantine, RelayedEnvelope

pytestmark = pytest.mark.django_db


def message_body(sender="BR", **over):
    message_id = envelope.new_id()
    return {
        "message_id": message_id,
        "thread_id": message_id,
        "in_reply_to": None,
        "sender": {"node": sender, "name": "Ana Souza", "role": "officer"},
        "recipients": ["FR"],
        "gs_copy": False,
        "subject": "Pedido urgente",
        "body": "Localizar veículo ABC1D23",
        "priority": "urgent",
        "handling": "H2",
        "handling_note": "",
        "evaluation": {"source": "B", "information": "2"},
        "references": [],
        "created_at": clock.now().isoformat(),
        **over,
    }


def signed(peers, e, signer):
    """Sign an envelope someone altered, with a real key: what a hostile but registered node can do."""
    unsigned = {k: v for k, v in e.items() if k != "sig"}
    e["sig"] = peers[signer].sign(canonical(unsigned))[1]
    return e


def unsigned_bytes(e):
    """Bytes a node can publish that canonical JSON would not produce (NaN, huge numbers)."""
    return json.dumps(e, allow_nan=True).encode()


def between_bureaus(peers, recipient="KE"):
    """A sealed envelope from Brazil to another bureau, as the hub's relay sees it."""
    return envelope.build(
        kind="message",
        sender="BR",
        recipients={recipient: envelope.PeerKey.of(peers[recipient].public())},
        body={"x": 1},
        signer=peers["BR"],
        now=clock.now(),
    )


def valid_relay(peers):
    e = between_bureaus(peers)
    return envelope.encode(e), e["id"]


def poison_for_the_relay(peers):
    base = json.loads(valid_relay(peers)[0])
    id_list = {**base, "id": ["a", "b"]}
    nan = {**base, "extra": float("nan")}
    huge = {**base, "v": 2**60}
    deep = b'{"id":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    return [
        json.dumps(id_list).encode(),
        unsigned_bytes(nan),
        unsigned_bytes(huge),
        deep,
        b"\xff\xfe not even text",
        b"[]",
        json.dumps({**base, "to": "KE"}).encode(),
        json.dumps({**base, "from": ["BR"]}).encode(),
        json.dumps({**base, "created_at": 12}).encode(),
        json.dumps({**base, "sealed": {**base["sealed"], "keys": {"KE": "not an object"}}}).encode(),
    ]


def test_finding_1_poison_on_the_relay_is_quarantined_and_the_next_envelope_relayed(peers, hub):
    poison = poison_for_the_relay(peers)
    good, good_id = valid_relay(peers)
    items = [(raw, seq, "BR") for seq, raw in enumerate(poison, start=1)]
    items.append((good, len(poison) + 1, "BR"))
    results = delivery.relay_batch(items)
    assert results[:-1] == [[]] * len(poison)
    assert results[-1] == [("ncb.inbox.KE", f"{good_id}:KE")]
    assert Quarantine.objects.count() == len(poison)
    assert RelayedEnvelope.objects.get().envelope_id == good_id
    assert AuditEntry.objects.filter(action="network.quarantine").count() == len(poison)


def test_finding_1_each_poison_alone_is_quarantined_not_raised(peers, hub):
    for seq, raw in enumerate(poison_for_the_relay(peers), start=1):
        assert delivery.relay(raw, seq, "BR") == []
    reasons = list(Quarantine.objects.order_by("id").values_list("reason", flat=True))
    assert all(reasons) and len(reasons) == 10


def test_finding_2_a_reused_message_id_is_quarantined(peers):
    body = message_body()
    first = arriving(peers, "message", body, sender="BR")
    again = arriving(peers, "message", {**body, "subject": "Overwrite?"}, sender="BR")
    assert delivery.accept_batch([(first, 1), (again, 2)]) == ["accepted", "quarantined"]
    assert Message.objects.get().subject == "Pedido urgente"
    assert "message" in Quarantine.objects.get().reason


def test_finding_2_a_sender_written_as_text_is_quarantined(peers):
    raw = arriving(peers, "message", message_body(sender="BR") | {"sender": "BR"}, sender="BR")
    good = arriving(peers, "message", message_body(), sender="BR")
    assert delivery.accept_batch([(raw, 1), (good, 2)]) == ["quarantined", "accepted"]


def test_finding_2_a_wrapped_key_that_is_not_an_object_is_quarantined(peers):
    from ncbnet.base.node import node_id

    e = json.loads(arriving(peers, "message", message_body(), sender="BR"))
    e["sealed"]["keys"][node_id()] = "not an object"
    raw = envelope.encode(signed(peers, e, "BR"))
    assert delivery.accept(raw, 1) == "quarantined"


def test_finding_2_a_reused_notice_request_id_at_the_hub_is_quarantined(peers, hub):
    from ncbnet.notices.models import Notice
    from ncbnet.notices.tests.test_notices import red

    body = {"id": envelope.new_id(), "by": "br-officer", "kind": "red", "data": red()}
    first = arriving(peers, "notices.request", body, sender="BR")
    again = arriving(peers, "notices.request", body | {"kind": "yellow"}, sender="KE")
    assert delivery.accept_batch([(first, 1), (again, 2)]) == ["accepted", "quarantined"]
    assert Notice.objects.get().owner == "BR"


@pytest.mark.parametrize(
    "over",
    [
        {"subject": "x" * 100_000},  # over-long for its column (a DataError on PostgreSQL)
        {"sender": {"node": "BR", "name": "y" * 5000, "role": "officer"}},
        {"references": [{"kind": "record", "id": 2**53 - 1, "n": 2**53 - 1}]},
        {"evaluation": {"source": "B", "information": 2}},
        {"priority": ["urgent"]},
        {"created_at": "yesterday"},
        {"unknown": True},
    ],
    ids=["long-subject", "long-name", "big-numbers", "int-for-text", "list-for-text", "bad-time", "extra"],
)
def test_finding_2_bodies_that_do_not_fit_are_quarantined(peers, over):
    raw = arriving(peers, "message", message_body(**over), sender="BR")
    assert delivery.accept(raw, 1) == "quarantined"
    assert not Message.objects.exists()


def test_finding_2_a_plaintext_that_is_not_json_is_quarantined(peers):
    import nacl.bindings as sodium
    import nacl.public
    import nacl.utils

    from ncbnet.base.crypto import b64
    from ncbnet.base.node import node_id

    e = json.loads(arriving(peers, "message", message_body(), sender="BR"))
    key = nacl.utils.random(32)
    nonce = nacl.utils.random(24)
    e["sealed"]["ciphertext"] = b64(
        sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            b"\x00 not json", canonical(envelope.header(e)), nonce, key
        )
    )
    e["sealed"]["nonce"] = b64(nonce)
    me = envelope.PeerKey.of(peers["FR"].public())
    box = nacl.public.SealedBox(nacl.public.PublicKey(envelope.unb64(me.encryption_public)))
    e["sealed"]["keys"][node_id()]["wrapped"] = b64(box.encrypt(key))
    raw = envelope.encode(signed(peers, e, "BR"))
    assert delivery.accept(raw, 1) == "quarantined"
    assert "JSON" in Quarantine.objects.get().reason


def test_a_quarantined_envelope_is_kept_whole_with_its_claims_and_audited(peers):
    raw = arriving(peers, "message", message_body(sender="BR") | {"sender": "BR"}, sender="BR")
    delivery.accept(raw, 7)
    q = Quarantine.objects.get()
    assert bytes(q.raw) == raw and q.stream_seq == 7 and q.claimed_sender == "BR"
    assert q.claimed_type == "message" and uuid.UUID(q.claimed_id)
    entry = AuditEntry.objects.get(action="network.quarantine")
    assert entry.detail["reason"] == q.reason and not InboxEnvelope.objects.exists()
