"""Seals leave the node for the hub; a node that rewrote its chain and its own seals is caught."""

import json

import pytest

from ncbnet.audit import anchoring, services
from ncbnet.audit.models import AnchoredSeal, ChainSeal
from ncbnet.audit.tests.test_chain import without_triggers, write
from ncbnet.base import audit
from ncbnet.base.chain import AuditEntry
from ncbnet.cli import main
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine

pytestmark = pytest.mark.django_db


def test_each_seal_is_sent_to_the_hub(peers):
    write(3)
    sealed = anchoring.seal_and_anchor(peers["FR"])
    out = envelope.decode(bytes(OutboxEnvelope.objects.get(kind="audit.seal").payload))
    assert out["to"] == ["hub"]
    body = envelope.open_body(out, "hub", peers["hub"])
    assert body["seq"] == sealed.seq and body["hash"] == sealed.hash and body["signature"] == sealed.signature


def test_a_node_not_yet_on_the_network_seals_locally(db):
    from ncbnet.base.node import keys

    store = keys()
    if not store.exists:
        store.generate()
    write(2)
    assert anchoring.seal_and_anchor(store) is not None
    assert not OutboxEnvelope.objects.exists()


def seal_envelope(peers, signature=None):
    sealed = services.seal(peers["FR"])
    body = sealed.signed_content("FR") | {"key_id": sealed.key_id, "signature": signature or sealed.signature}
    return sealed, arriving(peers, "audit.seal", body, sender="FR", confidential=False, to="hub")


def test_the_hub_keeps_a_seal_its_node_signed_and_refuses_a_forged_one(peers, settings):
    write(2)
    sealed, good = seal_envelope(peers)
    write(1)
    _forged_seal, forged = seal_envelope(peers, signature=sealed.signature)  # signature of another seal
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    assert delivery.accept(good, 1) == "accepted"
    assert delivery.accept(forged, 2) == "quarantined"
    assert "does not verify" in Quarantine.objects.get().reason
    assert [a["seq"] for a in anchoring.exported("FR")] == [sealed.seq]


def test_a_rewritten_chain_with_rewritten_seals_disagrees_with_the_hubs_copy(peers, tmp_path, capsys):
    write(4)
    held = services.seal(peers["FR"])
    anchors = [{**held.signed_content("FR"), "key_id": held.key_id, "signature": held.signature}]
    # The intruder rewrites entry 2, re-hashes the rest, and re-signs the local seal with the node's key.
    entries = list(AuditEntry.objects.order_by("seq"))
    prev = entries[0].hash
    for e in entries[1:]:
        if e.seq == entries[1].seq:
            e.actor = "someone-else"
        e.prev_hash, e.hash = prev, audit.entry_hash(prev, e.content())
        without_triggers(
            "UPDATE audit_auditentry SET actor=%s, prev_hash=%s, hash=%s WHERE seq=%s",
            [e.actor, e.prev_hash, e.hash, e.seq],
        )
        prev = e.hash
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("UPDATE audit_chainhead SET hash = %s", [prev])
    ChainSeal.objects.all().delete()
    services.seal(peers["FR"])
    assert services.verify_chain(peers["FR"]).ok  # the node alone cannot tell
    result = services.verify_chain(peers["FR"], anchors)
    assert result.finding is not None and result.finding.seq == held.seq
    file = tmp_path / "anchors.json"
    file.write_text(json.dumps(anchors))
    assert main(["audit", "verify", "--anchors", str(file)]) == 1
    assert f"entry #{held.seq}" in capsys.readouterr().err
    assert not AnchoredSeal.objects.exists()


def test_a_seal_the_hub_keeps_is_never_replaced_by_another_of_the_same_entry(peers, settings):
    """Finding 8: the hub's copies of a node's seals could be overwritten, which defeated anchoring."""
    write(2)
    sealed, good = seal_envelope(peers)
    kept = (sealed.seq, sealed.hash, sealed.signature)
    # The node (or whoever holds its key) rewrites its chain and seals the same position again.
    other_hash = "0" * 64 if sealed.hash != "0" * 64 else "1" * 64
    content = {**sealed.signed_content("FR"), "hash": other_hash}
    from ncbnet.base.crypto import canonical

    _kid, signature = peers["FR"].sign(canonical(content))
    rewritten = arriving(
        peers,
        "audit.seal",
        content | {"key_id": sealed.key_id, "signature": signature},
        sender="FR",
        confidential=False,
        to="hub",
    )
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    assert delivery.accept(good, 1) == "accepted"
    assert delivery.accept(good, 1) == "duplicate"  # the same stream message again
    assert delivery.accept(rewritten, 2) == "quarantined"
    assert "different seal" in Quarantine.objects.get().reason
    a = AnchoredSeal.objects.get()
    assert (a.seq, a.hash, a.signature) == kept
